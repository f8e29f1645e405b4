//! Hinted handoff's store: the requests a peer link holds for one peer while they cannot be sent
//! (issue 9.9). Pure and synchronous; the link ([`super::link`]) locks it and moves requests in and out.
//!
//! Requests are kept per connection slot (one ordered queue per connection of the link, chosen by order
//! shard exactly like live traffic), so replaying a slot's queue front to back keeps the order contract:
//! one key's requests reach the peer in dispatch order. The bound is per peer, over all slots: at most
//! `count_max` requests and `bytes_max` bytes. A push beyond either bound drops the oldest requests of
//! the peer (the smallest sequence number among the slots' fronts) and counts them in `dropped`;
//! background repair covers what they carried. A request larger than `bytes_max` on its own is dropped
//! at once.
//!
//! Order across slots is only needed to choose what to drop: requests pushed at the back get increasing
//! sequence numbers, requests put back at the front (in flight on a connection that broke, hence older
//! than anything queued after them) get decreasing ones.
//!
//! [`is_idempotent_write`] tells the coordinator which writes may be held again after they were sent.

use std::collections::VecDeque;

use bytes::Bytes;
use dynomite_core::crdt::scripts::{self, ScriptName};

/// True when `args` call a CRDT write script or the merge script (`EVALSHA <sha1> ...` of a registered
/// script other than `state`, `read`, `gc` and the counter ops' first halves `incrby`/`hincrby`): such a write carries its timestamp (or merges
/// timestamped state), so applying it twice changes nothing and a hint of it may be replayed even when
/// an earlier send may have reached the replica.
pub fn is_idempotent_write(args: &[Bytes]) -> bool {
    let [name, sha1, ..] = args else { return false };
    name.eq_ignore_ascii_case(b"EVALSHA")
        && scripts::all().iter().any(|script| {
            script.sha1.as_bytes().eq_ignore_ascii_case(sha1)
                && !matches!(
                    script.name,
                    // A counter op's first half adds its delta: it is sent once (crate::counter).
                    ScriptName::State
                        | ScriptName::Read
                        | ScriptName::Gc
                        | ScriptName::Incrby
                        | ScriptName::Hincrby
                )
        })
}

/// Bounds of one peer's hints (`hints_max`, `hints_bytes_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintLimits {
    /// Most requests kept for the peer (`hints_max`); 0 disables hinted handoff.
    pub count_max: usize,
    /// Most bytes kept for the peer (`hints_bytes_max`), counted by [`HintQueues::push_back`]'s caller.
    pub bytes_max: usize,
}

impl HintLimits {
    /// True when hinted handoff is on under these limits.
    pub fn enabled(&self) -> bool {
        self.count_max > 0 && self.bytes_max > 0
    }
}

/// Counters of one peer's hints, for `/info`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HintStats {
    /// Requests held now (`hints_queued`).
    pub queued: u64,
    /// Bytes held now (`hints_bytes`).
    pub bytes: u64,
    /// Held requests sent to the peer since the link started (`hints_replayed`).
    pub replayed: u64,
    /// Held requests dropped since the link started: the bound was exceeded, or the peer refused a
    /// replayed hint (`hints_dropped`).
    pub dropped: u64,
}

/// Sequence number of the first request pushed at the back; front pushes count down from just below.
const FIRST_BACK_SEQUENCE: u64 = 1 << 63;

struct Entry<T> {
    sequence: u64,
    bytes: usize,
    item: T,
}

/// The bounded, ordered, per-slot queues of one peer.
pub struct HintQueues<T> {
    slots: Vec<VecDeque<Entry<T>>>,
    limits: HintLimits,
    len: usize,
    bytes: usize,
    next_back: u64,
    next_front: u64,
    replayed: u64,
    dropped: u64,
}

impl<T> HintQueues<T> {
    /// Empty queues for `slots` connection slots (at least one).
    pub fn new(slots: usize, limits: HintLimits) -> HintQueues<T> {
        HintQueues {
            slots: (0..slots.max(1)).map(|_| VecDeque::new()).collect(),
            limits,
            len: 0,
            bytes: 0,
            next_back: FIRST_BACK_SEQUENCE,
            next_front: FIRST_BACK_SEQUENCE - 1,
            replayed: 0,
            dropped: 0,
        }
    }

    /// Number of connection slots.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Requests held for the peer (all slots).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is held for the peer.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when nothing is held for `slot`.
    pub fn slot_is_empty(&self, slot: usize) -> bool {
        self.slots[slot].is_empty()
    }

    /// Bytes held for the peer.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Appends `item` (`bytes` long) to `slot`'s queue, then drops the peer's oldest requests until
    /// both bounds hold; returns the dropped ones (already counted), oldest first.
    pub fn push_back(&mut self, slot: usize, item: T, bytes: usize) -> Vec<T> {
        let sequence = self.next_back;
        self.next_back += 1;
        self.slots[slot].push_back(Entry { sequence, bytes, item });
        self.len += 1;
        self.bytes += bytes;
        self.enforce_bounds()
    }

