//! Swarm: draws which kinds to mix, their weights and every kind's own knobs, then lays episodes of the
//! drawn kinds end to end (one at a time, chosen by weight) with clock skew, when drawn, overlaid on the
//! whole phase. Every drawn knob is recorded under `kind.knob` next to `ingredients`.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::episodes::{schedule, Ingredient};
use crate::fault::FaultEvent;
use crate::kind::PlanKind;
use crate::knobs::{child_rng, Knobs};
use crate::shape::Shape;
use crate::skew::Skew;

/// The kinds a swarm can mix (monkey covers both data kept and data lost through its wipe chance).
const CANDIDATES: [PlanKind; 6] = [
    PlanKind::Monkey,
    PlanKind::Gorilla,
    PlanKind::Kong,
    PlanKind::Partition,
    PlanKind::Flap,
    PlanKind::Skew,
];
/// Range of each episodic kind's relative weight.
const WEIGHT_RANGE: std::ops::RangeInclusive<u64> = 1..=10;

/// The swarm's events, sorted by time (without the final heal).
pub(crate) fn events(
    knob_rng: &mut ChaCha8Rng,
    event_rng: &mut ChaCha8Rng,
    knobs: &mut Knobs,
    shape: &Shape,
    heal_at_ms: u64,
) -> Vec<FaultEvent> {
    let chosen = draw_ingredients(knob_rng, knobs);
    let mut weighted: Vec<(u64, Ingredient)> = Vec::new();
    let mut skew = None;
    for kind in chosen {
        if kind == PlanKind::Skew {
            skew = Some(Skew::draw(knob_rng, knobs, kind.name()));
        } else {
            let weight = knobs.draw(knob_rng, kind.name(), "weight", WEIGHT_RANGE);
            weighted.push((weight, Ingredient::draw_for_swarm(kind, knob_rng, knobs, kind.name(), shape)));
        }
    }
    let mut skew_rng = child_rng(event_rng);
    let mut events = if weighted.is_empty() {
        Vec::new()
    } else {
        schedule(event_rng, heal_at_ms, |rng, cursor| pick(rng, &weighted).episode(rng, shape, cursor))
    };
    if let Some(skew) = skew {
        events.extend(skew.events(&mut skew_rng, shape, heal_at_ms));
        events.sort_by_key(|event| event.at_ms);
    }
    events
}

/// Each candidate joins with even odds; when none does, one drawn candidate joins alone.
fn draw_ingredients(rng: &mut ChaCha8Rng, knobs: &mut Knobs) -> Vec<PlanKind> {
    let mut chosen: Vec<PlanKind> = CANDIDATES.into_iter().filter(|_| rng.gen_bool(0.5)).collect();
    if chosen.is_empty() {
        chosen.push(CANDIDATES[rng.gen_range(0..CANDIDATES.len())]);
    }
    let names: Vec<&str> = chosen.iter().map(|kind| kind.name()).collect();
    knobs.record("", "ingredients", names.join("+"));
    chosen
}

/// One ingredient chosen with probability proportional to its weight.
fn pick<'a>(rng: &mut ChaCha8Rng, weighted: &'a [(u64, Ingredient)]) -> &'a Ingredient {
    let total: u64 = weighted.iter().map(|(weight, _)| weight).sum();
    let mut ticket = rng.gen_range(0..total);
    for (weight, ingredient) in weighted {
        if ticket < *weight {
            return ingredient;
        }
        ticket -= weight;
    }
    unreachable!("a ticket below the total weight always lands on an ingredient")
}
