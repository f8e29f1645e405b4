//! `/metrics`: the node's metrics in the Prometheus text exposition format (version 0.0.4), written by
//! hand: `# HELP` and `# TYPE` once per family, then its samples. Every family is prefixed
//! `dynomite_`; histograms have cumulative `_bucket{le=...}` samples at the power-of-two bounds of
//! [`crate::metrics::Histogram`], then `_sum` and `_count`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::metrics::{bucket_upper_bound, HistogramSnapshot, RequestClass, RequestOutcome, BUCKETS};
use crate::node::NodeShared;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The whole exposition.
pub fn render(node: &NodeShared) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let local = node.topology.local();
    family(&mut out, "dynomite_info", "gauge", "Node identity (always 1)");
    let _ = writeln!(
        out,
        "dynomite_info{{version=\"{}\",dc=\"{}\",rack=\"{}\",state=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        escape(&local.datacenter),
        escape(&local.rack),
        node.local_state().name()
    );
    family(&mut out, "dynomite_uptime_seconds", "gauge", "Seconds since the node started");
    let _ = writeln!(out, "dynomite_uptime_seconds {}", node.uptime_seconds());

    family(
        &mut out,
        "dynomite_client_requests_total",
        "counter",
        "Client requests by command class and outcome",
    );
    for class in RequestClass::ALL {
        for outcome in RequestOutcome::ALL {
            let _ = writeln!(
                out,
                "dynomite_client_requests_total{{class=\"{}\",outcome=\"{}\"}} {}",
                class.name(),
                outcome.name(),
                node.metrics.requests(class, outcome)
            );
        }
    }
    family(
        &mut out,
        "dynomite_quorum_failures_total",
        "counter",
        "Requests at a quorum level that did not reach it",
    );
    let _ = writeln!(out, "dynomite_quorum_failures_total {}", node.metrics.quorum_failures());

    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let stats = &node.stats;
    // Not `dynomite_client_connections` next to `..._total`: parsers strip `_total`, and the two
    // families would share a name.
    family(&mut out, "dynomite_client_connections_open", "gauge", "Client connections open now");
    let _ = writeln!(out, "dynomite_client_connections_open {}", load(&stats.connections_current));
    family(&mut out, "dynomite_client_connections_accepted_total", "counter", "Client connections accepted");
    let _ = writeln!(out, "dynomite_client_connections_accepted_total {}", load(&stats.connections_total));
    family(
        &mut out,
        "dynomite_client_connections_rejected_total",
        "counter",
        "Client connections refused at client_connections",
    );
    let _ = writeln!(out, "dynomite_client_connections_rejected_total {}", load(&stats.connections_rejected));
    family(
        &mut out,
        "dynomite_client_protocol_errors_total",
        "counter",
        "Client connections closed for malformed RESP",
    );
    let _ = writeln!(out, "dynomite_client_protocol_errors_total {}", load(&stats.protocol_errors));
    family(
        &mut out,
        "dynomite_peer_connections_refused_total",
        "counter",
        "Peer connections refused in the handshake",
    );
    let _ =
        writeln!(out, "dynomite_peer_connections_refused_total {}", load(&stats.peer_connections_refused));

    peers(&mut out, node);
    gossip(&mut out, node);
    anti_entropy(&mut out, node);

    for (stem, histogram, help) in node.metrics.histograms() {
        histogram_family(&mut out, &format!("dynomite_{stem}"), help, &histogram.snapshot());
    }
    out
}

/// Gossip: on or off, this node's heartbeat, members per state (every state named, zeros included, so
/// an alert on `state="DOWN"` has a series to watch).
fn gossip(out: &mut String, node: &NodeShared) {
    family(out, "dynomite_gossip_enabled", "gauge", "1 when enable_gossip is on");
    let _ = writeln!(out, "dynomite_gossip_enabled {}", u8::from(node.gossip.is_some()));
    let Some(gossip) = &node.gossip else { return };
    let summary = gossip.summary();
    family(out, "dynomite_gossip_heartbeat", "gauge", "This node's gossip heartbeat in its generation");
    let _ = writeln!(out, "dynomite_gossip_heartbeat {}", summary.heartbeat);
    family(
        out,
        "dynomite_gossip_members",
        "gauge",
        "Members of the ring by gossip state, this node included",
    );
    for state in GOSSIP_STATES {
        let _ = writeln!(out, "dynomite_gossip_members{{state=\"{state}\"}} {}", summary.count(state));
    }
}

/// Every gossip state name ([`dynomite_core::gossip::state_name`]).
const GOSSIP_STATES: [&str; 7] =
    ["NORMAL", "DOWN", "JOINING", "LEAVING", "STANDBY", "WRITES_ONLY", "RESUMING"];

