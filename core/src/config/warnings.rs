//! Keys that are accepted (a C Dynomite file must load unchanged) but do not do what their name says in
//! dynomite-rs. Validation reports each one present in the file as a [`ConfigWarning`]; the driver
//! prints one line per warning at startup and under `-t`, so an operator never believes a setting acts
//! when it does not.

use std::fmt;

use super::raw::RawPool;
use super::values::SecureServerOption;

/// One accepted key that has no effect, with why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigWarning {
    /// Deprecated in C Dynomite, which ignores it with a warning; so do we.
    Deprecated {
        /// The key as written.
        key: &'static str,
    },
    /// A setting (or its absence) that leaves a port open to strangers.
    Exposed {
        /// The key that would close it.
        key: &'static str,
        /// What is open, and how to close it.
        why: &'static str,
    },
    /// Accepted for compatibility, ignored.
    NoEffect {
        /// The key as written.
        key: &'static str,
        /// Why it is ignored, or what to use instead.
        why: &'static str,
    },
}

impl ConfigWarning {
    /// The key the warning is about.
    pub fn key(&self) -> &'static str {
        match self {
            ConfigWarning::Deprecated { key }
            | ConfigWarning::NoEffect { key, .. }
            | ConfigWarning::Exposed { key, .. } => key,
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigWarning::Deprecated { key } => {
                write!(formatter, "{key} is deprecated and ignored (as in C Dynomite)")
            }
            ConfigWarning::NoEffect { key, why } => {
                write!(formatter, "{key} has no effect in dynomite-rs: {why}")
            }
            ConfigWarning::Exposed { key, why } => write!(formatter, "{key} is not set: {why}"),
        }
    }
}

/// Why each key in the table below does nothing here.
const GOSSIP_OFF: &str = "enable_gossip is false, so membership comes from dyn_seeds and dead peers are \
                          found by the peer links' heartbeats";
const PEER_TIMEOUTS: &str =
    "peer requests are bounded by timeout, and silent peer links by peer_heartbeat_timeout";
const RECONCILIATION: &str = "reconciliation is not implemented";
const TLS_OFF: &str = "secure_server_option is none, so no peer link uses TLS";

const CRDT_OFF: &str = "crdt_enabled is false, so there is no CRDT metadata to repair or collect";

/// The warnings for the keys present in `raw` (in `KNOWN_KEYS` order). The gossip keys warn only
/// with `enable_gossip: false`; the TLS files only when `secure_server_option` leaves every
/// link plain; the CRDT-only keys only when `crdt_enabled` is false.
pub(crate) fn warnings_for(
    raw: &RawPool,
    enable_gossip: bool,
    crdt_enabled: bool,
    secure_server_option: SecureServerOption,
) -> Vec<ConfigWarning> {
    let no_effect = |key, why| ConfigWarning::NoEffect { key, why };
    let tls_off = secure_server_option == SecureServerOption::None;
    let crdt_off = !crdt_enabled;
    let candidates = [
        (raw.distribution.is_some(), ConfigWarning::Deprecated { key: "distribution" }),
        (raw.server_connections.is_some(), ConfigWarning::Deprecated { key: "server_connections" }),
        (raw.dyn_read_timeout.is_some(), no_effect("dyn_read_timeout", PEER_TIMEOUTS)),
        (raw.dyn_write_timeout.is_some(), no_effect("dyn_write_timeout", PEER_TIMEOUTS)),
        (
            raw.dyn_port.is_some(),
            no_effect("dyn_port", "peers are reached at the port of their dyn_seeds entry"),
        ),
        (
            raw.dyn_connections.is_some(),
            no_effect("dyn_connections", "use local_peer_connections and remote_peer_connections"),
        ),
        (raw.gos_interval.is_some() && !enable_gossip, no_effect("gos_interval", GOSSIP_OFF)),
        (raw.pem_key_file.is_some() && tls_off, no_effect("pem_key_file", TLS_OFF)),
        (raw.pem_cert_file.is_some() && tls_off, no_effect("pem_cert_file", TLS_OFF)),
        (raw.ca_file.is_some() && tls_off, no_effect("ca_file", TLS_OFF)),
        (raw.recon_key_file.is_some(), no_effect("recon_key_file", RECONCILIATION)),
        (raw.recon_iv_file.is_some(), no_effect("recon_iv_file", RECONCILIATION)),
        (
            raw.env.is_some(),
            no_effect("env", "C Dynomite uses it for cloud address lookups, which dynomite-rs does not do"),
        ),
        (raw.conn_msg_rate.is_some(), no_effect("conn_msg_rate", "connections are not rate-limited")),
        (
            raw.stats_interval.is_some(),
            no_effect("stats_interval", "stats are computed when they are asked for"),
        ),
        (raw.mbuf_size.is_some(), no_effect("mbuf_size", "buffers grow as data arrives")),
        (
            raw.max_msgs.is_some(),
            no_effect("max_msgs", "each connection's queues have fixed bounds of their own"),
        ),
        (raw.repair_interval.is_some() && crdt_off, no_effect("repair_interval", CRDT_OFF)),
        (raw.repair_full_interval.is_some() && crdt_off, no_effect("repair_full_interval", CRDT_OFF)),
        (raw.repair_rate.is_some() && crdt_off, no_effect("repair_rate", CRDT_OFF)),
        (raw.changelog_max.is_some() && crdt_off, no_effect("changelog_max", CRDT_OFF)),
        (raw.tombstone_gc_age.is_some() && crdt_off, no_effect("tombstone_gc_age", CRDT_OFF)),
        (raw.crdt_state_elements_max.is_some() && crdt_off, no_effect("crdt_state_elements_max", CRDT_OFF)),
        (raw.gossip_down_after.is_some() && !enable_gossip, no_effect("gossip_down_after", GOSSIP_OFF)),
    ];
    candidates.into_iter().filter(|(present, _)| *present).map(|(_, warning)| warning).collect()
}
