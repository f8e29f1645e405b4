//! The results of one datacenter's replicas for one request, and what they allow to conclude.
//!
//! A [`GroupTally`] only counts; the [`Rule`] decides. Keeping the two apart lets the golden tables test
//! the arithmetic of every consistency level on the same counts.

use bytes::Bytes;

use super::outcome::{ReplicaFailure, ReplicaResult};

/// Replicas one group can be asked at most; a larger contacted count is clamped to it. Dynomite places
/// one replica per rack, and no deployment has this many racks in one datacenter.
pub const GROUP_REPLICAS_MAX_COUNT: usize = 256;

/// Replicas needed for a quorum among `racks` contacted replicas: a strict majority, `racks / 2 + 1`.
pub fn quorum_size(racks: usize) -> usize {
    racks / 2 + 1
}

/// One distinct reply and how many replicas sent exactly these bytes.
#[derive(Debug, Clone)]
struct DistinctReply {
    /// The reply bytes, compared byte for byte.
    bytes: Bytes,
    /// How many replicas sent them.
    copies: usize,
}

/// How one group's replicas must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// One reply is enough (DC_ONE).
    AnyReply,
    /// A quorum of replies, identical or not (DC_QUORUM).
    QuorumOfReplies,
    /// A quorum of identical replies (DC_SAFE_QUORUM, DC_EACH_SAFE_QUORUM).
    QuorumOfIdenticalReplies,
}

/// Where one group stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupState {
    /// More results are needed.
    Open,
    /// The group's answer is this reply.
    Reached(Bytes),
    /// The group can no longer satisfy its rule.
    Impossible,
}

/// The results counted so far for one group.
#[derive(Debug, Clone)]
pub(crate) struct GroupTally {
    /// Replicas contacted in this group (clamped to [`GROUP_REPLICAS_MAX_COUNT`]).
    contacted: usize,
    /// Distinct replies in order of first arrival (the order breaks ties).
    replies: Vec<DistinctReply>,
    /// Replies counted, all copies included.
    reply_count: usize,
    /// Failures counted.
    failure_count: usize,
    /// The first failure, whose text DC_ONE answers when its owner fails.
    first_failure: Option<ReplicaFailure>,
}

impl GroupTally {
    /// An empty tally for `contacted` replicas.
    pub(crate) fn new(contacted: usize) -> GroupTally {
        GroupTally {
            contacted: contacted.min(GROUP_REPLICAS_MAX_COUNT),
            replies: Vec::new(),
            reply_count: 0,
            failure_count: 0,
            first_failure: None,
        }
    }

    /// Counts one result; results beyond the contacted count are ignored (a confused caller must not
    /// manufacture a quorum).
    pub(crate) fn add(&mut self, result: ReplicaResult) {
        if self.pending() == 0 {
            return;
        }
        match result {
            ReplicaResult::Reply(bytes) => {
                self.reply_count += 1;
                match self.replies.iter_mut().find(|reply| reply.bytes == bytes) {
                    Some(reply) => reply.copies += 1,
                    None => self.replies.push(DistinctReply { bytes, copies: 1 }),
                }
            }
            ReplicaResult::Failed(failure) => {
                self.failure_count += 1;
                self.first_failure.get_or_insert(failure);
            }
        }
    }

    /// The first failure counted, if any.
    pub(crate) fn first_failure(&self) -> Option<&ReplicaFailure> {
        self.first_failure.as_ref()
    }

    /// Results still expected.
    fn pending(&self) -> usize {
        self.contacted.saturating_sub(self.reply_count + self.failure_count)
    }

    /// The reply with the most copies; among equals the one that arrived first.
    fn most_common(&self) -> Option<&DistinctReply> {
        let mut best: Option<&DistinctReply> = None;
        for reply in &self.replies {
            let leads = match best {
                None => true,
                Some(leader) => reply.copies > leader.copies,
            };
            if leads {
                best = Some(reply);
            }
        }
        best
    }

    /// Applies `rule`. With `finished` (the deadline passed) nothing more is expected, so an open
    /// group becomes reached or impossible.
    pub(crate) fn state(&self, rule: Rule, finished: bool) -> GroupState {
        let pending = if finished { 0 } else { self.pending() };
        let quorum = quorum_size(self.contacted);
        let best = self.most_common();
        let best_copies = best.map_or(0, |reply| reply.copies);
        let reached = |reply: Option<&DistinctReply>| match reply {
            Some(reply) => GroupState::Reached(reply.bytes.clone()),
            None => GroupState::Impossible,
        };
        match rule {
            Rule::AnyReply if self.reply_count > 0 => reached(self.replies.first()),
            Rule::AnyReply if pending == 0 => GroupState::Impossible,
            Rule::AnyReply => GroupState::Open,
            _ if best_copies >= quorum => reached(best),
            // Mutant: a quorum of replies is accepted without checking that they are identical.
            Rule::QuorumOfIdenticalReplies
                if crate::mutant!(SafeQuorumAcceptsDifferent) && self.reply_count >= quorum =>
            {
                reached(best)
            }
            Rule::QuorumOfReplies if self.reply_count >= quorum && pending == 0 => reached(best),
            Rule::QuorumOfReplies if self.reply_count + pending < quorum => GroupState::Impossible,
            Rule::QuorumOfIdenticalReplies if best_copies + pending < quorum => GroupState::Impossible,
            _ if pending == 0 => GroupState::Impossible,
            _ => GroupState::Open,
        }
    }
}
