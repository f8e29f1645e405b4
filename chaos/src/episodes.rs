//! Episodes: one bounded burst of faults that is fully lifted when it ends, and the scheduler that lays
//! episodes end to end over the fault phase. Kinds that kill nodes are episodes one after another, so
//! never more than one episode's faults are active at once.

use std::ops::RangeInclusive;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::fault::{Fault, FaultEvent, ServingState};
use crate::kind::PlanKind;
use crate::knobs::Knobs;
use crate::shape::Shape;

/// Upper bound on episodes per plan, whatever the phase length.
pub(crate) const EPISODES_MAX: usize = 4096;
/// Shortest quiet time between two episodes, and shortest fault, in milliseconds.
pub(crate) const INTERVAL_MS_MIN: u64 = 50;
/// Most one-way clogs a partition episode installs at once.
pub(crate) const CLOGS_MAX: u64 = 4;
/// Most kill/restart cycles in one flapping burst of a swarm.
pub(crate) const FLAP_CYCLES_MAX: u64 = 8;
/// A percentage knob's range.
const PERCENT_RANGE: RangeInclusive<u64> = 0..=100;

/// Where a kind draws its timing knobs from: the quiet gap and the fault duration maxima.
struct TimingLimits {
    /// Range of the drawn maximum gap between episodes, in ms.
    gap_ms_max: RangeInclusive<u64>,
    /// Range of the drawn maximum fault duration, in ms.
    duration_ms_max: RangeInclusive<u64>,
}

/// Monkey: kills every few seconds, down for up to ten seconds.
const MONKEY_LIMITS: TimingLimits = TimingLimits { gap_ms_max: 500..=5_000, duration_ms_max: 200..=10_000 };
/// Gorilla: rarer, longer rack outages.
const GORILLA_LIMITS: TimingLimits =
    TimingLimits { gap_ms_max: 1_000..=8_000, duration_ms_max: 500..=10_000 };
/// Kong: datacenter outages up to fifteen seconds.
const KONG_LIMITS: TimingLimits = TimingLimits { gap_ms_max: 1_000..=8_000, duration_ms_max: 1_000..=15_000 };
/// Partition: isolations and clogs up to ten seconds.
const PARTITION_LIMITS: TimingLimits =
    TimingLimits { gap_ms_max: 500..=5_000, duration_ms_max: 500..=10_000 };
/// Flap: short up and down times.
const FLAP_LIMITS: TimingLimits = TimingLimits { gap_ms_max: 100..=2_000, duration_ms_max: 100..=2_000 };

/// Drawn timing of one kind: gaps and durations are drawn per episode up to these maxima.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// Longest quiet gap before an episode, in ms.
    gap_ms_max: u64,
    /// Longest fault duration, in ms.
    duration_ms_max: u64,
}

impl Timing {
    /// Draws and records `gap_ms_max` and `duration_ms_max` within `limits`.
    fn draw(rng: &mut ChaCha8Rng, knobs: &mut Knobs, prefix: &str, limits: &TimingLimits) -> Timing {
        let gap_ms_max = knobs.draw(rng, prefix, "gap_ms_max", limits.gap_ms_max.clone());
        let duration_ms_max = knobs.draw(rng, prefix, "duration_ms_max", limits.duration_ms_max.clone());
        Timing { gap_ms_max, duration_ms_max }
    }

    /// One quiet gap.
    fn gap(&self, rng: &mut ChaCha8Rng) -> u64 {
        rng.gen_range(INTERVAL_MS_MIN..=self.gap_ms_max)
    }

    /// One fault duration.
    fn duration(&self, rng: &mut ChaCha8Rng) -> u64 {
        rng.gen_range(INTERVAL_MS_MIN..=self.duration_ms_max)
    }
}

