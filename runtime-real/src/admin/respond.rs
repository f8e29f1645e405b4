//! Admin answers: runs a routed [`Endpoint`] against the node and builds its body.
//!
//! Texts follow C Dynomite's `src/dyn_stats.c`: `OK\r\n` for commands and `/ping`,
//! `Read Consistency: DC_ONE\r\nWrite Consistency: DC_ONE\r\n` for `/get_consistency`,
//! `Read Repairs: ENABLED\r\n` (or `DISABLED`) for `/read_repairs/...`, the
//! `{"dcs":[...]}` shape for `/cluster_describe`. `/info` keeps C's top-level keys (`service`, `source`,
//! `version`, `uptime`, `timestamp`, `rack`, `dc`) and the pool object named after the config's pool
//! key, with our counters inside; C's latency histograms have no counterpart yet.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};

use crate::admin::route::{AdminError, ConsistencyTarget, Endpoint, PeerAction, PeerTarget, ENDPOINTS_HELP};
use crate::node::NodeShared;

/// C Dynomite's answer to commands and `/ping`.
const OK_TEXT: &str = "OK\r\n";

/// What kind of body an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json`.
    Json,
    /// `text/plain`.
    Text,
}

impl BodyKind {
    /// The `Content-Type` header value.
    pub fn content_type(self) -> &'static str {
        match self {
            BodyKind::Json => "application/json; charset=utf-8",
            BodyKind::Text => "text/plain; charset=utf-8",
        }
    }
}

/// A successful admin answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// JSON or text.
    pub kind: BodyKind,
    /// The body.
    pub body: String,
}

impl Answer {
    fn text(body: impl Into<String>) -> Answer {
        Answer { kind: BodyKind::Text, body: body.into() }
    }

    fn json(body: impl Into<String>) -> Answer {
        Answer { kind: BodyKind::Json, body: body.into() }
    }
}

