//! The faults a plan schedules, in terms of node, rack and datacenter indexes of a [`crate::Shape`].

/// One fault the simulator applies. Racks are numbered within their datacenter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Kill one node; `wipe_data` says whether its datastore comes back empty on restart.
    KillNode {
        /// The node index.
        node: usize,
        /// True when the node's datastore loses its data.
        wipe_data: bool,
    },
    /// Restart a killed node.
    RestartNode {
        /// The node index.
        node: usize,
    },
    /// Kill every node of one rack (data kept).
    KillRack {
        /// The datacenter index.
        datacenter: usize,
        /// The rack index within the datacenter.
        rack: usize,
    },
    /// Restart every node of a killed rack.
    RestartRack {
        /// The datacenter index.
        datacenter: usize,
        /// The rack index within the datacenter.
        rack: usize,
    },
    /// Kill every node of one datacenter (data kept).
    KillDatacenter {
        /// The datacenter index.
        datacenter: usize,
    },
    /// Restart every node of a killed datacenter.
    RestartDatacenter {
        /// The datacenter index.
        datacenter: usize,
    },
    /// Cut one rack off from every other node, both ways, until the next `Heal`.
    IsolateRack {
        /// The datacenter index.
        datacenter: usize,
        /// The rack index within the datacenter.
        rack: usize,
    },
    /// Cut one datacenter off from every other datacenter, both ways, until the next `Heal`.
    IsolateDatacenter {
        /// The datacenter index.
        datacenter: usize,
    },
    /// Drop everything `from` sends to `to` (the reverse direction still works) until the next `Heal`.
    ClogOneWay {
        /// The sending node index.
        from: usize,
        /// The receiving node index.
        to: usize,
    },
    /// Lift every fault: restart every killed node (data kept), remove every isolation and clog, and
    /// set every clock offset back to zero.
    Heal,
    /// Set a running node's serving state (admin `/state/...`); nothing when it is down. A node killed
    /// and restarted is `Normal` again.
    SetNodeState {
        /// The node index.
        node: usize,
        /// What it serves from now on.
        state: ServingState,
    },
    /// Set one node's clock to run `offset_ms` ahead of (negative: behind) true time, from now on.
    SetClockOffset {
        /// The node index.
        node: usize,
        /// The offset from true time in milliseconds.
        offset_ms: i64,
    },
}

/// A node's serving state, as set by an operator on the admin port (`/state/normal`,
/// `/state/writes_only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServingState {
    /// Serves everything.
    Normal,
    /// Refuses reads: its data is incomplete (warm-up after losing it).
    WritesOnly,
}

/// A fault and when to apply it, in milliseconds from the start of the fault phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultEvent {
    /// When to apply the fault, in ms since the start of the fault phase.
    pub at_ms: u64,
    /// What to do.
    pub fault: Fault,
}

impl FaultEvent {
    /// A fault at a time.
    pub fn new(at_ms: u64, fault: Fault) -> FaultEvent {
        FaultEvent { at_ms, fault }
    }
}
