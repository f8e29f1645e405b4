//! Dynomite-compatible configuration: YAML text → [`Config`].
//!
//! A C Dynomite `dynomite.yml` works unchanged: one top-level pool key (conventionally
//! `dyn_o_mite:`) whose entries are the keys of C Dynomite's `dyn_conf.c`, with its defaults. Loading
//! follows STYLE #7 in three steps:
//! 1. [`node`]: the YAML is read into a tree that keeps repeated keys, and its shape is checked (one
//!    pool, a flat mapping, known keys, no key twice, no empty value);
//! 2. [`raw`]: the pool is read into [`RawPool`](raw::RawPool), one optional untyped field per key;
//! 3. [`validate`]: each value is checked and typed, defaults applied, then cross-key rules.
//!
//! Differences from C Dynomite, all deliberate:
//! - `data_store` also accepts `redis`, and `2` or `embedded` for this crate's embedded engine;
//!   `1` (memcached) is rejected as not supported yet;
//! - `hash` accepts only `murmur`; C Dynomite's other hash names are rejected as not supported yet;
//! - `secure_server_option` with an unknown value is an error (C Dynomite logs and continues);
//! - `requirepass` is C Dynomite's later meaning (Netflix/dynomite PR #748): clients must `AUTH` with
//!   it, and the node authenticates to the datastore with it; `redis_requirepass` (the older name) is
//!   the datastore's own password only, and wins over `requirepass` for the datastore when both are set;
//! - `peer_secret` (cluster secret for peer links) and `admin_token` (mutating admin endpoints) are ours;
//! - `pem_cert_file` and `ca_file` are ours, for peer TLS;
//! - `read_repairs_enabled` is a key here (C Dynomite only has the admin endpoint); it needs CRDT
//!   mode, so it implies `crdt_enabled` unless that is explicitly `false` (then it is an error);
//! - the anti-entropy keys are ours: `crdt_enabled`, `hints_max`, `hints_bytes_max`, `repair_interval`,
//!   `repair_full_interval`, `repair_rate`, `changelog_max`, `tombstone_gc_age`,
//!   `crdt_state_elements_max` (the CRDT-only ones warn when CRDT mode is off);
//! - the `client_tls_*` keys are ours (C Dynomite has no client TLS); they map to Redis's TLS
//!   settings: `client_tls_listen` = `tls-port` (with its bind address), `client_tls_cert_file` =
//!   `tls-cert-file`, `client_tls_key_file` = `tls-key-file`, `client_tls_ca_file` =
//!   `tls-ca-cert-file`, `client_tls_auth_clients` = `tls-auth-clients` (`yes`, `no`, `optional`;
//!   default `yes` with a CA file, `no` without one, where Redis insists on a CA file);
//! - `peer_heartbeat_timeout` is ours: how long a silent peer link counts as connected;
//! - `dyn_seed_provider: dns_provider | florida_provider` read C Dynomite's environment variables and
//!   format (the driver fetches; [`seed_list`] parses and merges), and their seeds extend `dyn_seeds`;
//! - keys accepted without effect here (e.g. `mbuf_size`) are listed by [`Config::warnings`], which
//!   the driver prints at startup;
//! - durations, counts, tokens and seeds have upper bounds (see [`keys`]); unix-socket addresses and
//!   the optional `[name]` suffix of `servers`/`dyn_seeds` entries are rejected;
//! - scalars are read by a YAML 1.2 parser, so `0x10` or `5e3` count as the numbers 16 and 5000
//!   (libyaml hands C Dynomite the raw text, which its `dn_atoi` rejects); YAML tags are errors.

pub mod error;
pub mod keys;
pub mod node;
pub mod raw;
mod scalar;
pub mod seed_list;
mod validate;
pub mod values;
mod warnings;

#[cfg(test)]
mod tests;