/// The faults of one episode; all of them are lifted at `end_ms`.
pub(crate) struct Episode {
    /// The episode's events, sorted by time.
    pub(crate) events: Vec<FaultEvent>,
    /// When the last fault of the episode is lifted.
    pub(crate) end_ms: u64,
}

/// A kind of episode with its drawn knobs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ingredient {
    /// One node down, then restarted; `wipe_percent` of kills lose the datastore's data.
    Monkey {
        /// Drawn timing.
        timing: Timing,
        /// Chance in percent that a kill wipes the node's data.
        wipe_percent: u64,
    },
    /// One rack down, then restarted.
    Gorilla {
        /// Drawn timing.
        timing: Timing,
    },
    /// One datacenter down or isolated, then restarted or healed.
    Kong {
        /// Drawn timing.
        timing: Timing,
        /// Chance in percent that an episode isolates instead of killing.
        isolate_percent: u64,
    },
    /// A rack or datacenter isolated, or some one-way clogs, then healed.
    Partition {
        /// Drawn timing.
        timing: Timing,
        /// Most one-way clogs per clog episode.
        clogs_max: u64,
    },
    /// A node killed and restarted `1..=cycles_max` times per episode.
    Flap {
        /// Drawn timing: gap is the up time, duration the down time.
        timing: Timing,
        /// The flapping node, or `None` to draw one per episode.
        node: Option<usize>,
        /// Most cycles per episode.
        cycles_max: u64,
    },
}

impl Ingredient {
    /// Draws an episodic ingredient's knobs for a plan of that kind alone. `kind` must not be `Skew` or
    /// `Swarm` (they are not episodic).
    pub(crate) fn draw(
        kind: PlanKind,
        rng: &mut ChaCha8Rng,
        knobs: &mut Knobs,
        prefix: &str,
        shape: &Shape,
    ) -> Ingredient {
        match kind {
            PlanKind::Monkey | PlanKind::MonkeyWipe => {
                let timing = Timing::draw(rng, knobs, prefix, &MONKEY_LIMITS);
                let wipe_percent = if kind == PlanKind::MonkeyWipe { 100 } else { 0 };
                Ingredient::Monkey { timing, wipe_percent }
            }
            PlanKind::Gorilla => {
                Ingredient::Gorilla { timing: Timing::draw(rng, knobs, prefix, &GORILLA_LIMITS) }
            }
            PlanKind::Kong => {
                let timing = Timing::draw(rng, knobs, prefix, &KONG_LIMITS);
                let isolate_percent = knobs.draw(rng, prefix, "isolate_percent", PERCENT_RANGE);
                Ingredient::Kong { timing, isolate_percent }
            }
            PlanKind::Partition => {
                let timing = Timing::draw(rng, knobs, prefix, &PARTITION_LIMITS);
                let clogs_max = knobs.draw(rng, prefix, "clogs_max", 1..=CLOGS_MAX);
                Ingredient::Partition { timing, clogs_max }
            }
            PlanKind::Flap => {
                let timing = Timing::draw(rng, knobs, prefix, &FLAP_LIMITS);
                let node = knobs.draw(rng, prefix, "node", 0..=last_index(shape.node_count()));
                Ingredient::Flap { timing, node: Some(node as usize), cycles_max: 1 }
            }
            PlanKind::Skew | PlanKind::Swarm => unreachable!("{kind} is not an episodic ingredient"),
        }
    }

    /// The swarm variant of `kind`: monkey draws its wipe chance, flap draws a node and a cycle count
    /// per burst.
    pub(crate) fn draw_for_swarm(
        kind: PlanKind,
        rng: &mut ChaCha8Rng,
        knobs: &mut Knobs,
        prefix: &str,
        shape: &Shape,
    ) -> Ingredient {
        match kind {
            PlanKind::Monkey => {
                let timing = Timing::draw(rng, knobs, prefix, &MONKEY_LIMITS);
                let wipe_percent = knobs.draw(rng, prefix, "wipe_percent", PERCENT_RANGE);
                Ingredient::Monkey { timing, wipe_percent }
            }
            PlanKind::Flap => {
                let timing = Timing::draw(rng, knobs, prefix, &FLAP_LIMITS);
                let cycles_max = knobs.draw(rng, prefix, "cycles_max", 1..=FLAP_CYCLES_MAX);
                Ingredient::Flap { timing, node: None, cycles_max }
            }
            other => Ingredient::draw(other, rng, knobs, prefix, shape),
        }
    }

