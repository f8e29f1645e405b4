//! Replaying a plan: [`FaultState`] is what is currently broken after some events, and
//! [`FaultPlan::check`] replays a whole plan and enforces its rules. The simulator can use the same
//! state to know which nodes are down or lost their data.

use std::collections::{BTreeMap, BTreeSet};

use crate::fault::Fault;
use crate::plan::FaultPlan;
use crate::shape::Shape;

/// A rule of fault plans that a plan breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// An event is earlier than the one before it.
    #[error("event {index} at {at_ms} ms comes after an event at {previous_ms} ms")]
    OutOfOrder {
        /// Position of the event in the plan.
        index: usize,
        /// Its time.
        at_ms: u64,
        /// The previous event's time.
        previous_ms: u64,
    },
    /// A node index outside the shape.
    #[error("node {node} does not exist in a cluster of {node_count} nodes")]
    NodeOutOfRange {
        /// The bad index.
        node: usize,
        /// Nodes in the shape.
        node_count: usize,
    },
    /// A rack or datacenter outside the shape.
    #[error("rack {rack} of datacenter {datacenter} does not exist")]
    RackOutOfRange {
        /// The datacenter index.
        datacenter: usize,
        /// The rack index (0 when only the datacenter was named).
        rack: usize,
    },
    /// A node is killed while already down.
    #[error("node {node} is killed at {at_ms} ms while already down")]
    KillOfDownNode {
        /// The node.
        node: usize,
        /// When.
        at_ms: u64,
    },
    /// A node is restarted while running.
    #[error("node {node} is restarted at {at_ms} ms without having been killed")]
    RestartOfRunningNode {
        /// The node.
        node: usize,
        /// When.
        at_ms: u64,
    },
    /// More nodes are down at once than the plan's kind allows.
    #[error("{down} nodes are down at {at_ms} ms; this kind allows at most {limit}")]
    TooManyNodesDown {
        /// Nodes down.
        down: usize,
        /// The kind's limit.
        limit: usize,
        /// When.
        at_ms: u64,
    },
    /// A killed node is still down when the final heal comes (restarts must be explicit).
    #[error("node {node} is still down at the final heal")]
    RestartMissing {
        /// The node.
        node: usize,
    },
    /// The plan does not end with `Heal` at `heal_at_ms`.
    #[error("the plan does not end with Heal at {heal_at_ms} ms")]
    MissingFinalHeal {
        /// The plan's heal time.
        heal_at_ms: u64,
    },
}

/// What a replay of a whole plan saw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanSummary {
    /// Most nodes down at the same time.
    pub nodes_down_max: usize,
    /// Node kills (a rack or datacenter kill counts each of its nodes).
    pub node_kills: usize,
    /// Kills that wipe the node's data.
    pub data_wipes: usize,
    /// Isolations and one-way clogs installed.
    pub partitions: usize,
    /// Largest absolute clock offset set.
    pub clock_offset_ms_max: u64,
}

/// What is broken right now: nodes down, isolations, clogs and clock offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultState {
    /// The cluster shape the indexes refer to.
    shape: Shape,
    /// Nodes currently killed.
    down: BTreeSet<usize>,
    /// Nodes whose datastore lost its data at some kill (never cleared: the loss already happened).
    wiped: BTreeSet<usize>,
    /// Racks cut off, as `(datacenter, rack)`.
    isolated_racks: BTreeSet<(usize, usize)>,
    /// Datacenters cut off.
    isolated_datacenters: BTreeSet<usize>,
    /// One-way clogs as `(from, to)`.
    clogs: BTreeSet<(usize, usize)>,
    /// Non-zero clock offsets by node.
    clock_offsets_ms: BTreeMap<usize, i64>,
}

impl FaultState {
    /// A healthy cluster of `shape`.
    pub fn new(shape: Shape) -> FaultState {
        shape.assert_valid();
        FaultState {
            shape,
            down: BTreeSet::new(),
            wiped: BTreeSet::new(),
            isolated_racks: BTreeSet::new(),
            isolated_datacenters: BTreeSet::new(),
            clogs: BTreeSet::new(),
            clock_offsets_ms: BTreeMap::new(),
        }
    }

