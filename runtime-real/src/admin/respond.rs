//! Admin answers: runs a routed [`Endpoint`] against the node and builds its body.
//!
//! Texts follow C Dynomite's `src/dyn_stats.c`: `OK\r\n` for commands and `/ping`,
//! `Read Consistency: DC_ONE\r\nWrite Consistency: DC_ONE\r\n` for `/get_consistency`,
//! `Read Repairs: ENABLED\r\n` (or `DISABLED`) for `/read_repairs/...`, the
//! `{"dcs":[...]}` shape for `/cluster_describe`. `/info` keeps C's top-level keys (`service`, `source`,
//! `version`, `uptime`, `timestamp`, `rack`, `dc`), C's histogram summaries (`latency_max`,
//! `latency_999th`, `latency_99th`, `latency_95th`, `latency_mean` in µs, `payload_size_*` in bytes,
//! `average_cross_region_rtt`, `99_cross_zone_latency`, `average_server_latency`, ...,
//! `client_out_queue_99`) and the pool object named after the config's pool key, with our counters
//! inside and the datastore's object nested in it under its address, as C nests its server.
//! `/get_timeout_factor` is C's `Timeout factor: N\n`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};

use crate::admin::route::{AdminError, ConsistencyTarget, Endpoint, PeerAction, PeerTarget, ENDPOINTS_HELP};
use crate::metrics::{RequestClass, RequestOutcome};
use crate::node::NodeShared;

/// `/cluster_describe`: C's shape; with `enable_gossip` each server also carries its gossip `state`
/// (`NORMAL`, `DOWN`, `STANDBY`, ...) and the address gossip last heard it at.
fn cluster_describe(node: &NodeShared) -> String {
    let described = node.topology.describe().to_json();
    let Some(gossip) = &node.gossip else { return described };
    let Ok(mut document) = serde_json::from_str::<Value>(&described) else { return described };
    let members = gossip.members();
    let datacenters = document["dcs"].as_array_mut().into_iter().flatten();
    for datacenter in datacenters {
        let dc = datacenter["name"].as_str().unwrap_or_default().to_string();
        for rack in datacenter["racks"].as_array_mut().into_iter().flatten() {
            let rack_name = rack["name"].as_str().unwrap_or_default().to_string();
            for server in rack["servers"].as_array_mut().into_iter().flatten() {
                let token = server["token"].as_u64();
                let member = members.iter().find(|member| {
                    member.identity.datacenter == dc
                        && member.identity.rack == rack_name
                        && member.identity.tokens.first().map(|token| u64::from(*token)) == token
                });
                if let (Some(member), Some(server)) = (member, server.as_object_mut()) {
                    let port = server.get("port").and_then(Value::as_u64).unwrap_or_default() as u16;
                    let (host, port) = crate::admin::ring::split_address(&member.identity.address, "", port);
                    if !host.is_empty() {
                        server.insert("name".into(), json!(host));
                        server.insert("host".into(), json!(host));
                        server.insert("port".into(), json!(port));
                    }
                    server.insert("state".into(), json!(dynomite_core::gossip::state_name(member.state)));
                }
            }
        }
    }
    document.to_string()
}

/// C Dynomite's answer to commands and `/ping`.
const OK_TEXT: &str = "OK\r\n";

/// What kind of body an answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json`.
    Json,
    /// `text/plain`.
    Text,
    /// Prometheus text exposition 0.0.4.
    Prometheus,
}

