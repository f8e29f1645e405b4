//! Reconnect pacing shared by datastore connections and peer links: capped exponential backoff, and
//! failing queued requests at once while a connection is down (callers never wait on a dead link).

use std::time::Duration;

use tokio::sync::mpsc;

/// Capped exponential backoff: `min_ms`, doubling per failure, never above `max_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    min_ms: u64,
    max_ms: u64,
    current_ms: u64,
}

impl Backoff {
    /// A backoff starting at `min_ms` and capped at `max_ms`.
    pub fn new(min_ms: u64, max_ms: u64) -> Backoff {
        Backoff { min_ms, max_ms, current_ms: min_ms }
    }

    /// The delay to wait now; the next one doubles (up to the cap).
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.current_ms;
        self.current_ms = (self.current_ms * 2).min(self.max_ms);
        Duration::from_millis(delay)
    }

    /// True when at least one failure happened since the last reset.
    pub fn is_backing_off(&self) -> bool {
        self.current_ms > self.min_ms
    }

    /// Back to the minimum after a success.
    pub fn reset(&mut self) {
        self.current_ms = self.min_ms;
    }
}

/// Fails every request arriving during `delay` with `fail`. Returns false when every sender is gone.
pub async fn fail_requests_for<T>(
    delay: Duration,
    requests: &mut mpsc::Receiver<T>,
    mut fail: impl FnMut(T),
) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            biased;
            _ = &mut sleep => return true,
            request = requests.recv() => match request {
                Some(request) => fail(request),
                None => return false,
            },
        }
    }
}

/// Like [`fail_requests_for`], but also ends early (true) when `wake` is notified: the peer was heard
/// from (it connected to us), so the caller should try again at once instead of waiting out its
/// backoff.
pub async fn fail_requests_until<T>(
    delay: Duration,
    wake: &tokio::sync::Notify,
    requests: &mut mpsc::Receiver<T>,
    mut fail: impl FnMut(T),
) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    let woken = wake.notified();
    tokio::pin!(woken);
    loop {
        tokio::select! {
            biased;
            _ = &mut sleep => return true,
            _ = &mut woken => return true,
            request = requests.recv() => match request {
                Some(request) => fail(request),
                None => return false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::new(50, 300);
        let delays: Vec<u64> = (0..5).map(|_| backoff.next_delay().as_millis() as u64).collect();
        assert_eq!(delays, [50, 100, 200, 300, 300]);
        assert!(backoff.is_backing_off());
        backoff.reset();
        assert_eq!(backoff.next_delay().as_millis(), 50);
    }
}
