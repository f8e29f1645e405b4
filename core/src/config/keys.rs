//! The key table of a pool: every key C Dynomite's `dyn_conf.c` accepts, plus the few that are ours,
//! with the defaults and bounds that validation applies.
//!
//! Keeping the names in one list lets the loader reject unknown keys and suggest the closest known one.

/// Every key a pool accepts, in the order C Dynomite's `conf_commands` table lists them, followed by
/// the keys this implementation adds (`requirepass`, `peer_secret`, `admin_token`, `read_repairs_enabled`, `pem_cert_file`,
/// `ca_file`, `peer_heartbeat_timeout`, the anti-entropy keys from `crdt_enabled` on, and client TLS,
/// `client_tls_*`).
pub const KNOWN_KEYS: &[&str] = &[
    "listen",
    "hash",
    "hash_tag",
    "distribution",
    "timeout",
    "backlog",
    "client_connections",
    "data_store",
    "preconnect",
    "auto_eject_hosts",
    "server_connections",
    "server_retry_timeout",
    "server_failure_limit",
    "servers",
    "redis_requirepass",
    "requirepass",
    "users",
    "peer_secret",
    "admin_token",
    "dyn_read_timeout",
    "dyn_write_timeout",
    "dyn_listen",
    "dyn_seed_provider",
    "dyn_seeds",
    "dyn_port",
    "dyn_connections",
    "rack",
    "tokens",
    "gos_interval",
    "secure_server_option",
    "pem_key_file",
    "pem_cert_file",
    "ca_file",
    "recon_key_file",
    "recon_iv_file",
    "datacenter",
    "env",
    "conn_msg_rate",
    "read_consistency",
    "write_consistency",
    "stats_listen",
    "stats_interval",
    "enable_gossip",
    "read_repairs_enabled",
    "mbuf_size",
    "max_msgs",
    "datastore_connections",
    "local_peer_connections",
    "remote_peer_connections",
    "peer_heartbeat_timeout",
    "gossip_down_after",
    "crdt_enabled",
    "hints_max",
    "hints_bytes_max",
    "repair_interval",
    "repair_full_interval",
    "repair_rate",
    "changelog_max",
    "tombstone_gc_age",
    "crdt_state_elements_max",
    "client_tls_listen",
    "client_tls_cert_file",
    "client_tls_key_file",
    "client_tls_ca_file",
    "client_tls_auth_clients",
];

/// Keys C Dynomite still accepts but ignores with a "DEPRECATED" warning; we do the same and report
/// them in [`crate::config::Config::deprecated_keys`] so the driver can warn.
pub const DEPRECATED_KEYS: &[&str] = &["distribution", "server_connections"];

/// Default client listener when a local embedded node is generated (`Config::embedded_default`).
pub const LOCAL_HOST: &str = "127.0.0.1";
/// Default peer listener host (`dyn_listen`); C Dynomite documents `0.0.0.0:8101`.
pub const DYN_LISTEN_DEFAULT_HOST: &str = "0.0.0.0";
/// Default peer listener port (`dyn_listen`).
pub const DYN_LISTEN_DEFAULT_PORT: u16 = 8101;
/// Default admin/stats listener host (`stats_listen`), as in C Dynomite.
pub const STATS_LISTEN_DEFAULT_HOST: &str = "0.0.0.0";
/// Default admin/stats listener port (`stats_listen`), as in C Dynomite.
pub const STATS_LISTEN_DEFAULT_PORT: u16 = 22222;

