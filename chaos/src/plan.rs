//! The fault plan and [`plan`], which draws one from a seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::episodes::{schedule, Ingredient};
use crate::fault::{Fault, FaultEvent};
use crate::kind::PlanKind;
use crate::knobs::{child_rng, Knobs};
use crate::shape::Shape;
use crate::skew::Skew;
use crate::state::FaultState;
use crate::swarm;

/// A complete, replayable schedule of faults for one fault phase.
///
/// Events are sorted by `at_ms`; the last one is `Heal` at `heal_at_ms`, and every node killed before
/// it is restarted explicitly strictly before `heal_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    /// The kind the plan was drawn for.
    pub kind: PlanKind,
    /// The seed it was drawn from.
    pub seed: u64,
    /// Every knob drawn from the seed, in draw order, as `(name, value)`.
    pub knobs: Vec<(String, String)>,
    /// The faults, sorted by time.
    pub events: Vec<FaultEvent>,
    /// When the fault phase ends and everything is healed (the fault phase length).
    pub heal_at_ms: u64,
    /// The cluster shape it was drawn for (None for hand-built plans: no episodes then).
    pub shape: Option<Shape>,
}

impl FaultPlan {
    /// One line with the kind, the seed and every drawn knob, to print next to the seed:
    /// `monkey seed=7 gap_ms_max=1234 duration_ms_max=800 heal_at_ms=30000 events=11`.
    pub fn describe(&self) -> String {
        let mut line = format!("{} seed={}", self.kind, self.seed);
        for (name, value) in &self.knobs {
            line.push_str(&format!(" {name}={value}"));
        }
        line.push_str(&format!(" heal_at_ms={} events={}", self.heal_at_ms, self.events.len()));
        line
    }

    /// The plan's episodes, as ranges of event indexes: each starts on a healthy cluster and ends at the
    /// first event after which everything is lifted again (wiped data aside). The final heal belongs
    /// to none. Events of an unfinished episode (clock skew that is never reset) run to the heal.
    pub fn episodes(&self) -> Vec<std::ops::Range<usize>> {
        let Some(shape) = self.shape else { return Vec::new() };
        let last = self.events.len().saturating_sub(1);
        let mut state = FaultState::new(shape);
        let mut episodes = Vec::new();
        let mut start = 0;
        for (index, event) in self.events[..last].iter().enumerate() {
            if state.apply(event.at_ms, &event.fault).is_err() {
                continue;
            }
            if state.is_healed() {
                episodes.push(start..index + 1);
                start = index + 1;
            }
        }
        if start < last {
            episodes.push(start..last);
        }
        episodes
    }

    /// This plan without the episodes numbered in `dropped` (0-based, as [`FaultPlan::episodes`]
    /// lists them); unknown numbers are ignored. The final heal stays.
    pub fn without_episodes(&self, dropped: &[usize]) -> FaultPlan {
        let episodes = self.episodes();
        let removed: Vec<std::ops::Range<usize>> =
            dropped.iter().filter_map(|number| episodes.get(*number).cloned()).collect();
        let events = self
            .events
            .iter()
            .enumerate()
            .filter(|(index, _)| !removed.iter().any(|range| range.contains(index)))
            .map(|(_, event)| event.clone())
            .collect();
        FaultPlan { events, ..self.clone() }
    }

    /// The value of a drawn knob, by its recorded name.
    pub fn knob(&self, name: &str) -> Option<&str> {
        self.knobs.iter().find(|(knob, _)| knob == name).map(|(_, value)| value.as_str())
    }
}

/// Draws the plan of `kind` for a cluster of `shape` from `seed`, for a fault phase of
/// `fault_phase_ms` milliseconds (the plan heals everything at that time).
///
/// The seed seeds a ChaCha8 generator, from which two child generators are derived: one draws the
/// knobs, the other the events, so the knobs of a seed do not depend on how many events were drawn.
/// Panics when the shape has a zero count.
pub fn plan(kind: PlanKind, shape: &Shape, seed: u64, fault_phase_ms: u64) -> FaultPlan {
    shape.assert_valid();
    let mut root = ChaCha8Rng::seed_from_u64(seed);
    let mut knob_rng = child_rng(&mut root);
    let mut event_rng = child_rng(&mut root);
    let mut knobs = Knobs::default();
    let heal_at_ms = fault_phase_ms;
    let mut events = match kind {
        PlanKind::Skew => Skew::draw(&mut knob_rng, &mut knobs, "").events(&mut event_rng, shape, heal_at_ms),
        PlanKind::Swarm => swarm::events(&mut knob_rng, &mut event_rng, &mut knobs, shape, heal_at_ms),
        episodic => {
            let ingredient = Ingredient::draw(episodic, &mut knob_rng, &mut knobs, "", shape);
            schedule(&mut event_rng, heal_at_ms, |rng, cursor| ingredient.episode(rng, shape, cursor))
        }
    };
    events.push(FaultEvent::new(heal_at_ms, Fault::Heal));
    FaultPlan { kind, seed, knobs: knobs.into_entries(), events, heal_at_ms, shape: Some(*shape) }
}
