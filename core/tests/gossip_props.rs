//! The gossip membership state machine (`core/src/gossip`): its merge is a join (commutative and
//! idempotent on digests that could really occur), silence convicts, a newer heartbeat clears, a
//! replacement at the same place takes over, states travel; and a pure in-process cluster of six
//! memberships exchanging push-pull digests marks a silent node down within the bound and back up
//! when it returns.

use dynomite_core::gossip::{GossipEvent, GossipTiming, Member, Membership};
use dynomite_core::peer::{GossipEntry, NodeIdentity, NodeState, PeerMessage};
use proptest::prelude::*;

const TIMING: GossipTiming = GossipTiming { interval_ms: 100, down_after_ms: 400 };

fn identity(index: usize) -> NodeIdentity {
    NodeIdentity {
        datacenter: "dc1".into(),
        rack: format!("rack{}", index % 3),
        address: format!("10.0.0.{index}:8101"),
        tokens: vec![index as u32 * 1000],
    }
}

fn ring(nodes: usize) -> Vec<NodeIdentity> {
    (0..nodes).map(identity).collect()
}

/// The entries of a digest.
fn entries(digest: &PeerMessage) -> Vec<GossipEntry> {
    match digest {
        PeerMessage::Gossip { entries, .. } => entries.clone(),
        other => panic!("not a digest: {other:?}"),
    }
}

/// What the merge decides for every member: version, state, address (not local timing).
fn view(membership: &Membership) -> Vec<(u64, u64, NodeState, String)> {
    membership
        .members()
        .iter()
        .map(|member: &Member| {
            (member.generation, member.heartbeat, member.state, member.identity.address.clone())
        })
        .collect()
}

/// An entry that could occur: a version is made by its node alone, so the address (a replacement
/// gets a new one with a new generation) and the announced state follow from the version; only the
/// down mark differs between observers.
fn entry_for(index: usize, generation: u64, heartbeat: u64, down: bool) -> GossipEntry {
    let place = identity(index);
    let announced = [NodeState::Normal, NodeState::Standby, NodeState::WritesOnly][(heartbeat % 3) as usize];
    GossipEntry {
        datacenter: place.datacenter,
        rack: place.rack,
        tokens: place.tokens,
        address: format!("10.{generation}.0.{index}:8101"),
        generation,
        heartbeat,
        state: if down { NodeState::Down } else { announced },
    }
}

fn digest() -> impl Strategy<Value = Vec<GossipEntry>> {
    prop::collection::vec((1usize..4, 0u64..3, 0u64..4, any::<bool>()), 0..8).prop_map(|entries| {
        entries
            .into_iter()
            .map(|(index, generation, heartbeat, down)| entry_for(index, generation, heartbeat, down))
            .collect()
    })
}

fn fresh() -> Membership {
    Membership::new(ring(4), 0, 5, 0, TIMING)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merge_is_commutative(first in digest(), second in digest()) {
        let (mut one, mut two) = (fresh(), fresh());
        one.handle_gossip(10, &first);
        one.handle_gossip(10, &second);
        two.handle_gossip(10, &second);
        two.handle_gossip(10, &first);
        prop_assert_eq!(view(&one), view(&two));
    }

    #[test]
    fn merge_is_idempotent(first in digest()) {
        let mut once = fresh();
        once.handle_gossip(10, &first);
        let mut twice = once.clone();
        let events = twice.handle_gossip(20, &first);
        prop_assert_eq!(view(&once), view(&twice));
        prop_assert!(events.is_empty(), "{:?}", events);
    }

    #[test]
    fn merge_never_moves_a_version_back(first in digest(), second in digest()) {
        let mut membership = fresh();
        membership.handle_gossip(10, &first);
        let before = view(&membership);
        membership.handle_gossip(10, &second);
        for (old, new) in before.iter().zip(view(&membership)) {
            prop_assert!((old.0, old.1) <= (new.0, new.1), "{:?} -> {:?}", old, new);
        }
    }
}