    /// Nodes currently down.
    pub fn nodes_down(&self) -> &BTreeSet<usize> {
        &self.down
    }

    /// Nodes whose datastore lost its data at some point so far.
    pub fn nodes_wiped(&self) -> &BTreeSet<usize> {
        &self.wiped
    }

    /// A node's current clock offset in ms.
    pub fn clock_offset_ms(&self, node: usize) -> i64 {
        self.clock_offsets_ms.get(&node).copied().unwrap_or(0)
    }

    /// True when nothing is broken (wiped data aside, which cannot be undone).
    pub fn is_healed(&self) -> bool {
        self.down.is_empty()
            && self.isolated_racks.is_empty()
            && self.isolated_datacenters.is_empty()
            && self.clogs.is_empty()
            && self.clock_offsets_ms.is_empty()
    }

    /// Applies one fault at `at_ms` (the time only appears in errors).
    pub fn apply(&mut self, at_ms: u64, fault: &Fault) -> Result<(), PlanError> {
        match *fault {
            Fault::KillNode { node, wipe_data } => {
                self.kill(at_ms, node..node + 1)?;
                if wipe_data {
                    self.wiped.insert(node);
                }
            }
            Fault::RestartNode { node } => self.restart(at_ms, node..node + 1)?,
            Fault::KillRack { datacenter, rack } => self.kill(at_ms, self.rack_nodes(datacenter, rack)?)?,
            Fault::RestartRack { datacenter, rack } => {
                self.restart(at_ms, self.rack_nodes(datacenter, rack)?)?
            }
            Fault::KillDatacenter { datacenter } => self.kill(at_ms, self.datacenter_nodes(datacenter)?)?,
            Fault::RestartDatacenter { datacenter } => {
                self.restart(at_ms, self.datacenter_nodes(datacenter)?)?
            }
            Fault::IsolateRack { datacenter, rack } => {
                self.rack_nodes(datacenter, rack)?;
                self.isolated_racks.insert((datacenter, rack));
            }
            Fault::IsolateDatacenter { datacenter } => {
                self.datacenter_nodes(datacenter)?;
                self.isolated_datacenters.insert(datacenter);
            }
            Fault::ClogOneWay { from, to } => {
                self.check_node(from)?;
                self.check_node(to)?;
                self.clogs.insert((from, to));
            }
            Fault::Heal => self.heal(),
            Fault::SetClockOffset { node, offset_ms } => self.set_clock_offset(node, offset_ms)?,
            // A serving state changes what a running node answers, not what is broken.
            Fault::SetNodeState { node, .. } => self.check_node(node)?,
        }
        Ok(())
    }

    /// Lifts everything but data loss.
    fn heal(&mut self) {
        self.down.clear();
        self.isolated_racks.clear();
        self.isolated_datacenters.clear();
        self.clogs.clear();
        self.clock_offsets_ms.clear();
    }

    /// Records a clock offset (zero removes it).
    fn set_clock_offset(&mut self, node: usize, offset_ms: i64) -> Result<(), PlanError> {
        self.check_node(node)?;
        if offset_ms == 0 {
            self.clock_offsets_ms.remove(&node);
        } else {
            self.clock_offsets_ms.insert(node, offset_ms);
        }
        Ok(())
    }

    /// Marks nodes down; each must be running.
    fn kill(&mut self, at_ms: u64, nodes: std::ops::Range<usize>) -> Result<(), PlanError> {
        for node in nodes {
            self.check_node(node)?;
            if !self.down.insert(node) {
                return Err(PlanError::KillOfDownNode { node, at_ms });
            }
        }
        Ok(())
    }

    /// Marks nodes running; each must be down.
    fn restart(&mut self, at_ms: u64, nodes: std::ops::Range<usize>) -> Result<(), PlanError> {
        for node in nodes {
            self.check_node(node)?;
            if !self.down.remove(&node) {
                return Err(PlanError::RestartOfRunningNode { node, at_ms });
            }
        }
        Ok(())
    }

