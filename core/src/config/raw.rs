//! The pool exactly as written: one optional, untyped field per key (STYLE #7, step one).
//!
//! Values stay [`Node`]s (scalars as text) so that validation, not serde, decides what a value
//! means and can name the key, the value and what is allowed in its error.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::ConfigError;
use super::node::Node;

/// One pool as written; `None` means the key is absent. See `keys::KNOWN_KEYS` for the list and
/// `validate` for the meaning of each key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // Each field is the YAML key of the same name, documented on `Config`.
pub struct RawPool {
    pub listen: Option<Node>,
    pub hash: Option<Node>,
    pub hash_tag: Option<Node>,
    pub distribution: Option<Node>,
    pub timeout: Option<Node>,
    pub backlog: Option<Node>,
    pub client_connections: Option<Node>,
    pub data_store: Option<Node>,
    pub preconnect: Option<Node>,
    pub auto_eject_hosts: Option<Node>,
    pub server_connections: Option<Node>,
    pub server_retry_timeout: Option<Node>,
    pub server_failure_limit: Option<Node>,
    pub servers: Option<Node>,
    pub redis_requirepass: Option<Node>,
    pub requirepass: Option<Node>,
    pub users: Option<Node>,
    pub peer_secret: Option<Node>,
    pub admin_token: Option<Node>,
    pub dyn_read_timeout: Option<Node>,
    pub dyn_write_timeout: Option<Node>,
    pub dyn_listen: Option<Node>,
    pub dyn_seed_provider: Option<Node>,
    pub dyn_seeds: Option<Node>,
    pub dyn_port: Option<Node>,
    pub dyn_connections: Option<Node>,
    pub rack: Option<Node>,
    pub tokens: Option<Node>,
    pub gos_interval: Option<Node>,
    pub secure_server_option: Option<Node>,
    pub pem_key_file: Option<Node>,
    pub pem_cert_file: Option<Node>,
    pub ca_file: Option<Node>,
    pub recon_key_file: Option<Node>,
    pub recon_iv_file: Option<Node>,
    pub datacenter: Option<Node>,
    pub env: Option<Node>,
    pub conn_msg_rate: Option<Node>,
    pub read_consistency: Option<Node>,
    pub write_consistency: Option<Node>,
    pub stats_listen: Option<Node>,
    pub stats_interval: Option<Node>,
    pub enable_gossip: Option<Node>,
    pub gossip_down_after: Option<Node>,
    pub read_repairs_enabled: Option<Node>,
    pub mbuf_size: Option<Node>,
    pub max_msgs: Option<Node>,
    pub datastore_connections: Option<Node>,
    pub local_peer_connections: Option<Node>,
    pub remote_peer_connections: Option<Node>,
    pub peer_heartbeat_timeout: Option<Node>,
    pub crdt_enabled: Option<Node>,
    pub hints_max: Option<Node>,
    pub hints_bytes_max: Option<Node>,
    pub repair_interval: Option<Node>,
    pub repair_full_interval: Option<Node>,
    pub repair_rate: Option<Node>,
    pub changelog_max: Option<Node>,
    pub tombstone_gc_age: Option<Node>,
    pub crdt_state_elements_max: Option<Node>,
    pub client_tls_listen: Option<Node>,
    pub client_tls_cert_file: Option<Node>,
    pub client_tls_key_file: Option<Node>,
    pub client_tls_ca_file: Option<Node>,
    pub client_tls_auth_clients: Option<Node>,
}

impl RawPool {
    /// Reads the pool of a document whose shape `node::load_pool` has already checked.
    pub fn from_checked_text(text: &str) -> Result<RawPool, ConfigError> {
        let document: BTreeMap<Node, RawPool> =
            serde_yaml::from_str(text).map_err(|error| ConfigError::from_yaml(&error))?;
        document.into_values().next().ok_or(ConfigError::NoPool)
    }
}
