//! Fault-space coverage: how often each interesting event happened in a run, summed over a sweep, so
//! a sweep shows what it exercised (a checker that never saw a rack kill proves nothing about one).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use dynomite_chaos::Fault;

use crate::checkers::LinkSample;
use crate::history::{History, Outcome};

/// Event counts by name (sorted by name when printed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    counts: BTreeMap<&'static str, u64>,
}

/// Every event name, in print order (all are printed, zeros included).
pub const EVENTS: [&str; 18] = [
    "node-kills",
    "node-kills-with-data-loss",
    "rack-kills",
    "datacenter-kills",
    "rack-isolations",
    "datacenter-isolations",
    "one-way-clogs",
    "clock-offsets",
    "ejections",
    "link-reconnects",
    "quorum-failures",
    "peer-not-connected-errors",
    "timeouts",
    "read-repairs",
    "pipelined-batches",
    "multi-key-requests",
    "scans",
    "expires",
];

impl Coverage {
    /// The events of one run.
    pub fn of_run(faults: &[Fault], history: &History, links: &[LinkSample]) -> Coverage {
        let mut coverage = Coverage::default();
        for fault in faults {
            let name = match fault {
                Fault::KillNode { wipe_data: false, .. } => "node-kills",
                Fault::KillNode { wipe_data: true, .. } => "node-kills-with-data-loss",
                Fault::KillRack { .. } => "rack-kills",
                Fault::KillDatacenter { .. } => "datacenter-kills",
                Fault::IsolateRack { .. } => "rack-isolations",
                Fault::IsolateDatacenter { .. } => "datacenter-isolations",
                Fault::ClogOneWay { .. } => "one-way-clogs",
                Fault::SetClockOffset { .. } => "clock-offsets",
                Fault::SetNodeState { .. } => "node-states",
                _ => continue,
            };
            coverage.add(name, 1);
        }
        let mut previous: BTreeMap<(usize, usize), (bool, bool)> = BTreeMap::new();
        for sample in links {
            for (from, to, connected, ejected) in &sample.states {
                if let Some((was_connected, was_ejected)) =
                    previous.insert((*from, *to), (*connected, *ejected))
                {
                    if *connected && !was_connected {
                        coverage.add("link-reconnects", 1);
                    }
                    if *ejected && !was_ejected {
                        coverage.add("ejections", 1);
                    }
                }
            }
        }
        let mut batches: BTreeMap<(u64, u64), usize> = BTreeMap::new();
        for operation in &history.operations {
            *batches.entry((operation.connection, operation.batch)).or_default() += 1;
            let keys = operation.command.keys().len();
            if keys > 1 {
                coverage.add("multi-key-requests", 1);
            }
            match operation.command.name() {
                "EXPIRE" => coverage.add("expires", 1),
                "SCAN" if operation.command.args()[1].as_ref() == b"0" => coverage.add("scans", 1),
                _ => {}
            }
            let text = match &operation.outcome {
                Outcome::Failed(error) => error.to_ascii_lowercase(),
                Outcome::Indeterminate(reason) => {
                    coverage.add("timeouts", u64::from(reason.contains("no reply")));
                    continue;
                }
                Outcome::Ok(_) => continue,
            };
            if text.contains("quorum") {
                coverage.add("quorum-failures", 1);
            }
            if text.contains("not connected") {
                coverage.add("peer-not-connected-errors", 1);
            }
            if text.contains("timed out") || text.contains("timeout") {
                coverage.add("timeouts", 1);
            }
        }
        coverage.add("pipelined-batches", batches.values().filter(|size| **size > 1).count() as u64);
        coverage
    }

    fn add(&mut self, name: &'static str, count: u64) {
        *self.counts.entry(name).or_default() += count;
    }

    /// Adds another run's (or sweep's) counts.
    pub fn merge(&mut self, other: &Coverage) {
        for (name, count) in &other.counts {
            *self.counts.entry(name).or_default() += count;
        }
    }

    /// The count of one event.
    pub fn count(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }

    /// One line per event, in [`EVENTS`] order.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for name in EVENTS {
            let _ = writeln!(text, "  {name:<28} {}", self.count(name));
        }
        text
    }
}