pub use error::ConfigError;
pub use values::{
    ClientCertificates, ClientTls, ClientUser, Consistency, DataStore, Endpoint, HashAlgorithm, HashTag,
    SecureServerOption, Seed, SeedProvider, ServerAddress, UnknownConsistency,
};
pub use warnings::ConfigWarning;

/// A validated pool configuration. Each field documents the YAML key it comes from and its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The top-level key (conventionally `dyn_o_mite`).
    pub pool_name: String,
    /// `listen`: the client (RESP) listener. Required.
    pub listen: Endpoint,
    /// `dyn_listen`: the peer listener. Default `0.0.0.0:8101`.
    pub dyn_listen: Endpoint,
    /// `client_tls_listen` with the other `client_tls_*` keys: an optional TLS listener for clients.
    /// None: clients connect in plain text on `listen` only.
    pub client_tls: Option<ClientTls>,
    /// `dyn_port`: the peer port other nodes use when a seed provider gives hosts only. Optional.
    pub dyn_port: Option<u16>,
    /// `stats_listen`: the admin HTTP listener. Default `0.0.0.0:22222`.
    pub stats_listen: Endpoint,
    /// `data_store`: what stores the data. Default redis (`0`).
    pub data_store: DataStore,
    /// `servers`: the one datastore this node proxies. `None` only with the embedded datastore.
    pub server: Option<ServerAddress>,
    /// `requirepass`: the password clients must give with `AUTH` (or `HELLO ... AUTH`) before any
    /// other command. None: clients need no password.
    pub client_password: Option<String>,
    /// `users` (ours): named client users, `name:role:password` with role `read-only` or
    /// `read-write`. With any, clients must authenticate even without `requirepass` (then only as a
    /// named user: the `default` user has no password to give).
    pub client_users: Vec<ClientUser>,
    /// `redis_requirepass`, else `requirepass`: password sent with AUTH to the datastore.
    pub datastore_password: Option<String>,
    /// `peer_secret`: the cluster secret a peer link proves it knows (HMAC over nonces) before
    /// anything it sends is read. None: links prove nothing (warned at startup unless the peer port is
    /// loopback-only or every link is mutual TLS).
    pub peer_secret: Option<String>,
    /// `admin_token`: required (`Authorization: Bearer <token>` or `?token=`) by the admin endpoints
    /// that change the node. None: they are open to whoever reaches `stats_listen`.
    pub admin_token: Option<String>,
    /// `datastore_connections`: connections to the datastore. Default 1.
    pub datastore_connections: usize,
    /// `preconnect`: connect to the datastore and peers at startup. Default true.
    pub preconnect: bool,
    /// `auto_eject_hosts`: stop using a datastore after `server_failure_limit` failures. Default true.
    pub auto_eject_hosts: bool,
    /// `server_retry_timeout`: wait before retrying an ejected datastore. Default 10000 ms.
    pub server_retry_timeout_ms: u64,
    /// `server_failure_limit`: consecutive failures before ejection. Default 3.
    pub server_failure_limit: u32,
    /// `rack`: this node's rack. Default `localrack`.
    pub rack: String,
    /// `datacenter`: this node's datacenter. Default `localdc`.
    pub datacenter: String,
    /// `env`: deployment environment label (C Dynomite: aws, network...). Default `aws`.
    pub env: String,
    /// `tokens`: this node's positions on the ring. Required.
    pub tokens: Vec<u32>,
    /// `dyn_seed_provider`: where peers come from. Default `simple_provider`.
    pub dyn_seed_provider: SeedProvider,
    /// `dyn_seeds`: the static peer list. Default empty (a single node).
    pub dyn_seeds: Vec<Seed>,
    /// `read_consistency`. Default DC_ONE.
    pub read_consistency: Consistency,
    /// `write_consistency`. Default DC_ONE.
    pub write_consistency: Consistency,
    /// `timeout`: client request timeout. Default 5000 ms.
    pub timeout_ms: u64,
    /// `hash`: key hash. Default murmur.
    pub hash: HashAlgorithm,
    /// `hash_tag`: two delimiters selecting the hashed part of keys. Default none.
    pub hash_tag: Option<HashTag>,
    /// `read_repairs_enabled`: quorum reads of one key merge the replicas' CRDT states, answer with
    /// the merge and write it back to stale replicas. Default false; `true` implies `crdt_enabled`.
    /// The admin endpoint `/read_repairs/{enable|disable}` switches it at runtime.
    pub read_repairs_enabled: bool,
    /// `crdt_enabled` (ours): covered writes carry a hybrid-logical-clock timestamp and run as Lua
    /// scripts that keep CRDT metadata (`_dyn:` keys) next to the data. Default false (`read_repairs_enabled:
    /// true` makes it default to true). Off = plain Dynomite behaviour.
    pub crdt_enabled: bool,
    /// `hints_max` (ours): most hinted-handoff writes kept per peer; 0 disables hints. Default 10000.
    pub hints_max: usize,
    /// `hints_bytes_max` (ours): most bytes of hints kept per peer. Default 16777216 (16 MiB).
    pub hints_bytes_max: usize,
    /// `repair_interval` (ours): ms between sweeps of the change log (recently written keys); 0 = off.
    /// Default 1000.
    pub repair_interval_ms: u64,
    /// `repair_full_interval` (ours): ms between full token-range repairs; 0 = only when asked for.
    /// Default 21600000 (6 hours).
    pub repair_full_interval_ms: u64,
    /// `repair_rate` (ours): most keys per second background repair compares. Default 1000.
    pub repair_rate: u32,
    /// `changelog_max` (ours): length bound of the datastore's change log `_dyn:log`. Default 100000.
    pub changelog_max: u32,
    /// `tombstone_gc_age` (ours): age in ms after which tombstones and dead metadata may be collected.
    /// Default 86400000 (1 day).
    pub tombstone_gc_age_ms: u64,
    /// `crdt_state_elements_max` (ours): most elements of one key's CRDT state a replica ships for read
    /// repair; larger keys fall back to the plain read comparison. Default 10000.
    pub crdt_state_elements_max: u32,
    /// `dyn_read_timeout`: peer link read timeout. Default 10000 ms.
    pub dyn_read_timeout_ms: u64,
    /// `dyn_write_timeout`: peer link write timeout. Default 10000 ms.
    pub dyn_write_timeout_ms: u64,
    /// `dyn_connections`: peer connection budget (C Dynomite, 0 is an error). Default 100.
    pub dyn_connections: u32,
    /// `local_peer_connections`: connections to each peer of the local datacenter. Default 1.
    pub local_peer_connections: usize,
    /// `remote_peer_connections`: connections to each peer of a remote datacenter. Default 1.
    pub remote_peer_connections: usize,
    /// `enable_gossip`: run the gossip protocol (membership, failure detection, states). Default false.
    pub enable_gossip: bool,
    /// `gos_interval`: gossip round period. Default 30000 ms.
    pub gossip_interval_ms: u64,
    /// `gossip_down_after` (ours): a node not heard from (through gossip) for this long is marked
    /// down. At least 2 × `gos_interval`; default 4 × `gos_interval`.
    pub gossip_down_after_ms: u64,
    /// `secure_server_option`: which peer links use TLS. Default none.
    pub secure_server_option: SecureServerOption,
    /// `pem_key_file`: private key for peer encryption. Default `conf/dynomite.pem`.
    pub pem_key_file: String,
    /// `pem_cert_file` (ours): certificate for peer TLS. Optional.
    pub pem_cert_file: Option<String>,
    /// `ca_file` (ours): CA bundle that verifies peers' certificates. Optional.
    pub ca_file: Option<String>,
    /// `recon_key_file`: key for reconciliation encryption. Default `conf/recon_key.pem`.
    pub recon_key_file: String,
    /// `recon_iv_file`: IV for reconciliation encryption. Default `conf/recon_iv.pem`.
    pub recon_iv_file: String,
    /// `backlog`: listen backlog. Default 512.
    pub backlog: u32,
    /// `client_connections`: client connection limit, 0 = none (C Dynomite always uses 0). Default 0.
    pub client_connections: u32,
    /// `conn_msg_rate`: messages per second allowed on one connection. Default 50000.
    pub connection_messages_per_second: u32,
    /// `mbuf_size`: I/O buffer chunk size. Default 16384 bytes; 512..=512000, multiple of 16.
    pub mbuf_size_bytes: usize,
    /// `max_msgs`: most messages in flight. Default 200000; 100000..=1000000.
    pub messages_max: usize,
    /// `stats_interval`: stats aggregation period. Default 30000 ms.
    pub stats_interval_ms: u64,
    /// `peer_heartbeat_timeout` (ours): a peer link that has heard nothing (no reply, no pong) for
    /// this long counts as not connected, and its pending requests fail at once; links ping after a
    /// third of it without hearing or sending anything. The peer listener closes an incoming connection
    /// silent for this long (nothing arriving on it later runs), so every node of a cluster must use
    /// the same value. Default 1500 ms; 100..=60000.
    pub peer_heartbeat_timeout_ms: u64,
    /// Deprecated keys found (`distribution`, `server_connections`): ignored, worth a warning.
    pub deprecated_keys: Vec<String>,
    /// Keys present in the file that have no effect here, one startup line each ([`Config::warnings`]).
    pub warnings: Vec<ConfigWarning>,
}