    /// Fails when the node is not in the shape.
    fn check_node(&self, node: usize) -> Result<(), PlanError> {
        let node_count = self.shape.node_count();
        if node < node_count {
            Ok(())
        } else {
            Err(PlanError::NodeOutOfRange { node, node_count })
        }
    }

    /// The nodes of a rack that exists.
    fn rack_nodes(&self, datacenter: usize, rack: usize) -> Result<std::ops::Range<usize>, PlanError> {
        if datacenter < self.shape.datacenters && rack < self.shape.racks_per_datacenter {
            Ok(self.shape.rack_nodes(datacenter, rack))
        } else {
            Err(PlanError::RackOutOfRange { datacenter, rack })
        }
    }

    /// The nodes of a datacenter that exists.
    fn datacenter_nodes(&self, datacenter: usize) -> Result<std::ops::Range<usize>, PlanError> {
        if datacenter < self.shape.datacenters {
            Ok(self.shape.datacenter_nodes(datacenter))
        } else {
            Err(PlanError::RackOutOfRange { datacenter, rack: 0 })
        }
    }
}

impl FaultPlan {
    /// Replays the plan on `shape` and enforces its rules: events sorted by time, indexes in range,
    /// kills only of running nodes and restarts only of killed ones, never more nodes down than the
    /// kind allows ([`crate::PlanKind::nodes_down_max`]), every killed node restarted explicitly before
    /// the final event, which is `Heal` at `heal_at_ms`.
    pub fn check(&self, shape: &Shape) -> Result<PlanSummary, PlanError> {
        let limit = self.kind.nodes_down_max(shape);
        let mut state = FaultState::new(*shape);
        let mut summary = PlanSummary::default();
        let mut previous_ms = 0;
        for (index, event) in self.events.iter().enumerate() {
            if event.at_ms < previous_ms {
                return Err(PlanError::OutOfOrder { index, at_ms: event.at_ms, previous_ms });
            }
            previous_ms = event.at_ms;
            let is_final = index + 1 == self.events.len();
            if is_final {
                self.check_final(&state, &event.fault, event.at_ms)?;
            }
            let down_before = state.nodes_down().len();
            state.apply(event.at_ms, &event.fault)?;
            summarize(&mut summary, &event.fault, down_before, state.nodes_down().len());
            if state.nodes_down().len() > limit {
                let down = state.nodes_down().len();
                return Err(PlanError::TooManyNodesDown { down, limit, at_ms: event.at_ms });
            }
        }
        if self.events.is_empty() {
            return Err(PlanError::MissingFinalHeal { heal_at_ms: self.heal_at_ms });
        }
        Ok(summary)
    }

    /// The last event must be the heal at `heal_at_ms`, with no node left down.
    fn check_final(&self, state: &FaultState, fault: &Fault, at_ms: u64) -> Result<(), PlanError> {
        if *fault != Fault::Heal || at_ms != self.heal_at_ms {
            return Err(PlanError::MissingFinalHeal { heal_at_ms: self.heal_at_ms });
        }
        match state.nodes_down().first() {
            Some(&node) => Err(PlanError::RestartMissing { node }),
            None => Ok(()),
        }
    }
}

/// Adds one applied fault to the summary.
fn summarize(summary: &mut PlanSummary, fault: &Fault, down_before: usize, down_after: usize) {
    summary.nodes_down_max = summary.nodes_down_max.max(down_after);
    summary.node_kills += down_after.saturating_sub(down_before);
    match fault {
        Fault::KillNode { wipe_data: true, .. } => summary.data_wipes += 1,
        Fault::IsolateRack { .. } | Fault::IsolateDatacenter { .. } | Fault::ClogOneWay { .. } => {
            summary.partitions += 1
        }
        Fault::SetClockOffset { offset_ms, .. } => {
            summary.clock_offset_ms_max = summary.clock_offset_ms_max.max(offset_ms.unsigned_abs())
        }
        _ => {}
    }
}