    /// Puts `items` (oldest first, each with its bytes) back at the front of `slot`'s queue, ahead of
    /// everything held there, in their order; then drops the peer's oldest requests until both bounds
    /// hold and returns them (already counted), oldest first.
    pub fn push_front(&mut self, slot: usize, items: Vec<(T, usize)>) -> Vec<T> {
        for (item, bytes) in items.into_iter().rev() {
            let sequence = self.next_front;
            self.next_front -= 1;
            self.slots[slot].push_front(Entry { sequence, bytes, item });
            self.len += 1;
            self.bytes += bytes;
        }
        self.enforce_bounds()
    }

    /// Removes and returns the oldest request of `slot` with its bytes.
    pub fn pop_front(&mut self, slot: usize) -> Option<(T, usize)> {
        let entry = self.slots[slot].pop_front()?;
        self.len -= 1;
        self.bytes -= entry.bytes;
        Some((entry.item, entry.bytes))
    }

    /// Keeps only the requests of `slot` for which `keep` returns true (it may change them), in order.
    /// Removed requests are not counted as dropped (the caller decides what they were).
    pub fn retain(&mut self, slot: usize, mut keep: impl FnMut(&mut T) -> bool) {
        let (mut removed, mut removed_bytes) = (0, 0);
        self.slots[slot].retain_mut(|entry| {
            let kept = keep(&mut entry.item);
            if !kept {
                removed += 1;
                removed_bytes += entry.bytes;
            }
            kept
        });
        self.len -= removed;
        self.bytes -= removed_bytes;
    }

    /// Counts `count` requests sent to the peer from the queues.
    pub fn note_replayed(&mut self, count: u64) {
        self.replayed += count;
    }

    /// Counts `count` requests lost after they left the queues (the peer refused a replayed hint).
    pub fn note_dropped(&mut self, count: u64) {
        self.dropped += count;
    }

    /// The counters for `/info`.
    pub fn stats(&self) -> HintStats {
        HintStats {
            queued: self.len as u64,
            bytes: self.bytes as u64,
            replayed: self.replayed,
            dropped: self.dropped,
        }
    }

    fn over_bounds(&self) -> bool {
        self.len > self.limits.count_max || self.bytes > self.limits.bytes_max
    }

    fn enforce_bounds(&mut self) -> Vec<T> {
        let mut dropped = Vec::new();
        while self.over_bounds() {
            let Some(slot) = self.oldest_slot() else { break };
            let Some((item, _)) = self.pop_front(slot) else { break };
            self.dropped += 1;
            dropped.push(item);
        }
        dropped
    }