#[test]
fn silence_convicts_after_down_after_and_a_newer_heartbeat_clears() {
    let mut membership = fresh();
    assert_eq!(membership.poll_timeout(), 0, "the first round is due at once");
    let round = membership.handle_timeout(0, 7);
    assert!(round.send.is_some() && round.events.is_empty());
    assert_eq!(membership.poll_timeout(), 100);
    // Heartbeats from 1 and 2 keep them alive; 3 says nothing.
    for now in [100, 200, 300] {
        membership.handle_timeout(now, now);
        membership.handle_gossip(now, &[entry_for(1, 1, now, false), entry_for(2, 1, now, false)]);
    }
    let round = membership.handle_timeout(399, 0);
    assert!(round.events.is_empty(), "not yet: {:?}", round.events);
    assert_eq!(membership.poll_timeout(), 400, "3's conviction is the next thing due");
    let round = membership.handle_timeout(400, 0);
    assert_eq!(round.events, vec![GossipEvent::Down { index: 3, silent_ms: 400 }]);
    assert!(membership.members()[3].is_down() && !membership.members()[1].is_down());
    // The same version again changes nothing; a newer one brings it back.
    assert!(membership.handle_gossip(450, &[entry_for(3, 0, 0, false)]).is_empty());
    let events = membership.handle_gossip(500, &[entry_for(3, 0, 3, false)]);
    assert_eq!(events, vec![GossipEvent::Up { index: 3 }]);
    assert_eq!(membership.members()[3].state, NodeState::Normal);
}

#[test]
fn a_down_mark_spreads_to_those_who_have_not_heard_newer() {
    let mut membership = fresh();
    membership.handle_gossip(10, &[entry_for(2, 1, 3, false)]);
    let events = membership.handle_gossip(20, &[entry_for(2, 1, 3, true)]);
    assert_eq!(events, vec![GossipEvent::Down { index: 2, silent_ms: 0 }]);
    // An older down mark does not undo what we heard since.
    membership.handle_gossip(30, &[entry_for(2, 1, 4, false)]);
    assert!(membership.handle_gossip(40, &[entry_for(2, 1, 3, true)]).is_empty());
    assert!(!membership.members()[2].is_down());
}

#[test]
fn a_replacement_with_the_same_place_and_a_new_address_takes_over() {
    let mut membership = fresh();
    membership.handle_gossip(10, &[entry_for(1, 1, 1, false)]);
    let mut replacement = entry_for(1, 2, 0, false);
    replacement.address = "10.9.9.9:8101".into();
    let events = membership.handle_gossip(20, &[replacement.clone()]);
    assert_eq!(events, vec![GossipEvent::Moved { index: 1, address: "10.9.9.9:8101".into() }]);
    assert_eq!(membership.members()[1].identity.address, "10.9.9.9:8101");
    // A wildcard listener address (how a node on 0.0.0.0 knows itself) never moves the link.
    let mut wildcard = entry_for(1, 3, 0, false);
    wildcard.address = "0.0.0.0:8101".into();
    assert!(membership.handle_gossip(25, &[wildcard]).is_empty());
    assert_eq!(membership.members()[1].identity.address, "10.9.9.9:8101");
    // A place not on the ring is ignored (the ring is built from the seeds).
    replacement.tokens = vec![42];
    assert!(membership.handle_gossip(30, &[replacement]).is_empty());
}

#[test]
fn a_seed_provider_relocates_a_place_and_the_replacements_gossip_keeps_it() {
    let mut membership = fresh();
    let place = identity(2);
    let moved = membership.relocate(&place.datacenter, &place.rack, &place.tokens, "10.7.7.7:8101");
    assert_eq!(moved, Some(GossipEvent::Moved { index: 2, address: "10.7.7.7:8101".into() }));
    assert_eq!(membership.members()[2].identity.address, "10.7.7.7:8101");
    assert_eq!(
        (membership.members()[2].generation, membership.members()[2].heartbeat),
        (0, 0),
        "versions untouched"
    );
    // Told again, nothing moves; an unknown place, this node's own place, a wildcard: nothing.
    assert_eq!(membership.relocate(&place.datacenter, &place.rack, &place.tokens, "10.7.7.7:8101"), None);
    assert_eq!(membership.relocate(&place.datacenter, &place.rack, &[42], "10.7.7.8:8101"), None);
    let own = identity(0);
    assert_eq!(membership.relocate(&own.datacenter, &own.rack, &own.tokens, "10.7.7.9:8101"), None);
    assert_eq!(membership.relocate(&place.datacenter, &place.rack, &place.tokens, "0.0.0.0:8101"), None);
    // The replacement then gossips from that address in a new life: no second move.
    let mut replacement = entry_for(2, 9, 0, false);
    replacement.address = "10.7.7.7:8101".into();
    assert!(membership.handle_gossip(10, &[replacement]).is_empty());
    // A stale entry of the node it replaced (an older life, the old address) moves nothing back.
    let mut stale = entry_for(2, 1, 5, false);
    stale.address = "10.0.0.2:8101".into();
    assert!(membership.handle_gossip(20, &[stale]).is_empty());
    assert_eq!(membership.members()[2].identity.address, "10.7.7.7:8101");
}

