//! What the run's faults did to connectivity, over time: the plan's events (kills, restarts,
//! isolations, clogs, heals) and the peer-link health the runner sampled. Checkers ask it whether a
//! link stayed up for a write's lifetime, whether a node lost its data, and which windows were quiet.

use std::collections::BTreeMap;

use dynomite_chaos::{Fault, FaultEvent, Shape};

/// A write's copies may still travel this long after the client got its answer (a DC_ONE write is
/// answered after one replica; cross-datacenter links take up to 80 ms).
pub const DELIVERY_MARGIN_MS: u64 = 1_000;
/// After a fault is lifted, links take up to this long to reconnect: not quiet before.
pub const RECONNECT_MARGIN_MS: u64 = 3_000;

/// One sample of every peer link: `(from, to, connected, ejected)`, where `connected` means every
/// connection of the link was up when sampled and none was lost since the previous sample (a link
/// that broke and reconnected in between was not up throughout, and requests sent to it then may
/// have failed at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSample {
    /// When, in ms since the workload started.
    pub at_ms: u64,
    /// Every link of every serving node.
    pub states: Vec<(usize, usize, bool, bool)>,
}

/// One reading of a peer link from its node: `(from, to, every connection up, ejected, connections
/// lost since the node started)`.
pub type LinkReading = (usize, usize, bool, bool, u64);

impl LinkSample {
    /// The sample of `readings` taken at `at_ms`. `lost_before` holds each link's loss count at the
    /// previous sample and is updated: a link whose count changed since then lost a connection in
    /// between (and maybe reconnected before this reading: a one-way clog lets a link reconnect at
    /// once and die again at the heartbeat bound, down for ~50 ms each time, which a 100 ms sampler
    /// mostly misses) and does not count as connected.
    pub fn from_readings(
        at_ms: u64,
        readings: impl IntoIterator<Item = LinkReading>,
        lost_before: &mut BTreeMap<(usize, usize), u64>,
    ) -> LinkSample {
        let states = readings
            .into_iter()
            .map(|(from, to, connected, ejected, lost)| {
                let previous = lost_before.insert((from, to), lost);
                let continuous = previous.is_none_or(|before| before == lost);
                (from, to, connected && continuous, ejected)
            })
            .collect();
        LinkSample { at_ms, states }
    }
}

/// The run's faults and link health.
#[derive(Debug, Clone)]
pub struct Timeline {
    shape: Shape,
    events: Vec<FaultEvent>,
    samples: Vec<LinkSample>,
    /// `(node, at_ms)` of every kill that wiped the node's datastore.
    wipes: Vec<(usize, u64)>,
    /// Largest clock offset set, in ms.
    skew_max_ms: u64,
}

