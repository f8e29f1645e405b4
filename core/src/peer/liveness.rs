//! The failure detector of one outgoing peer link, sans-IO (STYLE #1, #2): the driver tells it when
//! bytes arrive ([`Liveness::heard`]) and when a write completed ([`Liveness::sent`]), and asks it
//! what to do at the time it asked to be woken ([`Liveness::poll`] at [`Liveness::next_check_ms`]).
//!
//! Rule: a link that has heard nothing from the peer (no reply, no `Pong`, no byte at all) for
//! `timeout_ms` is dead; the driver then fails its pending requests at once and reconnects. So that a
//! healthy link is never silent that long in either direction, it sends a `Ping` once it has heard
//! nothing for a third of the timeout, and again every third while the silence lasts; and also once it
//! has sent nothing for a third of the timeout (a link that only receives replies to an earlier burst
//! still shows the peer it is alive). A peer that is alive but busy still answers pings (the peer
//! server writes `Pong` ahead of replies it is still waiting for), so only a peer that is gone,
//! partitioned or wedged is declared dead.
//!
//! The peer server applies the mirror rule to each incoming connection: one from which nothing has
//! arrived for its `peer_heartbeat_timeout` is closed, and what arrives on it later is never executed.
//! Because this side writes at least every third of the timeout, only a connection its sender has
//! abandoned (or cannot reach) goes that silent; closing it bounds how late a request from a
//! connection declared dead can still be executed (TCP keeps retransmitting a closed connection's
//! unsent bytes: without the bound, a write from before a partition could land many seconds after
//! the heal and undo newer writes). Every node of a cluster must therefore use the same
//! `peer_heartbeat_timeout` (at least, no node's may be under a third of another's).
//!
//! Call order: `new` when the link connects (after the `Hello` went out); `heard(now)` after every
//! read that returned bytes; `sent(now)` after every write of requests; `poll(now)` when the time from
//! `next_check_ms()` has come (calling it earlier is harmless). A `Ping` that `poll` returns counts as
//! sent.

/// What the driver must do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivenessAction {
    /// Nothing; call [`Liveness::poll`] again at [`Liveness::next_check_ms`].
    Wait,
    /// Send `Ping { nonce }`.
    Ping {
        /// The ping's nonce (the `Pong` echoes it; any byte from the peer counts as an answer).
        nonce: u64,
    },
    /// The peer has been silent for the whole timeout: drop the connection and fail what is pending.
    Dead {
        /// How long nothing was heard.
        silent_ms: u64,
    },
}

/// The liveness state of one link connection. Times are milliseconds on the driver's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liveness {
    /// Silence after which the link is dead (`peer_heartbeat_timeout`).
    timeout_ms: u64,
    /// Silence after which a ping goes out, and the spacing of further pings: a third of the timeout.
    ping_interval_ms: u64,
    /// When bytes last arrived (or the link connected).
    last_heard_ms: u64,
    /// When a write last completed (or the link connected: the `Hello`).
    last_sent_ms: u64,
    /// When the last ping went out during the current silence (None: none yet).
    last_ping_ms: Option<u64>,
    /// Nonce of the next ping.
    next_nonce: u64,
}

impl Liveness {
    /// A link that connected at `now_ms` and dies after `timeout_ms` of silence (at least 3 ms, so
    /// that the ping interval is not zero).
    pub fn new(now_ms: u64, timeout_ms: u64) -> Liveness {
        let timeout_ms = timeout_ms.max(3);
        Liveness {
            timeout_ms,
            ping_interval_ms: timeout_ms / 3,
            last_heard_ms: now_ms,
            last_sent_ms: now_ms,
            last_ping_ms: None,
            next_nonce: 1,
        }
    }

    /// Bytes arrived from the peer at `now_ms`.
    pub fn heard(&mut self, now_ms: u64) {
        self.last_heard_ms = self.last_heard_ms.max(now_ms);
        self.last_ping_ms = None;
    }

    /// A write to the peer completed at `now_ms`.
    pub fn sent(&mut self, now_ms: u64) {
        self.last_sent_ms = self.last_sent_ms.max(now_ms);
    }

    /// What to do at `now_ms`.
    pub fn poll(&mut self, now_ms: u64) -> LivenessAction {
        let silent_ms = now_ms.saturating_sub(self.last_heard_ms);
        if silent_ms >= self.timeout_ms && !crate::mutant!(HeartbeatIgnored) {
            return LivenessAction::Dead { silent_ms };
        }
        if now_ms >= self.ping_due_ms() {
            self.last_ping_ms = Some(now_ms);
            self.sent(now_ms);
            let nonce = self.next_nonce;
            self.next_nonce += 1;
            return LivenessAction::Ping { nonce };
        }
        LivenessAction::Wait
    }

    /// When [`Liveness::poll`] has something to do next, unless bytes arrive first.
    pub fn next_check_ms(&self) -> u64 {
        let ping_due_ms = self.ping_due_ms();
        if crate::mutant!(HeartbeatIgnored) {
            return ping_due_ms; // deliberately wrong: silence never kills the link
        }
        ping_due_ms.min(self.last_heard_ms + self.timeout_ms)
    }