/// Per-peer gauges: link state, open connections, hinted-handoff queue.
fn peers(out: &mut String, node: &NodeShared) {
    family(
        out,
        "dynomite_peer_up",
        "gauge",
        "1 when the link to the peer has a connection and is not marked down",
    );
    let mut connections = String::new();
    let mut down = String::new();
    let mut hints = String::new();
    for (id, link) in node.peer_links() {
        let peer = node.topology.node(id);
        let labels = format!(
            "peer=\"{}\",dc=\"{}\",rack=\"{}\"",
            escape(&link.address()),
            escape(&peer.datacenter),
            escape(&peer.rack)
        );
        let up = link.health().is_connected() && !link.is_down();
        let _ = writeln!(out, "dynomite_peer_up{{{labels}}} {}", u8::from(up));
        let _ =
            writeln!(connections, "dynomite_peer_connections{{{labels}}} {}", link.health().connections_up());
        let _ = writeln!(down, "dynomite_peer_down{{{labels}}} {}", u8::from(link.is_down()));
        let queued = link.hint_stats().map_or(0, |stats| stats.queued);
        let _ = writeln!(hints, "dynomite_peer_hints_queued{{{labels}}} {queued}");
    }
    family(out, "dynomite_peer_connections", "gauge", "Connections of the link to the peer that are up");
    out.push_str(&connections);
    family(
        out,
        "dynomite_peer_down",
        "gauge",
        "1 while the peer is marked down (admin, auto-eject or gossip)",
    );
    out.push_str(&down);
    family(out, "dynomite_peer_hints_queued", "gauge", "Writes held for the peer by hinted handoff");
    out.push_str(&hints);
}

/// Read repair, background repair and tombstone GC progress (the counters of `/info`'s `repair` and
/// `read_repair_*`, and `/repair/status`).
fn anti_entropy(out: &mut String, node: &NodeShared) {
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let stats = &node.stats;
    let counters: [(&str, &str, u64); 4] = [
        ("read_repair_reads_total", "Quorum reads answered by a CRDT merge", load(&stats.read_repair_reads)),
        ("read_repairs_total", "Merged reads that found a stale replica", load(&stats.read_repairs)),
        ("read_repair_writes_total", "Merges written back by read repair", load(&stats.read_repair_writes)),
        (
            "counter_settles_total",
            "DC_SAFE_QUORUM counter ops whose disagreeing replicas were settled",
            load(&stats.counter_settles),
        ),
    ];
    let status = node.repair.status();
    let (changelog, range) = (&status.changelog, &status.range);
    let repair: [(&str, &str, u64); 12] = [
        ("repair_changelog_sweeps_total", "Change-log sweeps run", changelog.sweeps),
        (
            "repair_changelog_keys_compared_total",
            "Logged keys compared across replicas",
            changelog.keys_compared,
        ),
        ("repair_changelog_writes_total", "Merges written by change-log repair", changelog.writes),
        ("repair_changelog_requeued_total", "Logged keys pushed back for a retry", changelog.requeued),
        (
            "repair_changelog_dropped_total",
            "Logged keys given up (the range repair covers them)",
            changelog.dropped,
        ),
        ("repair_range_runs_total", "Range repairs finished", range.runs),
        (
            "repair_range_buckets_compared_total",
            "Digest buckets compared by range repair",
            range.buckets_compared,
        ),
        ("repair_range_buckets_differing_total", "Digest buckets that differed", range.buckets_differing),
        ("repair_range_keys_compared_total", "Keys compared by range repair", range.keys_compared),
        ("repair_range_keys_shipped_total", "Keys written by range repair", range.keys_shipped),
        ("repair_range_failed_total", "Token ranges whose repair failed", range.ranges_failed),
        (
            "tombstone_collections_total",
            "Tombstone collections (gc runs) on replicas",
            status.tombstone_collections,
        ),
    ];
    for (name, help, value) in counters.into_iter().chain(repair) {
        family(out, &format!("dynomite_{name}"), "counter", help);
        let _ = writeln!(out, "dynomite_{name} {value}");
    }
    let gauges: [(&str, &str, u64); 3] = [
        (
            "repair_enabled",
            "1 when background repair runs on this node (CRDT mode)",
            u64::from(status.enabled),
        ),
        ("repair_range_ranges_total", "Token ranges of the current or last range repair", range.ranges_total),
        (
            "repair_range_ranges_done",
            "Token ranges done in the current or last range repair",
            range.ranges_done,
        ),
    ];
    for (name, help, value) in gauges {
        family(out, &format!("dynomite_{name}"), "gauge", help);
        let _ = writeln!(out, "dynomite_{name} {value}");
    }
    family(out, "dynomite_hints_dropped_total", "counter", "Hinted writes dropped over the hints bounds");
    let dropped: u64 =
        node.peer_links().filter_map(|(_, link)| link.hint_stats()).map(|hints| hints.dropped).sum();
    let _ = writeln!(out, "dynomite_hints_dropped_total {dropped}");
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn histogram_family(out: &mut String, name: &str, help: &str, snapshot: &HistogramSnapshot) {
    family(out, name, "histogram", help);
    let mut cumulative = 0_u64;
    for index in 0..BUCKETS {
        cumulative += snapshot.buckets[index];
        match bucket_upper_bound(index) {
            Some(bound) => {
                let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
            }
            None => {
                let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
            }
        }
    }
    let _ = writeln!(out, "{name}_sum {}", snapshot.sum);
    // The count is the +Inf bucket, so the two agree even if a value lands while this is read.
    let _ = writeln!(out, "{name}_count {cumulative}");
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Histogram;

    #[test]
    fn histograms_are_cumulative_with_an_inf_bucket() {
        let histogram = Histogram::default();
        for value in [1, 3, 3, 1000, u64::MAX / 2] {
            histogram.record(value);
        }
        let mut out = String::new();
        histogram_family(&mut out, "x", "help", &histogram.snapshot());
        assert!(out.starts_with("# HELP x help\n# TYPE x histogram\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"1\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"4\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"1024\"} 4\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 5\nx_sum "), "{out}");
        assert!(out.ends_with("x_count 5\n"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