/// Parses and validates a Dynomite YAML configuration.
pub fn parse_config(yaml: &str) -> Result<Config, ConfigError> {
    if yaml.len() > keys::CONFIG_TEXT_MAX_BYTES {
        return Err(ConfigError::TooLarge {
            size_bytes: yaml.len(),
            limit_bytes: keys::CONFIG_TEXT_MAX_BYTES,
        });
    }
    let pool = node::load_pool(yaml)?;
    raw::RawPool::from_checked_text(yaml)?.validate(&pool.name)
}

impl Config {
    /// What the driver prints at startup (and `-t` prints): one line per key that is accepted but
    /// has no effect, deprecated keys included.
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

    /// The idle time after which a peer link sends a heartbeat: a third of `peer_heartbeat_timeout`.
    pub fn peer_heartbeat_interval_ms(&self) -> u64 {
        self.peer_heartbeat_timeout_ms / 3
    }

    /// A valid single-node configuration with the embedded datastore, clients on `127.0.0.1:port`,
    /// peers on the next port (the previous one when `port` is 65535), admin on `127.0.0.1:22222`
    /// (or 22223 if `port` is taken by it), and token 0. Used by the `local` command.
    pub fn embedded_default(port: u16) -> Config {
        let port = port.max(1);
        let dyn_port = if port == u16::MAX { port - 1 } else { port + 1 };
        let stats_port = [keys::STATS_LISTEN_DEFAULT_PORT, keys::STATS_LISTEN_DEFAULT_PORT + 1]
            .into_iter()
            .find(|candidate| *candidate != port && *candidate != dyn_port)
            .unwrap_or(keys::STATS_LISTEN_DEFAULT_PORT + 2);
        let yaml = format!(
            "dyn_o_mite:\n  listen: {host}:{port}\n  dyn_listen: {host}:{dyn_port}\n  \
             stats_listen: {host}:{stats_port}\n  data_store: embedded\n  tokens: '0'\n",
            host = keys::LOCAL_HOST
        );
        match parse_config(&yaml) {
            Ok(config) => config,
            // The text above is fixed apart from three distinct valid ports.
            Err(error) => panic!("embedded_default produced an invalid configuration: {error}"),
        }
    }
}
