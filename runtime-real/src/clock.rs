//! The node's wall clock, injected so the simulator can skew it per node.
//!
//! Production uses [`SystemClock`]. Under madsim, `SystemTime::now` is already virtual; the simulator
//! wraps it to add per-node skew and jumps.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of Unix time in milliseconds.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch, as this node believes it.
    fn now_ms(&self) -> u64;

    /// Microseconds since the Unix epoch (for latency histograms); by default `now_ms` scaled, so a
    /// clock without finer resolution still measures in whole milliseconds.
    fn now_us(&self) -> u64 {
        self.now_ms().saturating_mul(1000)
    }
}

/// The operating system's clock (virtual under madsim).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis() as u64).unwrap_or(0)
    }

    fn now_us(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_micros() as u64).unwrap_or(0)
    }
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;
