//! A node's clock with a skew the harness can change at any time (clock skew and clock jumps).
//!
//! It reads `SystemTime::now()`, which is virtual under madsim, and adds a signed offset. One clock is
//! shared by a node host and its datastore host (they model one machine), and it outlives restarts so
//! a restarted node keeps its skew.

use std::sync::atomic::{AtomicI64, Ordering};

use dynomite::clock::{Clock, SystemClock};

/// System time plus a settable offset in milliseconds.
#[derive(Debug, Default)]
pub struct SkewClock {
    /// Added to the system time; negative values put the node behind.
    offset_ms: AtomicI64,
}

impl SkewClock {
    /// A clock without skew.
    pub fn new() -> SkewClock {
        SkewClock::default()
    }

    /// Sets the skew; changing it while the node runs is a clock jump (forward or backward).
    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// The current skew.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}

impl Clock for SkewClock {
    fn now_ms(&self) -> u64 {
        let system_ms = SystemClock.now_ms() as i64;
        system_ms.saturating_add(self.offset_ms()).max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_the_clock_both_ways_and_never_below_the_epoch() {
        let clock = SkewClock::new();
        let base = clock.now_ms();
        clock.set_offset_ms(3_600_000);
        assert!(clock.now_ms() >= base + 3_600_000);
        clock.set_offset_ms(-3_600_000);
        assert!(clock.now_ms() < base);
        clock.set_offset_ms(i64::MIN);
        assert_eq!(clock.now_ms(), 0);
    }
}
