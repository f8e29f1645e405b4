//! The plan kinds, named as users know them, with their limits.

use std::fmt;
use std::str::FromStr;

use crate::shape::Shape;

/// Which family of faults a plan draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlanKind {
    /// Chaos Monkey: one random node killed then restarted at a time; its datastore keeps its data.
    Monkey,
    /// Chaos Monkey with data loss: as `Monkey`, but each killed node's datastore comes back empty.
    MonkeyWipe,
    /// Chaos Gorilla: one whole rack down at a time.
    Gorilla,
    /// Chaos Kong: one whole datacenter down or isolated at a time.
    Kong,
    /// Network partitions: a rack or datacenter isolated, or one-way clogged links; no node is killed.
    Partition,
    /// Clock skew: per-node clock offsets and jumps, within a drawn bound; no node is killed.
    Skew,
    /// Flapping: one node killed and restarted repeatedly at seed-drawn intervals.
    Flap,
    /// Swarm: the other kinds mixed, with every rate and intensity drawn from the seed (VOPR-style).
    Swarm,
}

impl PlanKind {
    /// Every kind, in the order of the documentation.
    pub const ALL: [PlanKind; 8] = [
        PlanKind::Monkey,
        PlanKind::MonkeyWipe,
        PlanKind::Gorilla,
        PlanKind::Kong,
        PlanKind::Partition,
        PlanKind::Skew,
        PlanKind::Flap,
        PlanKind::Swarm,
    ];

    /// The name users type (`monkey`, `monkey-wipe`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PlanKind::Monkey => "monkey",
            PlanKind::MonkeyWipe => "monkey-wipe",
            PlanKind::Gorilla => "gorilla",
            PlanKind::Kong => "kong",
            PlanKind::Partition => "partition",
            PlanKind::Skew => "skew",
            PlanKind::Flap => "flap",
            PlanKind::Swarm => "swarm",
        }
    }

    /// The most nodes this kind ever has down (killed) at the same time in a cluster of `shape`.
    pub fn nodes_down_max(self, shape: &Shape) -> usize {
        match self {
            PlanKind::Monkey | PlanKind::MonkeyWipe | PlanKind::Flap => 1,
            PlanKind::Gorilla => shape.nodes_per_rack,
            PlanKind::Kong | PlanKind::Swarm => shape.nodes_per_datacenter(),
            PlanKind::Partition | PlanKind::Skew => 0,
        }
    }
}

impl fmt::Display for PlanKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A plan kind name that is not one of [`PlanKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault plan kind {given:?}; expected one of: monkey, monkey-wipe, gorilla, kong, partition, skew, flap, swarm")]
pub struct ParsePlanKindError {
    /// The name that was given.
    pub given: String,
}

impl FromStr for PlanKind {
    type Err = ParsePlanKindError;

    fn from_str(text: &str) -> Result<PlanKind, ParsePlanKindError> {
        let lower = text.to_ascii_lowercase();
        PlanKind::ALL
            .into_iter()
            .find(|kind| kind.name() == lower)
            .ok_or_else(|| ParsePlanKindError { given: text.to_string() })
    }
}