    /// The silence after which the link is dead.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// A third of the timeout after the silence began, in whichever direction it began first (the
    /// last ping restarts the silence heard).
    fn ping_due_ms(&self) -> u64 {
        let heard_ms = self.last_ping_ms.unwrap_or(self.last_heard_ms);
        heard_ms.min(self.last_sent_ms) + self.ping_interval_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays `(now_ms, heard?)` events: polls at each time and records the action. Nothing is
    /// sent but the pings.
    fn replay(timeout_ms: u64, events: &[(u64, bool)]) -> Vec<(u64, LivenessAction)> {
        let mut liveness = Liveness::new(0, timeout_ms);
        events
            .iter()
            .map(|&(now_ms, heard)| {
                if heard {
                    liveness.heard(now_ms);
                }
                (now_ms, liveness.poll(now_ms))
            })
            .collect()
    }

    #[test]
    fn a_silent_link_pings_every_third_and_dies_at_the_timeout() {
        // Timeout 1500: pings at 500 and 1000 of silence, dead at 1500 (never sooner).
        let actions = replay(
            1_500,
            &[(499, false), (500, false), (900, false), (1_000, false), (1_499, false), (1_500, false)],
        );
        assert_eq!(
            actions,
            [
                (499, LivenessAction::Wait),
                (500, LivenessAction::Ping { nonce: 1 }),
                (900, LivenessAction::Wait),
                (1_000, LivenessAction::Ping { nonce: 2 }),
                (1_499, LivenessAction::Wait),
                (1_500, LivenessAction::Dead { silent_ms: 1_500 }),
            ]
        );
    }

    #[test]
    fn any_answer_restarts_the_silence() {
        // Heard at 600 (a pong for the ping at 500): the link has sent nothing since that ping, so the
        // next ping is due at 1000 (a third after the last send), then 1500 and 2000 while nothing is
        // heard; death at 2100 (1500 after the pong).
        let events = [
            (500, false),
            (600, true),
            (999, false),
            (1_000, false),
            (1_100, false),
            (1_500, false),
            (2_000, false),
            (2_099, false),
            (2_100, false),
        ];
        assert_eq!(
            replay(1_500, &events),
            [
                (500, LivenessAction::Ping { nonce: 1 }),
                (600, LivenessAction::Wait),
                (999, LivenessAction::Wait),
                (1_000, LivenessAction::Ping { nonce: 2 }),
                (1_100, LivenessAction::Wait),
                (1_500, LivenessAction::Ping { nonce: 3 }),
                (2_000, LivenessAction::Ping { nonce: 4 }),
                (2_099, LivenessAction::Wait),
                (2_100, LivenessAction::Dead { silent_ms: 1_500 }),
            ]
        );
    }

    #[test]
    fn a_link_that_only_hears_still_pings_every_third() {
        // Replies to an earlier burst keep arriving, nothing new is sent: the peer must still hear from
        // this side every third of the timeout (it closes connections silent for the timeout).
        let mut liveness = Liveness::new(0, 300);
        let mut pings = Vec::new();
        for now_ms in (0..=1_000).step_by(50) {
            liveness.heard(now_ms);
            if let LivenessAction::Ping { .. } = liveness.poll(now_ms) {
                pings.push(now_ms);
            }
        }
        assert_eq!(pings, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000]);
    }

    #[test]
    fn next_check_is_the_next_ping_or_the_death() {
        let mut liveness = Liveness::new(1_000, 1_500);
        assert_eq!(liveness.next_check_ms(), 1_500);
        assert_eq!(liveness.poll(1_500), LivenessAction::Ping { nonce: 1 });
        assert_eq!(liveness.next_check_ms(), 2_000);
        assert_eq!(liveness.poll(2_000), LivenessAction::Ping { nonce: 2 });
        assert_eq!(liveness.next_check_ms(), 2_500, "death comes before the third ping");
        // A request went out at 2200 and its reply came back.
        liveness.sent(2_200);
        liveness.heard(2_200);
        assert_eq!(liveness.next_check_ms(), 2_700);
        // A reading from before the last one never moves the silence back.
        liveness.heard(2_100);
        liveness.sent(2_100);
        assert_eq!(liveness.next_check_ms(), 2_700);
    }

    #[test]
    fn a_busy_link_never_pings() {
        let mut liveness = Liveness::new(0, 300);
        for now_ms in (0..10_000).step_by(50) {
            liveness.sent(now_ms);
            liveness.heard(now_ms);
            assert_eq!(liveness.poll(now_ms), LivenessAction::Wait);
        }
    }

    #[test]
    fn tiny_timeouts_still_have_a_ping_interval() {
        let mut liveness = Liveness::new(0, 0);
        assert_eq!(liveness.timeout_ms(), 3);
        assert_eq!(liveness.poll(1), LivenessAction::Ping { nonce: 1 });
        assert_eq!(liveness.poll(3), LivenessAction::Dead { silent_ms: 3 });
    }
}
