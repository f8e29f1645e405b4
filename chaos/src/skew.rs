//! Clock skew: every node starts with an offset within `± offset_ms_max`, then seed-drawn jumps set
//! single nodes to new offsets (forwards or backwards) at random times.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::fault::{Fault, FaultEvent};
use crate::knobs::Knobs;
use crate::shape::Shape;

/// Range of the drawn bound on any clock offset, in ms (at most five seconds either way).
const OFFSET_MS_MAX_RANGE: std::ops::RangeInclusive<u64> = 100..=5_000;
/// Range of the drawn number of clock jumps in one plan.
const JUMPS_RANGE: std::ops::RangeInclusive<u64> = 1..=16;

/// Drawn skew knobs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Skew {
    /// Bound on every offset, in ms.
    offset_ms_max: u64,
    /// How many jumps happen during the phase.
    jumps: u64,
}

impl Skew {
    /// Draws and records `offset_ms_max` and `jumps`.
    pub(crate) fn draw(rng: &mut ChaCha8Rng, knobs: &mut Knobs, prefix: &str) -> Skew {
        let offset_ms_max = knobs.draw(rng, prefix, "offset_ms_max", OFFSET_MS_MAX_RANGE);
        let jumps = knobs.draw(rng, prefix, "jumps", JUMPS_RANGE);
        Skew { offset_ms_max, jumps }
    }

    /// The skew events, sorted by time: initial offsets at time zero, jumps strictly inside the phase.
    pub(crate) fn events(&self, rng: &mut ChaCha8Rng, shape: &Shape, heal_at_ms: u64) -> Vec<FaultEvent> {
        let mut events: Vec<FaultEvent> = (0..shape.node_count())
            .map(|node| FaultEvent::new(0, Fault::SetClockOffset { node, offset_ms: self.offset(rng) }))
            .collect();
        if heal_at_ms > 1 {
            let mut jumps: Vec<FaultEvent> = (0..self.jumps)
                .map(|_| {
                    let at_ms = rng.gen_range(1..heal_at_ms);
                    let node = rng.gen_range(0..shape.node_count());
                    FaultEvent::new(at_ms, Fault::SetClockOffset { node, offset_ms: self.offset(rng) })
                })
                .collect();
            jumps.sort_by_key(|event| event.at_ms);
            events.extend(jumps);
        }
        events
    }

    /// One offset within the bound.
    fn offset(&self, rng: &mut ChaCha8Rng) -> i64 {
        let bound = i64::try_from(self.offset_ms_max).expect("offset bound fits in i64");
        rng.gen_range(-bound..=bound)
    }
}