impl BodyKind {
    /// The `Content-Type` header value.
    pub fn content_type(self) -> &'static str {
        match self {
            BodyKind::Json => "application/json; charset=utf-8",
            BodyKind::Text => "text/plain; charset=utf-8",
            BodyKind::Prometheus => crate::admin::prometheus::CONTENT_TYPE,
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
        Endpoint::ClusterDescribe => Ok(Answer::json(cluster_describe(node) + "\n")),
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
        Endpoint::GetTimeoutFactor => {
            Ok(Answer::text(format!("Timeout factor: {}\n", node.timeout_factor())))
        }
        Endpoint::SetTimeoutFactor { factor } => {
            node.set_timeout_factor(factor);
            tracing::warn!(
                factor,
                timeout_ms = node.timeout_ms(),
                "timeout factor changed by the admin port"
            );
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::SetLogLevel { verbosity } => {
            let verbosity = crate::log_level::set(verbosity)?;
            tracing::warn!(verbosity, "log level changed by the admin port");
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::LogLevelUp => {
            let verbosity = crate::log_level::up()?;
            tracing::warn!(verbosity, "log level raised by the admin port");
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::LogLevelDown => {
            let verbosity = crate::log_level::down()?;
            tracing::warn!(verbosity, "log level lowered by the admin port");
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::HistogramReset => {
            node.metrics.reset_histograms();
            tracing::info!("histograms reset by the admin port");
            Ok(Answer::text(OK_TEXT))
        }
        Endpoint::Metrics => {
            Ok(Answer { kind: BodyKind::Prometheus, body: crate::admin::prometheus::render(node) })
        }
        Endpoint::Ring => Ok(Answer::json(crate::admin::ring::ring(node).to_string() + "\n")),
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
    histogram_summaries(node, &mut document);
    document.insert("timeout_factor".into(), json!(node.timeout_factor()));
    document.insert("log_level".into(), json!(crate::log_level::current()));
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
    document.insert("gossip".into(), gossip_summary(node));
    document.insert("repair".into(), node.repair.status().to_json());
    Value::Object(document)
}

/// `/info`'s `gossip`: `{"enabled": false}`, or this node's version, timing and members per state.
fn gossip_summary(node: &NodeShared) -> Value {
    let Some(gossip) = &node.gossip else { return json!({ "enabled": false }) };
    let summary = gossip.summary();
    json!({
        "enabled": true,
        "generation": summary.generation,
        "heartbeat": summary.heartbeat,
        "interval_ms": summary.interval_ms,
        "down_after_ms": summary.down_after_ms,
        "members": summary.members,
        "states": summary.states,
    })
}

/// C's histogram summaries at the top level of `/info`, under C's names.
fn histogram_summaries(node: &NodeShared, document: &mut Map<String, Value>) {
    let metrics = &node.metrics;
    let client = metrics.client_latency_us.snapshot();
    let payload = metrics.payload_size_bytes.snapshot();
    let cross_dc = metrics.cross_datacenter_latency_us.snapshot();
    let cross_rack = metrics.cross_rack_latency_us.snapshot();
    let datastore = metrics.datastore_latency_us.snapshot();
    let queue = metrics.client_queue_depth.snapshot();
    let entries = [
        ("latency_max", client.max),
        ("latency_999th", client.quantile(0.999)),
        ("latency_99th", client.quantile(0.99)),
        ("latency_95th", client.quantile(0.95)),
        ("latency_mean", client.mean()),
        ("payload_size_max", payload.max),
        ("payload_size_999th", payload.quantile(0.999)),
        ("payload_size_99th", payload.quantile(0.99)),
        ("payload_size_95th", payload.quantile(0.95)),
        ("payload_size_mean", payload.mean()),
        ("average_cross_region_rtt", cross_dc.mean()),
        ("99_cross_region_rtt", cross_dc.quantile(0.99)),
        ("average_cross_zone_latency", cross_rack.mean()),
        ("99_cross_zone_latency", cross_rack.quantile(0.99)),
        ("average_server_latency", datastore.mean()),
        ("99_server_latency", datastore.quantile(0.99)),
        ("client_out_queue_99", queue.quantile(0.99)),
    ];
    for (name, value) in entries {
        document.insert(name.into(), json!(value));
    }
}

/// The client counters, under the pool's name like C's pool metrics.
fn pool_counters(node: &NodeShared) -> Value {
    let stats = &node.stats;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let metrics = &node.metrics;
    let by_class = |class: RequestClass| {
        metrics.requests(class, RequestOutcome::Ok) + metrics.requests(class, RequestOutcome::Error)
    };
    let errors: u64 =
        RequestClass::ALL.iter().map(|&class| metrics.requests(class, RequestOutcome::Error)).sum();
    let peer_connections: usize = node.peer_links().map(|(_, link)| link.health().connections_up()).sum();
    let datastore = metrics.datastore_latency_us.snapshot();
    let mut pool = json!({
        "client_read_requests": by_class(RequestClass::Read),
        "client_write_requests": by_class(RequestClass::Write),
        "client_other_requests": by_class(RequestClass::Other),
        "client_error_responses": errors,
        "client_quorum_failures": metrics.quorum_failures(),
        "peer_connections": peer_connections,
        "client_connections": load(&stats.connections_current),
        "client_connections_total": load(&stats.connections_total),
        "client_requests": load(&stats.requests),
        "client_rejected_requests": load(&stats.requests_rejected),
        "client_protocol_errors": load(&stats.protocol_errors),
        "read_repair_reads": load(&stats.read_repair_reads),
        "read_repairs": load(&stats.read_repairs),
        "read_repair_writes": load(&stats.read_repair_writes),
        "counter_settles": load(&stats.counter_settles),
    });
    let server_name = node
        .config
        .server
        .as_ref()
        .map_or_else(|| "embedded".to_string(), |server| format!("{}:{}", server.host, server.port));
    pool[server_name] = json!({
        "server_replies": datastore.count,
        "server_latency_max": datastore.max,
        "server_latency_mean": datastore.mean(),
        "server_latency_99th": datastore.quantile(0.99),
    });
    pool
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
                "latency_us": node.metrics.peer_latency(id.0 as usize).and_then(|latency| latency.mean_us()),
                "hints_queued": link.hint_stats().map_or(0, |stats| stats.queued),
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
            PeerTarget::Named(name) => address_matches(&link.address(), name),
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