    /// The next episode, starting after a drawn gap from `cursor_ms`.
    pub(crate) fn episode(&self, rng: &mut ChaCha8Rng, shape: &Shape, cursor_ms: u64) -> Episode {
        match *self {
            Ingredient::Monkey { timing, wipe_percent } => {
                let start = cursor_ms.saturating_add(timing.gap(rng));
                let node = rng.gen_range(0..shape.node_count());
                let wipe_data = rng.gen_range(0..100) < wipe_percent;
                let end = start.saturating_add(timing.duration(rng));
                let mut episode =
                    outage(start, end, Fault::KillNode { node, wipe_data }, Fault::RestartNode { node });
                if wipe_data {
                    // The operator's warm-up: a node back with an empty datastore refuses reads until
                    // its data is back (C Dynomite's warm-up states), then serves everything.
                    let warm = end.saturating_add(WARM_UP_MS);
                    episode.events.push(FaultEvent::new(end, set_state(node, ServingState::WritesOnly)));
                    episode.events.push(FaultEvent::new(warm, set_state(node, ServingState::Normal)));
                    episode.end_ms = warm;
                }
                episode
            }
            Ingredient::Gorilla { timing } => {
                let start = cursor_ms.saturating_add(timing.gap(rng));
                let (datacenter, rack) = draw_rack(rng, shape);
                let end = start.saturating_add(timing.duration(rng));
                outage(
                    start,
                    end,
                    Fault::KillRack { datacenter, rack },
                    Fault::RestartRack { datacenter, rack },
                )
            }
            Ingredient::Kong { timing, isolate_percent } => {
                kong_episode(rng, shape, cursor_ms, timing, isolate_percent)
            }
            Ingredient::Partition { timing, clogs_max } => {
                let start = cursor_ms.saturating_add(timing.gap(rng));
                let faults = partition_faults(rng, shape, clogs_max);
                let end = start.saturating_add(timing.duration(rng));
                let mut events: Vec<FaultEvent> =
                    faults.into_iter().map(|fault| FaultEvent::new(start, fault)).collect();
                events.push(FaultEvent::new(end, Fault::Heal));
                Episode { events, end_ms: end }
            }
            Ingredient::Flap { timing, node, cycles_max } => {
                flap_episode(rng, shape, cursor_ms, timing, node, cycles_max)
            }
        }
    }
}

/// The largest index of a collection of `count` items (zero when empty).
fn last_index(count: usize) -> u64 {
    count.saturating_sub(1) as u64
}

/// A rack drawn uniformly over the cluster.
fn draw_rack(rng: &mut ChaCha8Rng, shape: &Shape) -> (usize, usize) {
    (rng.gen_range(0..shape.datacenters), rng.gen_range(0..shape.racks_per_datacenter))
}

/// An episode of one fault at `start` lifted by `lift` at `end`.
/// How long a node restarted with an empty datastore stays `WRITES_ONLY` (ms).
pub const WARM_UP_MS: u64 = 1_000;

fn set_state(node: usize, state: ServingState) -> Fault {
    Fault::SetNodeState { node, state }
}

fn outage(start: u64, end: u64, fault: Fault, lift: Fault) -> Episode {
    Episode { events: vec![FaultEvent::new(start, fault), FaultEvent::new(end, lift)], end_ms: end }
}

