//! Availability: the fraction of operations that succeeded, over every level, and over the quorum
//! levels alone (DC_QUORUM and DC_SAFE_QUORUM, where read repair answers a merge instead of failing on
//! differing replies; DC_ONE requests fail by design while their rack's replica is down).

use dynomite_core::config::Consistency;

use crate::checkers::Verdict;
use crate::history::{History, Outcome};

/// The checker's name.
pub const AVAILABILITY: &str = "availability";
/// The quorum-level checker's name.
pub const QUORUM_AVAILABILITY: &str = "availability at DC_QUORUM and DC_SAFE_QUORUM";

/// [`availability`] of the DC_QUORUM and DC_SAFE_QUORUM requests of `history` alone (the runner passes
/// the requests whose coordinator survived them).
pub fn quorum_availability(history: &History, minimum_ok_fraction: f64) -> Verdict {
    let operations = history
        .operations
        .iter()
        .filter(|operation| {
            matches!(operation.consistency, Consistency::DcQuorum | Consistency::DcSafeQuorum)
        })
        .cloned()
        .collect();
    Verdict { name: QUORUM_AVAILABILITY, ..availability(&History::new(operations), minimum_ok_fraction) }
}

/// Passes when at least `minimum_ok_fraction` (0.0 to 1.0) of all operations ended `Ok`; failed and
/// indeterminate operations both count against it. An empty history passes only when the minimum is
/// zero (a workload that recorded nothing is itself broken).
pub fn availability(history: &History, minimum_ok_fraction: f64) -> Verdict {
    let total = history.operations.len();
    let mut ok = 0usize;
    let mut failed = 0usize;
    for operation in &history.operations {
        match operation.outcome {
            Outcome::Ok { .. } => ok += 1,
            Outcome::Failed { .. } => failed += 1,
            Outcome::Indeterminate { .. } => {}
        }
    }
    let indeterminate = total - ok - failed;
    let fraction = if total == 0 { 0.0 } else { ok as f64 / total as f64 };
    let passed = if total == 0 { minimum_ok_fraction <= 0.0 } else { fraction >= minimum_ok_fraction };
    let detail = format!(
        "ok {ok} of {total} operations ({fraction:.3}), minimum {minimum_ok_fraction:.3}; \
         failed {failed}, indeterminate {indeterminate}"
    );
    Verdict { name: AVAILABILITY, passed, detail, soft: false }
}
