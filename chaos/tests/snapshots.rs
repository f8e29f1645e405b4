//! Pinned plans: `describe()` and the events of a few seeds per kind. A change here means every seed
//! users recorded now replays a different schedule, so it must be deliberate.

use dynomite_chaos::{plan, PlanKind, Shape};

/// A short phase keeps the snapshots readable.
const PHASE_MS: u64 = 12_000;
/// Seeds pinned per kind.
const SEEDS: [u64; 3] = [1, 7, 20240601];

/// The plan as text: its description, then one event per line.
fn render(kind: PlanKind, seed: u64) -> String {
    let drawn = plan(kind, &Shape::new(2, 3, 1), seed, PHASE_MS);
    let mut text = drawn.describe();
    for event in &drawn.events {
        text.push_str(&format!("\n{:>6} {:?}", event.at_ms, event.fault));
    }
    text
}

#[test]
fn pinned_plans() {
    for kind in PlanKind::ALL {
        for seed in SEEDS {
            insta::assert_snapshot!(format!("{kind}_seed_{seed}"), render(kind, seed));
        }
    }
}