#[test]
fn a_node_refutes_a_previous_life_and_its_own_down_mark() {
    let mut membership = fresh(); // generation 5
    let mut about_me = entry_for(0, 9, 4, false);
    about_me.address = identity(0).address;
    membership.handle_gossip(10, &[about_me.clone()]);
    let me = &membership.members()[0];
    assert_eq!((me.generation, me.heartbeat), (10, 0), "jumps past the previous life's generation");
    about_me.generation = 10;
    about_me.heartbeat = 0;
    about_me.state = NodeState::Down;
    membership.handle_gossip(20, &[about_me]);
    let me = &membership.members()[0];
    assert_eq!((me.generation, me.heartbeat, me.state), (10, 1, NodeState::Normal));
}

#[test]
fn the_local_state_travels_in_the_digest() {
    let mut standby = Membership::new(ring(4), 1, 3, 0, TIMING);
    standby.set_local_state(NodeState::Standby);
    let mut observer = fresh();
    observer.handle_gossip(0, &entries(&standby.digest()));
    assert_eq!(observer.members()[1].state, NodeState::Standby);
    assert_eq!(observer.members()[1].generation, 3);
}

/// A pure in-process cluster: every node runs its rounds at its own phase, a digest is answered with
/// the receiver's digest (push-pull), delivery is instant. `alive[i] = false` silences node i.
struct Cluster {
    nodes: Vec<Membership>,
    alive: Vec<bool>,
    random: u64,
}

impl Cluster {
    fn new(size: usize, now_ms: u64) -> Cluster {
        let nodes = (0..size).map(|index| Membership::new(ring(size), index, 1, now_ms, TIMING)).collect();
        Cluster { nodes, alive: vec![true; size], random: 0x9e37_79b9_7f4a_7c15 }
    }

    fn next_random(&mut self) -> u64 {
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        self.random
    }

    /// Runs every node's due work at `now_ms`.
    fn step(&mut self, now_ms: u64) {
        for index in 0..self.nodes.len() {
            if !self.alive[index] || self.nodes[index].poll_timeout() > now_ms {
                continue;
            }
            let random = self.next_random();
            let round = self.nodes[index].handle_timeout(now_ms, random);
            let Some((target, digest)) = round.send else { continue };
            if !self.alive[target] {
                continue;
            }
            self.nodes[target].handle_gossip(now_ms, &entries(&digest));
            let answer = self.nodes[target].digest();
            self.nodes[index].handle_gossip(now_ms, &entries(&answer));
        }
    }

    /// Steps 1 ms at a time until `done` holds for every live node but `except`; the time it took.
    fn run_until(&mut self, start_ms: u64, limit_ms: u64, done: impl Fn(&Membership) -> bool) -> u64 {
        for now in start_ms..start_ms + limit_ms {
            self.step(now);
            let all = (0..self.nodes.len())
                .filter(|index| self.alive[*index])
                .all(|index| done(&self.nodes[index]));
            if all {
                return now - start_ms;
            }
        }
        panic!("not done within {limit_ms} ms");
    }
}

#[test]
fn six_nodes_mark_a_silent_one_down_within_the_bound_and_up_when_it_returns() {
    let mut cluster = Cluster::new(6, 0);
    // Warm up: everyone hears everyone; nobody is convicted while all gossip.
    for now in 0..2_000 {
        cluster.step(now);
    }
    assert!(cluster.nodes.iter().all(|node| node.members().iter().all(|member| !member.is_down())));
    cluster.alive[4] = false;
    let detected_ms = cluster.run_until(2_000, 10_000, |node| node.members()[4].is_down());
    // Its last heartbeat reached the others within a few rounds; down_after after that.
    let bound_ms = TIMING.down_after_ms + 3 * TIMING.interval_ms;
    assert!(detected_ms <= bound_ms, "detected after {detected_ms} ms, bound {bound_ms} ms");
    // It restarts (a new generation) and is heard from again.
    let restart_ms = 2_000 + detected_ms + 500;
    cluster.nodes[4] = Membership::new(ring(6), 4, 2, restart_ms, TIMING);
    cluster.alive[4] = true;
    let back_ms =
        cluster.run_until(restart_ms, 10_000, |node| node.members().iter().all(|member| !member.is_down()));
    assert!(back_ms <= 4 * TIMING.interval_ms, "back after {back_ms} ms");
}
