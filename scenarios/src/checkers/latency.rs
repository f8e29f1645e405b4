//! A bound on request latency once faults stand still: a peer that goes silent (an isolated rack, a
//! clogged link: no FIN, no RST) is detected by missed heartbeats within `peer_heartbeat_timeout`
//! (default 1.5 s), after which requests that need it fail fast instead of waiting out `timeout`
//! (5 s). So no request may take [`SLOW_MS`] or more when no fault began or ended from
//! [`STEADY_MS`] before it was sent until it was answered (requests from a client an isolation cuts
//! off from its node are not judged: the client itself waits out its own timeout).

use crate::checkers::{show_operation, Facts, Verdict, Violations};

/// The checker's name.
pub const REQUEST_LATENCY_BOUND: &str = "request latency bound after silent faults";
/// A request this slow waited out a timeout.
pub const SLOW_MS: u64 = 4_000;
/// Faults unchanged this long have been detected (heartbeat bound plus margin).
pub const STEADY_MS: u64 = 2_500;

/// Enforces the bound of this module's documentation.
pub fn request_latency_bound(facts: &Facts<'_>) -> Verdict {
    let mut violations = Violations::default();
    let mut judged = 0usize;
    let events = facts.timeline.events();
    for operation in &facts.history.operations {
        let from_ms = operation.invoked_ms.saturating_sub(STEADY_MS);
        let changed =
            events.iter().any(|event| event.at_ms >= from_ms && event.at_ms <= operation.completed_ms);
        let client_datacenter = operation.client / facts.clients_per_datacenter.max(1);
        if changed || facts.timeline.client_cut_off(operation.node, client_datacenter, operation.invoked_ms) {
            continue;
        }
        judged += 1;
        let took = operation.completed_ms - operation.invoked_ms;
        if took >= SLOW_MS {
            violations.push(|| {
                format!(
                    "{} took {took} ms with no fault change since {from_ms} ms",
                    show_operation(operation)
                )
            });
        }
    }
    violations.into_verdict(REQUEST_LATENCY_BOUND, format!("{judged} requests sent into steady fault states"))
}