/// One datacenter killed (then restarted) or isolated (then healed).
fn kong_episode(
    rng: &mut ChaCha8Rng,
    shape: &Shape,
    cursor_ms: u64,
    timing: Timing,
    isolate_percent: u64,
) -> Episode {
    let start = cursor_ms.saturating_add(timing.gap(rng));
    let datacenter = rng.gen_range(0..shape.datacenters);
    let isolate = rng.gen_range(0..100) < isolate_percent;
    let end = start.saturating_add(timing.duration(rng));
    if isolate {
        outage(start, end, Fault::IsolateDatacenter { datacenter }, Fault::Heal)
    } else {
        outage(start, end, Fault::KillDatacenter { datacenter }, Fault::RestartDatacenter { datacenter })
    }
}

/// The faults of one partition: a rack isolated, a datacenter isolated, or some one-way clogs, drawn
/// among the forms the shape allows (none in a single-node cluster).
fn partition_faults(rng: &mut ChaCha8Rng, shape: &Shape, clogs_max: u64) -> Vec<Fault> {
    let mut forms = Vec::new();
    if shape.rack_count() > 1 {
        forms.push(0);
    }
    if shape.datacenters > 1 {
        forms.push(1);
    }
    if shape.node_count() > 1 {
        forms.push(2);
    }
    if forms.is_empty() {
        return Vec::new();
    }
    match forms[rng.gen_range(0..forms.len())] {
        0 => {
            let (datacenter, rack) = draw_rack(rng, shape);
            vec![Fault::IsolateRack { datacenter, rack }]
        }
        1 => vec![Fault::IsolateDatacenter { datacenter: rng.gen_range(0..shape.datacenters) }],
        _ => one_way_clogs(rng, shape, clogs_max),
    }
}

/// Between one and `clogs_max` distinct one-way clogs between distinct nodes.
fn one_way_clogs(rng: &mut ChaCha8Rng, shape: &Shape, clogs_max: u64) -> Vec<Fault> {
    let count = rng.gen_range(1..=clogs_max.max(1));
    let mut clogs: Vec<Fault> = Vec::new();
    for _ in 0..count {
        let from = rng.gen_range(0..shape.node_count());
        let to = (from + rng.gen_range(1..shape.node_count())) % shape.node_count();
        let clog = Fault::ClogOneWay { from, to };
        if !clogs.contains(&clog) {
            clogs.push(clog);
        }
    }
    clogs
}

/// A node killed and restarted one or more times, separated by drawn up times.
fn flap_episode(
    rng: &mut ChaCha8Rng,
    shape: &Shape,
    cursor_ms: u64,
    timing: Timing,
    node: Option<usize>,
    cycles_max: u64,
) -> Episode {
    let node = node.unwrap_or_else(|| rng.gen_range(0..shape.node_count()));
    let cycles = rng.gen_range(1..=cycles_max.max(1));
    let mut events = Vec::new();
    let mut cursor = cursor_ms;
    for _ in 0..cycles {
        let start = cursor.saturating_add(timing.gap(rng));
        cursor = start.saturating_add(timing.duration(rng));
        events.push(FaultEvent::new(start, Fault::KillNode { node, wipe_data: false }));
        events.push(FaultEvent::new(cursor, Fault::RestartNode { node }));
    }
    Episode { events, end_ms: cursor }
}

/// Lays episodes from `next` end to end from time zero, keeping those that end strictly before
/// `heal_at_ms`; at most [`EPISODES_MAX`].
pub(crate) fn schedule(
    rng: &mut ChaCha8Rng,
    heal_at_ms: u64,
    mut next: impl FnMut(&mut ChaCha8Rng, u64) -> Episode,
) -> Vec<FaultEvent> {
    let mut events = Vec::new();
    let mut cursor = 0;
    for _ in 0..EPISODES_MAX {
        let episode = next(rng, cursor);
        if episode.end_ms >= heal_at_ms {
            break;
        }
        events.extend(episode.events);
        cursor = episode.end_ms;
    }
    events
}
