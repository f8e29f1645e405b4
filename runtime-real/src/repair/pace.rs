//! The repair's rate limit: at most `repair_rate` keys per second, shared by the change-log sweep and
//! the range repair. Time is `tokio::time` (virtual in the simulator). Unused time is not saved up:
//! after a quiet period the repair starts at the configured rate, never in a burst.

use std::time::Duration;

use tokio::time::Instant;

/// A pacer of keys.
#[derive(Debug)]
pub struct Pace {
    /// Time one key takes at the configured rate.
    per_key: Duration,
    /// When the next key may start.
    next: Instant,
}

impl Pace {
    /// A pacer of `keys_per_second` (0 is taken as 1).
    pub fn new(keys_per_second: u32) -> Pace {
        let per_key = Duration::from_secs(1) / keys_per_second.max(1);
        Pace { per_key, next: Instant::now() }
    }

    /// Waits until `keys` more keys fit in the rate.
    pub async fn take(&mut self, keys: u32) {
        let now = Instant::now();
        if self.next < now {
            self.next = now;
        }
        let wait_until = self.next;
        self.next += self.per_key * keys;
        if wait_until > now {
            tokio::time::sleep_until(wait_until).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_wait_for_the_rate() {
        let start = Instant::now();
        let mut pace = Pace::new(1_000);
        pace.take(50).await; // the first batch starts at once
        assert!(start.elapsed() < Duration::from_millis(40));
        pace.take(50).await; // waits for the first batch's 50 ms
        assert!(start.elapsed() >= Duration::from_millis(50));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let quiet = Instant::now();
        pace.take(1).await; // no wait after a pause
        assert!(quiet.elapsed() < Duration::from_millis(40));
    }
}