    /// The slot whose front is the peer's oldest request.
    fn oldest_slot(&self) -> Option<usize> {
        (0..self.slots.len())
            .filter_map(|slot| self.slots[slot].front().map(|entry| (entry.sequence, slot)))
            .min()
            .map(|(_, slot)| slot)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use dynomite_core::crdt::scripts::{self, ScriptName};

    use super::{is_idempotent_write, HintLimits, HintQueues, HintStats};

    fn evalsha(name: ScriptName) -> Vec<Bytes> {
        let sha1 = scripts::get(name).sha1.clone();
        vec![
            Bytes::from_static(b"evalsha"),
            Bytes::from(sha1),
            Bytes::from_static(b"1"),
            Bytes::from_static(b"k"),
        ]
    }

    #[test]
    fn crdt_write_and_merge_scripts_are_idempotent_other_requests_are_not() {
        assert!(is_idempotent_write(&evalsha(ScriptName::Set)));
        assert!(is_idempotent_write(&evalsha(ScriptName::Counter)), "a counter join is a maximum");
        assert!(is_idempotent_write(&evalsha(ScriptName::Merge)));
        // A counter op's first half adds its delta on the applier: sent once, never held again.
        assert!(!is_idempotent_write(&evalsha(ScriptName::Incrby)));
        assert!(!is_idempotent_write(&evalsha(ScriptName::Hincrby)));
        assert!(!is_idempotent_write(&evalsha(ScriptName::Read)));
        assert!(!is_idempotent_write(&evalsha(ScriptName::State)));
        assert!(!is_idempotent_write(&evalsha(ScriptName::Gc)));
        let plain = |args: &[&'static str]| {
            args.iter().map(|arg| Bytes::from_static(arg.as_bytes())).collect::<Vec<_>>()
        };
        assert!(!is_idempotent_write(&plain(&["SET", "k", "v"])));
        assert!(!is_idempotent_write(&plain(&["EVALSHA", "0123456789abcdef0123456789abcdef01234567", "0"])));
        assert!(!is_idempotent_write(&[]));
    }

    fn queues(slots: usize, count_max: usize, bytes_max: usize) -> HintQueues<u32> {
        HintQueues::new(slots, HintLimits { count_max, bytes_max })
    }

    fn drain(queues: &mut HintQueues<u32>, slot: usize) -> Vec<u32> {
        std::iter::from_fn(|| queues.pop_front(slot).map(|(item, _)| item)).collect()
    }

    #[test]
    fn drains_each_slot_in_push_order() {
        let mut queues = queues(2, 100, 1000);
        for item in 0..6 {
            assert!(queues.push_back((item % 2) as usize, item, 10).is_empty());
        }
        assert_eq!((queues.len(), queues.bytes()), (6, 60));
        assert_eq!(drain(&mut queues, 0), [0, 2, 4]);
        assert!(queues.slot_is_empty(0) && !queues.slot_is_empty(1));
        assert_eq!(drain(&mut queues, 1), [1, 3, 5]);
        assert!(queues.is_empty());
        assert_eq!(queues.bytes(), 0);
    }

    #[test]
    fn count_bound_drops_the_oldest_of_the_peer_across_slots() {
        let mut queues = queues(2, 3, 1000);
        assert!(queues.push_back(1, 1, 1).is_empty());
        assert!(queues.push_back(0, 2, 1).is_empty());
        assert!(queues.push_back(0, 3, 1).is_empty());
        assert_eq!(
            queues.push_back(0, 4, 1),
            [1],
            "exactly at the bound keeps all; one over drops the oldest"
        );
        assert_eq!(queues.push_back(1, 5, 1), [2]);
        assert_eq!(queues.stats(), HintStats { queued: 3, bytes: 3, replayed: 0, dropped: 2 });
        assert_eq!(drain(&mut queues, 0), [3, 4]);
        assert_eq!(drain(&mut queues, 1), [5]);
    }

    #[test]
    fn byte_bound_drops_as_many_oldest_as_needed() {
        let mut queues = queues(1, 100, 100);
        for item in 0..4 {
            assert!(queues.push_back(0, item, 25).is_empty(), "100 bytes exactly fit");
        }
        assert_eq!(queues.push_back(0, 4, 60), [0, 1, 2]);
        assert_eq!((queues.len(), queues.bytes()), (2, 85));
        assert_eq!(queues.stats().dropped, 3);
        assert_eq!(drain(&mut queues, 0), [3, 4]);
    }

    #[test]
    fn a_request_larger_than_the_byte_bound_is_dropped_alone() {
        let mut queues = queues(1, 100, 100);
        assert!(queues.push_back(0, 1, 40).is_empty());
        assert_eq!(queues.push_back(0, 2, 101), [1, 2]);
        assert!(queues.is_empty());
        assert_eq!(queues.stats().dropped, 2);
    }

    #[test]
    fn zero_bounds_keep_nothing() {
        let mut queues = queues(1, 0, 100);
        assert_eq!(queues.push_back(0, 7, 1), [7]);
        assert!(queues.is_empty());
        assert!(!HintLimits { count_max: 0, bytes_max: 100 }.enabled());
        assert!(!HintLimits { count_max: 10, bytes_max: 0 }.enabled());
        assert!(HintLimits { count_max: 1, bytes_max: 1 }.enabled());
    }

    #[test]
    fn front_pushes_go_ahead_in_order_and_are_the_oldest() {
        let mut queues = queues(2, 4, 1000);
        assert!(queues.push_back(0, 10, 1).is_empty());
        assert!(queues.push_back(1, 20, 1).is_empty());
        assert!(queues.push_front(0, vec![(1, 1), (2, 1)]).is_empty());
        assert_eq!(queues.push_back(1, 21, 1), [1], "the requeued request is older than every hint");
        assert_eq!(queues.push_front(1, vec![(3, 1)]), [3], "the newest front push is still the oldest");
        assert_eq!(drain(&mut queues, 0), [2, 10]);
        assert_eq!(drain(&mut queues, 1), [20, 21]);
    }

    #[test]
    fn retain_adjusts_len_and_bytes_without_counting_drops() {
        let mut queues = queues(1, 10, 1000);
        for item in 0..5 {
            queues.push_back(0, item, item as usize + 1);
        }
        queues.retain(0, |item| {
            *item *= 10;
            *item % 20 == 0
        });
        assert_eq!((queues.len(), queues.bytes()), (3, 1 + 3 + 5));
        assert_eq!(queues.stats().dropped, 0);
        assert_eq!(drain(&mut queues, 0), [0, 20, 40]);
    }

    #[test]
    fn counters_accumulate() {
        let mut queues = queues(1, 10, 1000);
        queues.push_back(0, 1, 7);
        queues.note_replayed(3);
        queues.note_dropped(2);
        assert_eq!(queues.stats(), HintStats { queued: 1, bytes: 7, replayed: 3, dropped: 2 });
    }
}
