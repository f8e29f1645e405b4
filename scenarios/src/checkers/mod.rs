//! Invariant checkers: pure functions of a [`crate::history::History`] (plus what the scenario knows:
//! the cluster shape, thresholds, whether data was lost) that return a [`Verdict`]. Each one can fail:
//! `scenarios/tests/checkers_*.rs` builds histories that break each rule.

mod availability;
mod convergence;
mod phantom;
mod quorum;
mod read_your_writes;

pub use availability::{availability, AVAILABILITY};
pub use convergence::{convergence, ReplicaValues, CONVERGENCE};
pub use phantom::{no_phantom_values, NO_PHANTOM_VALUES};
pub use quorum::{quorum_honesty, QUORUM_HONESTY};
pub use read_your_writes::{read_your_acknowledged_writes, READ_YOUR_ACKNOWLEDGED_WRITES};

use bytes::Bytes;

/// Most violations spelled out in a verdict's detail; the rest are only counted.
pub const VIOLATIONS_SHOWN_MAX: usize = 5;
/// Most bytes of a key or value shown in a detail.
const SHOWN_BYTES_MAX: usize = 40;

/// The result of one checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The checker's name (one of the `*` name constants of this module).
    pub name: &'static str,
    /// True when the invariant held.
    pub passed: bool,
    /// What was checked and, on failure, the first violations.
    pub detail: String,
    /// True for a verdict that is reported but does not fail the run (convergence, for now).
    pub soft: bool,
}

impl Verdict {
    /// True when this verdict makes the run fail.
    pub fn fails_run(&self) -> bool {
        !self.passed && !self.soft
    }
}

/// Violations found by one checker: all counted, the first few described.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    /// How many were found.
    count: usize,
    /// The first [`VIOLATIONS_SHOWN_MAX`] descriptions.
    shown: Vec<String>,
}

impl Violations {
    /// Records one violation; `describe` runs only for the first few.
    pub(crate) fn push(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.shown.len() < VIOLATIONS_SHOWN_MAX {
            self.shown.push(describe());
        }
    }

    /// A hard verdict: passed when nothing was found; `checked` says what was examined.
    pub(crate) fn into_verdict(self, name: &'static str, checked: String) -> Verdict {
        let passed = self.count == 0;
        let detail = if passed {
            format!("{checked}; no violation")
        } else {
            format!("{checked}; {} violations: {}", self.count, self.shown.join("; "))
        };
        Verdict { name, passed, detail, soft: false }
    }
}

/// A key or value as text for a detail: lossy UTF-8, cut to [`SHOWN_BYTES_MAX`] bytes.
pub(crate) fn show(bytes: &Bytes) -> String {
    let cut = &bytes[..bytes.len().min(SHOWN_BYTES_MAX)];
    let text = String::from_utf8_lossy(cut);
    if bytes.len() > SHOWN_BYTES_MAX {
        format!("{text:?}...")
    } else {
        format!("{text:?}")
    }
}

/// An optional value as text (`nil` for `None`).
pub(crate) fn show_value(value: Option<&Bytes>) -> String {
    value.map_or_else(|| "nil".to_string(), show)
}