impl Timeline {
    /// The timeline of `events` (the plan, in time order) and link `samples` (in time order).
    pub fn new(shape: Shape, events: Vec<FaultEvent>, samples: Vec<LinkSample>) -> Timeline {
        let wipes = events
            .iter()
            .filter_map(|event| match event.fault {
                Fault::KillNode { node, wipe_data: true } => Some((node, event.at_ms)),
                _ => None,
            })
            .collect();
        let skew_max_ms = events
            .iter()
            .filter_map(|event| match event.fault {
                Fault::SetClockOffset { offset_ms, .. } => Some(offset_ms.unsigned_abs()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        Timeline { shape, events, samples, wipes, skew_max_ms }
    }

    /// The fault events.
    pub fn events(&self) -> &[FaultEvent] {
        &self.events
    }

    /// The link samples.
    pub fn samples(&self) -> &[LinkSample] {
        &self.samples
    }

    /// The largest clock offset any node had, in ms.
    pub fn skew_max_ms(&self) -> u64 {
        self.skew_max_ms
    }

    /// True when node `node`'s datastore was wiped at or after `from_ms`.
    pub fn wiped_since(&self, node: usize, from_ms: u64) -> bool {
        self.wipes.iter().any(|(wiped, at_ms)| *wiped == node && *at_ms >= from_ms)
    }

    /// True when node `node`'s datastore was wiped within `[from_ms, to_ms]`.
    pub fn wiped_between(&self, node: usize, from_ms: u64, to_ms: u64) -> bool {
        self.wipes.iter().any(|(wiped, at_ms)| *wiped == node && (from_ms..=to_ms).contains(at_ms))
    }

    /// True when a connectivity event (not a clock change) touched `node` in `[from_ms, to_ms]`.
    pub fn touched(&self, node: usize, from_ms: u64, to_ms: u64) -> bool {
        self.events_in(from_ms, to_ms).any(|event| self.touches(&event.fault, node))
    }

    /// True when `from`'s link to `to` was up (sampled connected, not ejected) for all of
    /// `[from_ms, to_ms]`, and no fault touched either end from [`RECONNECT_MARGIN_MS`] before until
    /// then. A node's link to itself is up unless a fault touched the node.
    pub fn link_up(&self, from: usize, to: usize, from_ms: u64, to_ms: u64) -> bool {
        // A fault that began shortly before is not yet visible in the link's health (a silent peer
        // is detected only after the heartbeat bound), and one lifted shortly before may still have
        // links reconnecting: look back by the reconnect margin.
        let since_ms = from_ms.saturating_sub(RECONNECT_MARGIN_MS);
        if from == to {
            return !self.touched(from, since_ms, to_ms);
        }
        if self.touched(from, since_ms, to_ms) || self.touched(to, since_ms, to_ms) {
            return false;
        }
        if self.samples.is_empty() {
            return false;
        }
        // Every sample from the last one at or before `from_ms` to the first at or after `to_ms`.
        let first = self.samples.partition_point(|sample| sample.at_ms <= from_ms).saturating_sub(1);
        let last = self.samples.partition_point(|sample| sample.at_ms < to_ms).min(self.samples.len() - 1);
        if first > last {
            return false;
        }
        self.samples[first..=last].iter().all(|sample| {
            sample
                .states
                .iter()
                .any(|(a, b, connected, ejected)| *a == from && *b == to && *connected && !*ejected)
        })
    }

    /// True when `[from_ms, to_ms]` is quiet: no fault active, none lifted within
    /// [`RECONNECT_MARGIN_MS`] before, and every sampled link up. Clock offsets do not count.
    pub fn quiet(&self, from_ms: u64, to_ms: u64) -> bool {
        if self.events_in(from_ms.saturating_sub(RECONNECT_MARGIN_MS), to_ms).next().is_some() {
            return false;
        }
        if !self.healthy_at(from_ms) {
            return false;
        }
        let first = self.samples.partition_point(|sample| sample.at_ms < from_ms);
        let last = self.samples.partition_point(|sample| sample.at_ms <= to_ms);
        self.samples[first..last.max(first)]
            .iter()
            .all(|sample| sample.states.iter().all(|(_, _, connected, ejected)| *connected && !*ejected))
    }

    /// The maximal quiet windows within `[0, end_ms]`, as `(from_ms, to_ms)`.
    pub fn quiet_windows(&self, end_ms: u64) -> Vec<(u64, u64)> {
        let mut boundaries: Vec<u64> = vec![0];
        boundaries.extend(self.connectivity_events().map(|event| event.at_ms));
        boundaries.push(end_ms);
        let mut windows = Vec::new();
        for pair in boundaries.windows(2) {
            let (start, end) = (pair[0], pair[1]);
            let from = if start == 0 { 0 } else { start + RECONNECT_MARGIN_MS };
            if from < end && self.healthy_at(from) {
                windows.push((from, end));
            }
        }
        windows
    }

    /// True when, at `at_ms`, an isolation in force cuts node `node` off from a client host of
    /// datacenter `client_datacenter` (a rack isolation cuts its nodes off from every client; a
    /// datacenter isolation cuts its nodes off from other datacenters' clients and vice versa).
    pub fn client_cut_off(&self, node: usize, client_datacenter: usize, at_ms: u64) -> bool {
        let mut cut = false;
        for event in self.connectivity_events().take_while(|event| event.at_ms <= at_ms) {
            match event.fault {
                Fault::IsolateRack { datacenter, rack }
                    if self.shape.rack_nodes(datacenter, rack).contains(&node) =>
                {
                    cut = true
                }
                Fault::IsolateDatacenter { datacenter }
                    if (self.shape.datacenter_of(node) == datacenter)
                        != (client_datacenter == datacenter) =>
                {
                    cut = true
                }
                Fault::Heal => cut = false,
                _ => {}
            }
        }
        cut
    }

    /// True when no fault is active at `at_ms` (replaying the plan up to then).
    fn healthy_at(&self, at_ms: u64) -> bool {
        let mut state = dynomite_chaos::FaultState::new(self.shape);
        for event in self.connectivity_events().take_while(|event| event.at_ms <= at_ms) {
            let _ = state.apply(event.at_ms, &event.fault);
        }
        state.nodes_down().is_empty() && !self.partitioned(at_ms)
    }

    /// True when an isolation or clog is in force at `at_ms`.
    fn partitioned(&self, at_ms: u64) -> bool {
        let mut partitioned = false;
        for event in self.connectivity_events().take_while(|event| event.at_ms <= at_ms) {
            match event.fault {
                Fault::IsolateRack { .. } | Fault::IsolateDatacenter { .. } | Fault::ClogOneWay { .. } => {
                    partitioned = true
                }
                Fault::Heal => partitioned = false,
                _ => {}
            }
        }
        partitioned
    }

    fn connectivity_events(&self) -> impl Iterator<Item = &FaultEvent> {
        self.events
            .iter()
            .filter(|event| !matches!(event.fault, Fault::SetClockOffset { .. } | Fault::SetNodeState { .. }))
    }

    fn events_in(&self, from_ms: u64, to_ms: u64) -> impl Iterator<Item = &FaultEvent> {
        self.connectivity_events().filter(move |event| event.at_ms >= from_ms && event.at_ms <= to_ms)
    }

    /// True when `fault` changes something on `node`'s connectivity (a heal touches everything).
    fn touches(&self, fault: &Fault, node: usize) -> bool {
        let shape = &self.shape;
        match *fault {
            Fault::KillNode { node: other, .. } | Fault::RestartNode { node: other } => other == node,
            Fault::KillRack { datacenter, rack }
            | Fault::RestartRack { datacenter, rack }
            | Fault::IsolateRack { datacenter, rack } => shape.rack_nodes(datacenter, rack).contains(&node),
            Fault::KillDatacenter { datacenter }
            | Fault::RestartDatacenter { datacenter }
            | Fault::IsolateDatacenter { datacenter } => shape.datacenter_of(node) == datacenter,
            Fault::ClogOneWay { from, to } => from == node || to == node,
            Fault::Heal => true,
            Fault::SetClockOffset { .. } | Fault::SetNodeState { .. } => false,
        }
    }
}