/// Default `timeout`: how long a client request may wait for the datastore or peers.
pub const TIMEOUT_DEFAULT_MS: u64 = 5_000;
/// Default `server_retry_timeout`: wait before reconnecting to an ejected datastore.
pub const SERVER_RETRY_TIMEOUT_DEFAULT_MS: u64 = 10_000;
/// Default `dyn_read_timeout` and `dyn_write_timeout` (peer links).
pub const DYN_TIMEOUT_DEFAULT_MS: u64 = 10_000;
/// Default `gos_interval`: gossip round period.
pub const GOSSIP_INTERVAL_DEFAULT_MS: u64 = 30_000;
/// Default `gossip_down_after`, in `gos_interval`s: a node is marked down after missing about four
/// of its rounds.
pub const GOSSIP_DOWN_AFTER_DEFAULT_INTERVALS: u64 = 4;
/// Smallest `gossip_down_after`, in `gos_interval`s: below it a live node could be convicted
/// between two of its own rounds.
pub const GOSSIP_DOWN_AFTER_MIN_INTERVALS: u64 = 2;
/// Default `stats_interval`: stats aggregation period.
pub const STATS_INTERVAL_DEFAULT_MS: u64 = 30_000;
/// Default `peer_heartbeat_timeout`: a peer link that has heard nothing (no reply, no pong) for this
/// long counts as not connected; idle links send a ping after a third of it.
pub const PEER_HEARTBEAT_TIMEOUT_DEFAULT_MS: u64 = 1_500;
/// Smallest `peer_heartbeat_timeout`: below it a cross-datacenter round trip could look like a death.
pub const PEER_HEARTBEAT_TIMEOUT_MIN_MS: u64 = 100;
/// Largest `peer_heartbeat_timeout`: a silent peer must not hold requests for longer.
pub const PEER_HEARTBEAT_TIMEOUT_MAX_MS: u64 = 60_000;
/// Upper bound for every duration key: one hour. C Dynomite has none; a larger value is a typo.
pub const DURATION_MAX_MS: u64 = 3_600_000;

/// Default `hints_max`: hinted-handoff writes kept per peer (0 disables hints).
pub const HINTS_DEFAULT: usize = 10_000;
/// Upper bound for `hints_max`.
pub const HINTS_MAX: usize = 10_000_000;
/// Default `hints_bytes_max`: bytes of hints kept per peer (16 MiB).
pub const HINTS_BYTES_DEFAULT: usize = 16_777_216;
/// Upper bound for `hints_bytes_max` (4 GiB).
pub const HINTS_BYTES_MAX: usize = 4_294_967_296;
/// Default `repair_interval`: ms between change-log sweeps (0 = off).
pub const REPAIR_INTERVAL_DEFAULT_MS: u64 = 1_000;
/// Default `repair_full_interval`: ms between full range repairs (6 hours; 0 = only on request).
pub const REPAIR_FULL_INTERVAL_DEFAULT_MS: u64 = 21_600_000;
/// Upper bound for `repair_full_interval` (30 days).
pub const REPAIR_FULL_INTERVAL_MAX_MS: u64 = 2_592_000_000;
/// Default `repair_rate`: keys per second background repair compares.
pub const REPAIR_RATE_DEFAULT: u32 = 1_000;
/// Upper bound for `repair_rate`.
pub const REPAIR_RATE_MAX: u32 = 1_000_000;
/// Default `changelog_max`: entries of the datastore change log `_dyn:log`.
pub const CHANGELOG_DEFAULT: u32 = 100_000;
/// Upper bound for `changelog_max`.
pub const CHANGELOG_MAX: u32 = 100_000_000;
/// Default `tombstone_gc_age`: tombstones older than this may be collected (1 day).
pub const TOMBSTONE_GC_AGE_DEFAULT_MS: u64 = 86_400_000;
/// Upper bound for `tombstone_gc_age` (365 days).
pub const TOMBSTONE_GC_AGE_MAX_MS: u64 = 31_536_000_000;
/// Default `crdt_state_elements_max`: elements of one key's state shipped for read repair.
pub const CRDT_STATE_ELEMENTS_DEFAULT: u32 = 10_000;
/// Upper bound for `crdt_state_elements_max`.
pub const CRDT_STATE_ELEMENTS_MAX: u32 = 10_000_000;

/// Default `backlog` of the listening sockets.
pub const BACKLOG_DEFAULT: u32 = 512;
/// Upper bound for `backlog` (Linux caps `somaxconn` at 65535 anyway).
pub const BACKLOG_MAX: u32 = 65_535;
/// Default `client_connections`; 0 means "no limit" (C Dynomite forces 0 whatever is configured).
pub const CLIENT_CONNECTIONS_DEFAULT: u32 = 0;
/// Upper bound for `client_connections`.
pub const CLIENT_CONNECTIONS_MAX: u32 = 1_000_000;
/// Default `server_failure_limit`: consecutive failures before the datastore is ejected.
pub const SERVER_FAILURE_LIMIT_DEFAULT: u32 = 3;
/// Upper bound for `server_failure_limit`.
pub const SERVER_FAILURE_LIMIT_MAX: u32 = 1_000;
/// Default `dyn_connections` (C Dynomite: 100; 0 is an error).
pub const DYN_CONNECTIONS_DEFAULT: u32 = 100;
/// Upper bound for `dyn_connections`.
pub const DYN_CONNECTIONS_MAX: u32 = 100_000;
/// Default `datastore_connections`, `local_peer_connections`, `remote_peer_connections`.
pub const CONNECTIONS_DEFAULT: usize = 1;
/// Upper bound for the per-target connection counts (ours: C Dynomite has none).
pub const CONNECTIONS_MAX: usize = 64;
/// Default `conn_msg_rate`: messages per second allowed on one connection.
pub const CONNECTION_MESSAGES_PER_SECOND_DEFAULT: u32 = 50_000;
/// Upper bound for `conn_msg_rate`.
pub const CONNECTION_MESSAGES_PER_SECOND_MAX: u32 = 10_000_000;