/// Runs `endpoint` against the node.
pub fn respond(node: &NodeShared, endpoint: Endpoint) -> Result<Answer, AdminError> {
    match endpoint {
        Endpoint::Info => Ok(Answer::json(info(node).to_string() + "\n")),
        Endpoint::ClusterDescribe => Ok(Answer::json(node.topology.describe().to_json() + "\n")),
        Endpoint::GetConsistency => Ok(Answer::text(consistency_text(node))),
        Endpoint::SetConsistency { target, level } => {
            match target {
                ConsistencyTarget::Read => node.set_read_consistency(level),
                ConsistencyTarget::Write => node.set_write_consistency(level),
            }
            tracing::info!(?target, %level, "consistency changed by the admin port");
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::Peer { action, target } => {
            mark_peers(node, action, &target)?;
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::ReadRepairs { enabled } => {
            if !node.set_read_repairs(enabled) {
                return Err(AdminError::ReadRepairsNeedCrdt);
            }
            tracing::info!(enabled, "read repair switched by the admin port");
            Ok(Answer::text(read_repairs_text(node)))
        }
        Endpoint::RepairStart { range } => {
            node.repair.request_range_repair(range)?;
            tracing::info!(?range, "range repair requested by the admin port");
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::RepairStatus => Ok(Answer::json(node.repair.status().to_json().to_string() + "\n")),
        Endpoint::SetState { state } => {
            node.set_local_state(state);
            tracing::info!(state = state.name(), "node state changed by the admin port");
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::GetState => Ok(Answer::text(format!("State: {}\n", node.local_state().name()))),
        Endpoint::Ping => Ok(Answer::text(OK_TEXT)),
        Endpoint::Help => Ok(Answer::text(ENDPOINTS_HELP)),
    }
}

/// C's `/get_consistency` text.
fn consistency_text(node: &NodeShared) -> String {
    let levels = node.consistency();
    format!("Read Consistency: {}\r\nWrite Consistency: {}\r\n", levels.read, levels.write)
}

/// C's `/read_repairs/...` text.
fn read_repairs_text(node: &NodeShared) -> String {
    format!("Read Repairs: {}\r\n", if node.read_repairs_enabled() { "ENABLED" } else { "DISABLED" })
}

/// The `/info` document.
fn info(node: &NodeShared) -> Value {
    let config = &node.config;
    let now_seconds = node.clock.now_ms() / 1000;
    let levels = node.consistency();
    let mut document = Map::new();
    document.insert("service".into(), json!("dynomite"));
    document.insert("source".into(), json!(node.topology.local().address.to_string()));
    document.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    document.insert("proxy".into(), json!("dynomite-rs"));
    document.insert("uptime".into(), json!(node.uptime_seconds()));
    document.insert("timestamp".into(), json!(now_seconds));
    document.insert("rack".into(), json!(config.rack));
    document.insert("dc".into(), json!(config.datacenter));
    document.insert("read_consistency".into(), json!(levels.read.wire_name()));
    document.insert("write_consistency".into(), json!(levels.write.wire_name()));
    document.insert(
        "datastore".into(),
        json!({
            "kind": node.datastore.kind(),
            "address": config.server.as_ref().map(|server| format!("{}:{}", server.host, server.port)),
        }),
    );
    document.insert("state".into(), json!(node.local_state().name()));
    document.insert("crdt_enabled".into(), json!(node.crdt.is_some()));
    document.insert("read_repairs_enabled".into(), json!(node.read_repairs_enabled()));
    document.insert(config.pool_name.clone(), pool_counters(node));
    document.insert("peers".into(), peers(node));
    document.insert("repair".into(), node.repair.status().to_json());
    Value::Object(document)
}

/// The client counters, under the pool's name like C's pool metrics.
fn pool_counters(node: &NodeShared) -> Value {
    let stats = &node.stats;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    json!({
        "client_connections": load(&stats.connections_current),
        "client_connections_total": load(&stats.connections_total),
        "client_requests": load(&stats.requests),
        "client_rejected_requests": load(&stats.requests_rejected),
        "client_protocol_errors": load(&stats.protocol_errors),
        "read_repair_reads": load(&stats.read_repair_reads),
        "read_repairs": load(&stats.read_repairs),
        "read_repair_writes": load(&stats.read_repair_writes),
    })
}

/// Every outgoing peer link with its placement and health.
fn peers(node: &NodeShared) -> Value {
    node.peer_links()
        .map(|(id, link)| {
            let peer = node.topology.node(id);
            json!({
                "address": link.address(),
                "dc": peer.datacenter,
                "rack": peer.rack,
                "connected": link.health().is_connected(),
                "down": link.is_down(),
            })
        })
        .collect()
}

/// Applies a `/peer/...` action to the peers `target` names; naming no peer is an error.
fn mark_peers(node: &NodeShared, action: PeerAction, target: &PeerTarget) -> Result<(), AdminError> {
    let mut matched = 0_usize;
    for (_, link) in node.peer_links() {
        let selected = match target {
            PeerTarget::All => true,
            PeerTarget::Named(name) => address_matches(link.address(), name),
        };
        if selected {
            match action {
                PeerAction::Down => link.force_down(true),
                PeerAction::Up | PeerAction::Reset => link.reset(),
            }
            matched += 1;
        }
    }
    tracing::info!(?action, ?target, matched, "peer state changed by the admin port");
    match target {
        PeerTarget::Named(name) if matched == 0 => Err(AdminError::UnknownPeer {
            value: name.clone(),
            known: node
                .peer_links()
                .map(|(_, link)| link.address().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
        _ => Ok(()),
    }
}

/// True when `name` is the whole `host:port` address or its host.
fn address_matches(address: &str, name: &str) -> bool {
    if address == name {
        return true;
    }
    let host = address.rsplit_once(':').map_or(address, |(host, _port)| host);
    host.trim_start_matches('[').trim_end_matches(']') == name
}

#[cfg(test)]
mod tests {
    use super::address_matches;

    #[test]
    fn peers_are_named_by_address_or_host() {
        assert!(address_matches("10.0.0.1:8101", "10.0.0.1:8101"));
        assert!(address_matches("10.0.0.1:8101", "10.0.0.1"));
        assert!(address_matches("[::1]:8101", "::1"));
        assert!(!address_matches("10.0.0.1:8101", "10.0.0.11"));
        assert!(!address_matches("10.0.0.1:8101", "10.0.0.1:8102"));
    }
}
