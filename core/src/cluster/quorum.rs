//! [`QuorumCollector`]: collects the replies of one request's replicas and decides when and what the
//! coordinator answers, for each consistency level. The rules are documented on the type, where
//! rustdoc shows them.

use super::outcome::{ReplicaFailure, ReplicaResult, Verdict};
use super::tally::{GroupState, GroupTally, Rule};
use crate::config::Consistency;

/// Groups (datacenters) one collector tracks at most; groups past it are ignored by `new`.
pub const GROUPS_MAX_COUNT: usize = 64;

/// Collects the results of one request's replicas and decides when and what the client is answered.
///
/// # Rules (quorum `q = contacted / 2 + 1` per group)
/// | level | answers a reply when | answers an error when |
/// |---|---|---|
/// | DC_ONE | the first reply arrives: that reply | every contacted replica failed: the **first failure's** text (e.g. `ERR Peer: Peer Node is down`) |
/// | DC_QUORUM | `q` identical replies arrived: that reply; or `q` replies arrived and nothing more is pending (or the deadline passed): the most common reply, ties going to the earliest (so with all different replies, the first) | fewer than `q` replies can still arrive: `ERR Dynomite: Failed to achieve Quorum` |
/// | DC_SAFE_QUORUM | `q` identical replies arrived: that reply | no reply can reach `q` copies any more: `ERR Dynomite: Failed to achieve Quorum` |
/// | DC_EACH_SAFE_QUORUM | every group reached a safe quorum: group 0's (the local datacenter's) reply | any group cannot reach one: `ERR Dynomite: Failed to achieve Quorum` |
///
/// Decisions are taken as early as the outcome is certain and never change; results recorded after the
/// decision are ignored. DC_QUORUM waits for pending replicas when the replies so far disagree (as C
/// Dynomite does when checksums mismatch) so that a later majority can still win; at the deadline it
/// answers with what it has.
///
/// Differences from C Dynomite, on purpose: C answers the first failure's text whenever too few replies
/// arrive, for every level; here the quorum levels answer the quorum error, which names the guarantee
/// that was not met (DC_ONE keeps the failure text, which says why its one replica did not answer).
/// C also compares only the first three replies of a datacenter; here every contacted replica counts.
///
/// Levels other than DC_EACH_SAFE_QUORUM decide on group 0 alone: writes forwarded to remote
/// datacenters are not waited for, and their results are ignored. For DC_ONE the caller contacts (or at
/// least reports) only the local rack's owner as group 0 with one replica, so a write answers after the
/// local owner even though every rack receives it.
///
/// Call order: [`QuorumCollector::new`] once with the replicas contacted per group, then
/// [`QuorumCollector::record`] for each result as it arrives until it returns `Some`; when the request's
/// deadline passes first, [`QuorumCollector::give_up`]. The first verdict is final.
#[derive(Debug, Clone)]
pub struct QuorumCollector {
    /// The level the request runs at.
    consistency: Consistency,
    /// One tally per datacenter that was contacted; group 0 is the local one.
    groups: Vec<GroupTally>,
    /// The decision once taken; it never changes.
    verdict: Option<Verdict>,
}

impl QuorumCollector {
    /// A collector for `consistency` where `groups[i]` replicas were contacted in group `i` (group 0 is
    /// the local datacenter). A group with zero replicas can never answer, so a request whose deciding
    /// group is empty is decided at once (an error).
    pub fn new(consistency: Consistency, groups: &[usize]) -> QuorumCollector {
        let tallies = groups.iter().take(GROUPS_MAX_COUNT).map(|&contacted| GroupTally::new(contacted));
        let mut collector = QuorumCollector { consistency, groups: tallies.collect(), verdict: None };
        collector.verdict = collector.decide(false);
        collector
    }

    /// Records the result of one replica of group `group`. Returns the verdict once it is decided (on
    /// this call or an earlier one); results after the decision, for unknown groups, or beyond a group's
    /// contacted count are ignored.
    pub fn record(&mut self, group: usize, result: ReplicaResult) -> Option<Verdict> {
        if self.verdict.is_none() {
            if let Some(tally) = self.groups.get_mut(group) {
                tally.add(result);
            }
            self.verdict = self.decide(false);
        }
        self.verdict.clone()
    }

    /// The deadline passed: decides with the results that arrived (an earlier verdict stands).
    pub fn give_up(&mut self) -> Verdict {
        let verdict = match self.verdict.take() {
            Some(verdict) => verdict,
            None => self.decide(true).unwrap_or_else(Verdict::no_quorum),
        };
        self.verdict = Some(verdict.clone());
        verdict
    }

    /// The verdict if it is decided.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// The rule every deciding group must satisfy at this level.
    fn rule(&self) -> Rule {
        match self.consistency {
            Consistency::DcOne => Rule::AnyReply,
            Consistency::DcQuorum => Rule::QuorumOfReplies,
            Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum => Rule::QuorumOfIdenticalReplies,
        }
    }

    /// The groups whose answers decide: all for DC_EACH_SAFE_QUORUM, else the local one.
    fn deciding_groups(&self) -> &[GroupTally] {
        match self.consistency {
            Consistency::DcEachSafeQuorum => &self.groups,
            _ => self.groups.get(..1).unwrap_or(&[]),
        }
    }

    /// The verdict the results so far allow, if any; `finished` means nothing more will arrive.
    fn decide(&self, finished: bool) -> Option<Verdict> {
        let rule = self.rule();
        let deciding = self.deciding_groups();
        let Some(local) = deciding.first() else {
            return Some(Verdict::no_quorum());
        };
        let states: Vec<GroupState> = deciding.iter().map(|tally| tally.state(rule, finished)).collect();
        if states.contains(&GroupState::Impossible) {
            return Some(self.failure_verdict(local));
        }
        if states.contains(&GroupState::Open) {
            return None;
        }
        match states.into_iter().next() {
            Some(GroupState::Reached(bytes)) => Some(Verdict::Reply(bytes)),
            _ => Some(Verdict::no_quorum()),
        }
    }

    /// The error for a request that cannot be answered: DC_ONE repeats its owner's failure (a timeout if
    /// none was reported), the quorum levels say the quorum failed.
    fn failure_verdict(&self, local: &GroupTally) -> Verdict {
        match self.consistency {
            Consistency::DcOne => Verdict::failure(local.first_failure().unwrap_or(&ReplicaFailure::Timeout)),
            _ => Verdict::no_quorum(),
        }
    }
}

/// Decides a whole sequence of `(group, result)` at once, giving up after the last one if undecided.
/// Convenient for tests and for callers that gathered every result already.
pub fn decide_all(
    consistency: Consistency,
    groups: &[usize],
    results: impl IntoIterator<Item = (usize, ReplicaResult)>,
) -> Verdict {
    let mut collector = QuorumCollector::new(consistency, groups);
    for (group, result) in results {
        if let Some(verdict) = collector.record(group, result) {
            return verdict;
        }
    }
    collector.give_up()
}