/// Default `mbuf_size` (C Dynomite `MBUF_SIZE`).
pub const MBUF_SIZE_DEFAULT_BYTES: usize = 16_384;
/// Smallest `mbuf_size` (C Dynomite `MBUF_MIN_SIZE`).
pub const MBUF_SIZE_MIN_BYTES: usize = 512;
/// Largest `mbuf_size` (C Dynomite `MBUF_MAX_SIZE`).
pub const MBUF_SIZE_MAX_BYTES: usize = 512_000;
/// `mbuf_size` must be a multiple of this (C Dynomite rule).
pub const MBUF_SIZE_ALIGNMENT_BYTES: usize = 16;
/// Default `max_msgs` (C Dynomite `ALLOC_MSGS`).
pub const MESSAGES_DEFAULT: usize = 200_000;
/// Smallest `max_msgs` (C Dynomite `MIN_ALLOC_MSGS`).
pub const MESSAGES_MIN: usize = 100_000;
/// Largest `max_msgs` (C Dynomite `MAX_ALLOC_MSGS`).
pub const MESSAGES_MAX: usize = 1_000_000;

/// Most tokens one node (or one seed) may own; Dynomite deployments use one.
pub const TOKENS_MAX: usize = 256;
/// Most entries in `dyn_seeds`.
pub const SEEDS_MAX: usize = 1_024;
/// Shortest `peer_secret`, in bytes (a cluster secret shorter than this is guessable).
pub const PEER_SECRET_MIN_BYTES: usize = 16;
/// Longest accepted text value (host, rack, datacenter, file path, password).
pub const TEXT_LENGTH_MAX_BYTES: usize = 1_024;
/// Largest configuration text accepted by `parse_config`.
pub const CONFIG_TEXT_MAX_BYTES: usize = 1_048_576;

/// Default `rack`.
pub const RACK_DEFAULT: &str = "localrack";
/// Default `datacenter`.
pub const DATACENTER_DEFAULT: &str = "localdc";
/// Default `env` (C Dynomite: `aws`); only informational here.
pub const ENV_DEFAULT: &str = "aws";
/// Default `pem_key_file` (C Dynomite: `conf/dynomite.pem`).
pub const PEM_KEY_FILE_DEFAULT: &str = "conf/dynomite.pem";
/// Default `recon_key_file` (C Dynomite: `conf/recon_key.pem`).
pub const RECON_KEY_FILE_DEFAULT: &str = "conf/recon_key.pem";
/// Default `recon_iv_file` (C Dynomite: `conf/recon_iv.pem`).
pub const RECON_IV_FILE_DEFAULT: &str = "conf/recon_iv.pem";

/// The known key closest to `unknown`, if one is close enough to be a plausible typo.
pub fn closest_key(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_lowercase();
    let threshold = (unknown.chars().count() / 3).max(2);
    KNOWN_KEYS
        .iter()
        .map(|known| (edit_distance(&unknown, known), *known))
        .filter(|(distance, _)| *distance <= threshold)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (row, left_char) in left.chars().enumerate() {
        let mut current = Vec::with_capacity(right.len() + 1);
        current.push(row + 1);
        for (column, right_char) in right.iter().enumerate() {
            let substitution = previous[column] + usize::from(left_char != *right_char);
            let deletion = previous[column + 1] + 1;
            let insertion = current[column] + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous[right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(closest_key("lisen"), Some("listen"));
        assert_eq!(closest_key("dyn_seed"), Some("dyn_seeds"));
        assert_eq!(closest_key("read_consistancy"), Some("read_consistency"));
        assert_eq!(closest_key("completely_unrelated"), None);
    }

    #[test]
    fn known_keys_are_unique() {
        let mut sorted = KNOWN_KEYS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), KNOWN_KEYS.len());
    }
}
