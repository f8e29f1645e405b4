//! Recording every knob drawn from the seed, and deriving child generators (STYLE.md #3).

use std::fmt::Display;
use std::ops::RangeInclusive;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The knobs drawn so far, in draw order, as `(name, value)` text pairs.
#[derive(Debug, Default)]
pub(crate) struct Knobs {
    /// Drawn knobs in the order they were drawn.
    entries: Vec<(String, String)>,
}

impl Knobs {
    /// Draws a value in `range`, records it under `prefix.name`, and returns it.
    pub(crate) fn draw(
        &mut self,
        rng: &mut ChaCha8Rng,
        prefix: &str,
        name: &str,
        range: RangeInclusive<u64>,
    ) -> u64 {
        let value = rng.gen_range(range);
        self.record(prefix, name, value);
        value
    }

    /// Records a knob under `prefix.name` (just `name` when the prefix is empty).
    pub(crate) fn record(&mut self, prefix: &str, name: &str, value: impl Display) {
        let full_name = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        self.entries.push((full_name, value.to_string()));
    }

    /// The recorded knobs.
    pub(crate) fn into_entries(self) -> Vec<(String, String)> {
        self.entries
    }
}

/// A generator seeded from its parent, so each component has its own stream.
pub(crate) fn child_rng(parent: &mut ChaCha8Rng) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(parent.gen())
}
