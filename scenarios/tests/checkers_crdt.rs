//! The CRDT checkers on hand-built histories and replica states: each rule fails on a history that
//! breaks it and passes on one that keeps it (counter sums, no lost DC_SAFE_QUORUM write,
//! read-your-writes under the HLC-LWW rule, convergence of data and metadata).

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_chaos::{Fault, FaultEvent, Shape};
use dynomite_core::config::Consistency;
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::resp::Frame;
use dynomite_scenarios::checkers::{
    convergence, counter_sums, no_lost_safe_writes, read_your_acknowledged_writes, replication_completeness,
    Facts, KeyData, LinkSample, ReplicaState, ReplicaStates, ReplicaValues, Timeline, Verdict,
};
use dynomite_scenarios::history::{Command, History, Operation, Outcome};
use dynomite_scenarios::placement::Owners;
use dynomite_scenarios::workload::all_keys;
use dynomite_sim::SimConfig;

fn bytes(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

/// Timestamp `physical_ms` of coordinator id 7.
fn ts(physical_ms: u64) -> Timestamp {
    Timestamp::new(physical_ms, 0, 7)
}

/// An `Ok` request on `connection` via node 0 at `level`, acknowledged by nodes 0 and 1.
fn op(connection: u64, level: Consistency, command: Command, reply: Frame, at_ms: u64) -> Operation {
    Operation {
        id: 0,
        client: connection as usize,
        connection,
        connection_id: connection,
        sequence: at_ms,
        batch: 0,
        position: 0,
        node: 0,
        consistency: level,
        command,
        invoked_ms: at_ms,
        completed_ms: at_ms + 5,
        outcome: Outcome::Ok(reply),
        acknowledged_by: vec![vec![0, 1]],
        timestamps: Vec::new(),
    }
}

fn stamped(operation: Operation, stamp: Timestamp) -> Operation {
    Operation { timestamps: vec![stamp], ..operation }
}

fn failed(operation: Operation) -> Operation {
    Operation {
        outcome: Outcome::Indeterminate("lost".to_string()),
        acknowledged_by: Vec::new(),
        ..operation
    }
}

/// Judges `operations` with `states` (one copy per node 0..3 of each key) and `events` as the plan.
fn judge(
    operations: Vec<Operation>,
    states: &ReplicaStates,
    events: Vec<FaultEvent>,
    checker: fn(&Facts<'_>) -> Verdict,
) -> Verdict {
    judge_aged(operations, states, events, None, checker)
}

/// [`judge`] with `tombstone_gc_age` = `gc_age_ms`.
fn judge_aged(
    operations: Vec<Operation>,
    states: &ReplicaStates,
    events: Vec<FaultEvent>,
    gc_age_ms: Option<u64>,
    checker: fn(&Facts<'_>) -> Verdict,
) -> Verdict {
    judge_on(1, operations, states, &ReplicaValues::new(), events, gc_age_ms, checker)
}

/// Judges `operations` on `datacenters` datacenters of three racks of one node (nodes numbered
/// datacenter by datacenter), every link up, with `events` as the plan.
fn judge_on(
    datacenters: usize,
    mut operations: Vec<Operation>,
    states: &ReplicaStates,
    replicas: &ReplicaValues,
    events: Vec<FaultEvent>,
    gc_age_ms: Option<u64>,
    checker: fn(&Facts<'_>) -> Verdict,
) -> Verdict {
    for (id, operation) in operations.iter_mut().enumerate() {
        operation.id = id as u64;
    }
    let history = History::new(operations);
    let shape = Shape::new(datacenters, 3, 1);
    let owners = Owners::compute(&SimConfig::new(datacenters, 3, 1, 1), &all_keys(2, datacenters));
    let nodes = 3 * datacenters;
    let all_up = |at_ms| LinkSample {
        at_ms,
        states: (0..nodes)
            .flat_map(|from| (0..nodes).filter(move |to| *to != from).map(move |to| (from, to, true, false)))
            .collect(),
    };
    let timeline = Timeline::new(shape, events, vec![all_up(0), all_up(200_000)]);
    let facts = Facts {
        history: &history,
        shape: &shape,
        owners: &owners,
        timeline: &timeline,
        replicas,
        states,
        gc_possible: false,
        tombstone_gc_age_ms: gc_age_ms,
        replicas_read_ms: 100_000,
        clients_per_datacenter: 1,
    };
    checker(&facts)
}

/// Every replica (nodes 0, 1, 2) of `key` holds `data` with metadata `meta`.
fn everywhere(key: &str, data: KeyData, meta: &[(&str, String)]) -> ReplicaStates {
    let state = ReplicaState {
        data,
        meta: meta.iter().map(|(field, value)| (bytes(field), bytes(value))).collect(),
        pttl_ms: -1,
        now_ms: 1_000_000,
    };
    let copies: BTreeMap<usize, ReplicaState> = (0..3).map(|node| (node, state.clone())).collect();
    [(bytes(key), copies)].into_iter().collect()
}

fn hex(stamp: Timestamp) -> String {
    stamp.to_string()
}

fn incr(connection: u64, key: &str, delta: i64, at_ms: u64) -> Operation {
    op(connection, Consistency::DcOne, Command::Incrby(bytes(key), delta), Frame::Integer(0), at_ms)
}

#[test]
fn counter_sums_bound_every_replica_by_the_acknowledged_increments() {
    let history = vec![incr(1, "d0", 5, 10), incr(2, "d0", -2, 20), failed(incr(1, "d0", 4, 30))];
    let counted = |value: &str| everywhere("d0", KeyData::String(bytes(value)), &[]);
    // 5 - 2 = 3 for sure; the indeterminate +4 may count: [3, 7].
    for good in ["3", "7"] {
        let verdict = judge(history.clone(), &counted(good), Vec::new(), counter_sums);
        assert!(verdict.passed, "{good}: {verdict:?}");
    }
    // Double counting (a retried +5) and a lost acknowledged increment both fail.
    for bad in ["8", "2"] {
        let verdict = judge(history.clone(), &counted(bad), Vec::new(), counter_sums);
        assert!(verdict.fails_run(), "{bad}: {verdict:?}");
    }
    // A replica without the counter at all, when +3 is certain, fails too.
    let missing = everywhere("d0", KeyData::Absent, &[]);
    assert!(judge(history.clone(), &missing, Vec::new(), counter_sums).fails_run());
    // HINCRBY fields are counters of their own.
    let field =
        op(1, Consistency::DcOne, Command::Hincrby(bytes("k0"), bytes("f1"), 3), Frame::Integer(3), 10);
    let hash = |value: &str| everywhere("k0", KeyData::Hash([(bytes("f1"), bytes(value))].into()), &[]);
    assert!(judge(vec![field.clone()], &hash("3"), Vec::new(), counter_sums).passed);
    assert!(judge(vec![field], &hash("6"), Vec::new(), counter_sums).fails_run());
}

#[test]
fn counter_sums_excuse_increments_held_only_by_wiped_replicas() {
    let history = vec![Operation { consistency: Consistency::DcQuorum, ..incr(1, "d0", 5, 10) }];
    let zero = everywhere("d0", KeyData::Absent, &[]);
    assert!(judge(history.clone(), &zero, Vec::new(), counter_sums).fails_run());
    let wipe = |node| FaultEvent { at_ms: 1_000, fault: Fault::KillNode { node, wipe_data: true } };
    // Acknowledged by 0 and 1 (see `op`): both wiped afterwards, the increment may be gone.
    let verdict = judge(history.clone(), &zero, vec![wipe(0), wipe(1)], counter_sums);
    assert!(verdict.passed, "{verdict:?}");
    // One acknowledging replica kept it: repair must bring it back everywhere.
    assert!(judge(history, &zero, vec![wipe(0)], counter_sums).fails_run());
}

fn safe_set(key: &str, value: &str, at_ms: u64, stamp: Timestamp) -> Operation {
    let command = Command::Set(bytes(key), bytes(value));
    stamped(op(1, Consistency::DcSafeQuorum, command, Frame::ok(), at_ms), stamp)
}

#[test]
fn an_acknowledged_safe_write_must_stay_unless_a_later_timestamp_superseded_it() {
    let write = safe_set("s1", "s1=1.1", 10, ts(1_000));
    let holding = |value: &str, added: Timestamp| {
        everywhere("s1", KeyData::String(bytes(value)), &[("t", "string".into()), ("a", hex(added))])
    };
    assert!(
        judge(vec![write.clone()], &holding("s1=1.1", ts(1_000)), Vec::new(), no_lost_safe_writes).passed
    );
    // Superseded by a later timestamp: fine.
    assert!(
        judge(vec![write.clone()], &holding("s1=2.9", ts(1_500)), Vec::new(), no_lost_safe_writes).passed
    );
    // An older timestamp won (a late, older write overwrote it): lost.
    let verdict = judge(vec![write.clone()], &holding("s1=2.9", ts(900)), Vec::new(), no_lost_safe_writes);
    assert!(verdict.fails_run(), "{verdict:?}");
    // Its own timestamp with another value: the data does not follow its timestamp.
    assert!(judge(vec![write.clone()], &holding("s1=2.9", ts(1_000)), Vec::new(), no_lost_safe_writes)
        .fails_run());
    // A newer delete supersedes it.
    let deleted = everywhere("s1", KeyData::Absent, &[("a", hex(ts(1_000))), ("d", hex(ts(1_200)))]);
    assert!(judge(vec![write.clone()], &deleted, Vec::new(), no_lost_safe_writes).passed);
    // DC_ONE writes are not promised.
    let one = Operation { consistency: Consistency::DcOne, ..write };
    assert!(judge(vec![one], &holding("s1=2.9", ts(900)), Vec::new(), no_lost_safe_writes).passed);
}

#[test]
fn lost_safe_element_counter_and_expiry_writes_fail() {
    let level = Consistency::DcSafeQuorum;
    let sadd =
        stamped(op(1, level, Command::Sadd(bytes("z0"), bytes("m1")), Frame::Integer(1), 10), ts(1_000));
    let set_with = |meta: &[(&str, String)]| everywhere("z0", KeyData::Set([bytes("m1")].into()), meta);
    assert!(
        judge(vec![sadd.clone()], &set_with(&[("e:m1", hex(ts(1_000)))]), Vec::new(), no_lost_safe_writes)
            .passed
    );
    assert!(
        judge(vec![sadd], &set_with(&[("e:m1", hex(ts(800)))]), Vec::new(), no_lost_safe_writes).fails_run()
    );
    let incr = stamped(op(1, level, Command::Incr(bytes("c0")), Frame::Integer(1), 10), ts(1_000));
    let counter = |seen: Timestamp| {
        everywhere(
            "c0",
            KeyData::String(bytes("1")),
            // A component of some datastore (the checker does not know which one applied the op).
            &[("p:00000000000a000000000007", "1".into()), ("h:00000000000a000000000007", hex(seen))],
        )
    };
    assert!(judge(vec![incr.clone()], &counter(ts(1_000)), Vec::new(), no_lost_safe_writes).passed);
    assert!(judge(vec![incr], &counter(ts(999)), Vec::new(), no_lost_safe_writes).fails_run());
    let expire = stamped(op(1, level, Command::Expire(bytes("t0"), 2), Frame::Integer(1), 10), ts(1_000));
    let expiry = |set: Timestamp| everywhere("t0", KeyData::Absent, &[("xt", hex(set))]);
    assert!(judge(vec![expire.clone()], &expiry(ts(1_000)), Vec::new(), no_lost_safe_writes).passed);
    assert!(judge(vec![expire], &expiry(ts(10)), Vec::new(), no_lost_safe_writes).fails_run());
}

fn safe_get(key: &str, value: Option<&str>, at_ms: u64) -> Operation {
    let reply = value.map_or(Frame::Null, |value| Frame::Bulk(bytes(value)));
    op(2, Consistency::DcSafeQuorum, Command::Get(bytes(key)), reply, at_ms)
}

#[test]
fn read_your_writes_follows_timestamps_not_real_time() {
    let states = ReplicaStates::new();
    let check = |history: Vec<Operation>| judge(history, &states, Vec::new(), read_your_acknowledged_writes);
    let mine = safe_set("s1", "s1=1.1", 10, ts(1_000));
    // A write sent later in real time but with an older timestamp (a coordinator whose clock lags) loses:
    // reading it after ours was acknowledged is a violation.
    let older = safe_set("s1", "s1=2.2", 100, ts(500));
    let verdict = check(vec![mine.clone(), older.clone(), safe_get("s1", Some("s1=2.2"), 200)]);
    assert!(verdict.fails_run(), "{verdict:?}");
    // Reading ours, or one with a later timestamp, is fine.
    assert!(check(vec![mine.clone(), older, safe_get("s1", Some("s1=1.1"), 200)]).passed);
    let newer = safe_set("s1", "s1=3.3", 100, ts(1_100));
    assert!(check(vec![mine.clone(), newer, safe_get("s1", Some("s1=3.3"), 200)]).passed);
    // An earlier value acknowledged before ours, with an older timestamp: stale.
    let before = safe_set("s1", "s1=0.0", 0, ts(900));
    assert!(check(vec![before, mine.clone(), safe_get("s1", Some("s1=0.0"), 200)]).fails_run());
    // Nil: only a later-stamped DEL (or EXPIRE) explains it.
    let del = |stamp| {
        stamped(op(3, Consistency::DcOne, Command::Del(vec![bytes("s1")]), Frame::Integer(1), 100), stamp)
    };
    assert!(check(vec![mine.clone(), del(ts(1_200)), safe_get("s1", None, 200)]).passed);
    assert!(check(vec![mine.clone(), del(ts(100)), safe_get("s1", None, 200)]).fails_run());
    // A write whose timestamp nobody saw (its coordinator died) may carry any timestamp.
    let unknown = failed(safe_set("s1", "s1=4.4", 100, ts(1)));
    let unknown = Operation { timestamps: Vec::new(), ..unknown };
    assert!(check(vec![mine, unknown, safe_get("s1", Some("s1=4.4"), 200)]).passed);
}

#[test]
fn read_your_writes_skips_writes_whose_acknowledging_replica_was_wiped() {
    let states = ReplicaStates::new();
    let history = vec![safe_set("s1", "s1=1.1", 10, ts(1_000)), safe_get("s1", None, 5_000)];
    let check = |events| judge(history.clone(), &states, events, read_your_acknowledged_writes);
    assert!(check(Vec::new()).fails_run());
    let wipe = FaultEvent { at_ms: 1_000, fault: Fault::KillNode { node: 1, wipe_data: true } };
    let verdict = check(vec![wipe]);
    assert!(verdict.passed, "{verdict:?}");
}

#[test]
fn read_your_writes_excuses_a_delete_whose_tombstone_the_age_rule_may_have_collected() {
    // Partition seed 67 in small: node 2 is cut off from 1 s to 5 s and misses a DEL acknowledged by
    // nodes 0 and 1 at 2 s; with `tombstone_gc_age` 2.5 s the others may collect its tombstone (age rule,
    // node 2 unreachable) and a repair after the heal copies node 2's older value back to them.
    let states = ReplicaStates::new();
    let level = Consistency::DcSafeQuorum;
    let del = stamped(op(1, level, Command::Del(vec![bytes("s1")]), Frame::Integer(1), 2_000), ts(2_000));
    let history = vec![safe_set("s1", "s1=0.0", 10, ts(10)), del, safe_get("s1", Some("s1=0.0"), 6_000)];
    let isolate = FaultEvent { at_ms: 1_000, fault: Fault::IsolateRack { datacenter: 0, rack: 2 } };
    let heal = FaultEvent { at_ms: 5_000, fault: Fault::Heal };
    let check = |events: Vec<FaultEvent>, age| {
        judge_aged(history.clone(), &states, events, age, read_your_acknowledged_writes)
    };
    let cut_off = vec![isolate.clone(), heal.clone()];
    let verdict = check(cut_off.clone(), Some(2_500));
    assert!(verdict.passed, "{verdict:?}");
    // Binding as before: no short age, an age not yet passed at the read, or no replica that missed it.
    assert!(check(cut_off.clone(), None).fails_run());
    assert!(check(cut_off, Some(10_000)).fails_run());
    assert!(check(Vec::new(), Some(2_500)).fails_run());
    // The replica was back long before the age passed: a repair gave it the tombstone first.
    let early_heal = FaultEvent { at_ms: 2_100, fault: Fault::Heal };
    let late_read = vec![history[0].clone(), history[1].clone(), safe_get("s1", Some("s1=0.0"), 9_000)];
    let verdict =
        judge_aged(late_read, &states, vec![isolate, early_heal], Some(6_000), read_your_acknowledged_writes);
    assert!(verdict.fails_run(), "{verdict:?}");
}

#[test]
fn read_your_writes_excuses_the_writes_a_collected_delete_overwrote() {
    // Kong seed 287 in small: node 2 is cut off from 1 s to 5 s and misses a SET at 1.5 s and then a DEL
    // at 2 s, both acknowledged by nodes 0 and 1. With `tombstone_gc_age` 2.5 s the DEL's tombstone may
    // be collected and a repair brings node 2's value from before both back: the SET is hidden with it.
    let states = ReplicaStates::new();
    let level = Consistency::DcSafeQuorum;
    let isolate = FaultEvent { at_ms: 1_000, fault: Fault::IsolateRack { datacenter: 0, rack: 2 } };
    let heal = FaultEvent { at_ms: 5_000, fault: Fault::Heal };
    let check = |history: &[Operation], age| {
        judge_aged(
            history.to_vec(),
            &states,
            vec![isolate.clone(), heal.clone()],
            age,
            read_your_acknowledged_writes,
        )
    };
    let del = |stamp| stamped(op(1, level, Command::Del(vec![bytes("s1")]), Frame::Integer(1), 2_000), stamp);
    let before = safe_set("s1", "s1=0.0", 10, ts(10));
    let mine = safe_set("s1", "s1=1.1", 1_500, ts(1_500));
    let history = vec![before.clone(), mine.clone(), del(ts(2_000)), safe_get("s1", Some("s1=0.0"), 6_000)];
    let verdict = check(&history, Some(2_500));
    assert!(verdict.passed, "{verdict:?}");
    // No wider: binding without a short age ...
    assert!(check(&history, None).fails_run());
    // ... when the DEL did not overwrite the SET (a lower timestamp: the SET's value outlives it) ...
    let history = vec![before.clone(), mine.clone(), del(ts(1_400)), safe_get("s1", Some("s1=0.0"), 6_000)];
    assert!(check(&history, Some(2_500)).fails_run());
    // ... and when the value read was written after the DEL (no owner that missed the DEL held it then).
    let after = safe_set("s1", "s1=9.9", 3_000, ts(500));
    let history = vec![mine, del(ts(2_000)), after, safe_get("s1", Some("s1=9.9"), 6_000)];
    assert!(check(&history, Some(2_500)).fails_run());
}

#[test]
fn completeness_excuses_the_older_value_a_collected_delete_let_back() {
    // Swarm seed 167 in small: node 2 is cut off from 1 s to 5 s through a DEL acknowledged by nodes 0
    // and 1 at 2 s; with `tombstone_gc_age` 2.5 s they may collect its tombstone (node 2 unreachable),
    // and a repair after the heal spreads node 2's value from before the DEL to every replica.
    let states = ReplicaStates::new();
    let level = Consistency::DcSafeQuorum;
    let isolate = FaultEvent { at_ms: 1_000, fault: Fault::IsolateRack { datacenter: 0, rack: 2 } };
    let heal = FaultEvent { at_ms: 5_000, fault: Fault::Heal };
    let del = stamped(op(1, level, Command::Del(vec![bytes("s1")]), Frame::Integer(1), 2_000), ts(2_000));
    let history = vec![safe_set("s1", "s1=0.0", 10, ts(10)), del];
    let everywhere = |value: &str| -> ReplicaValues {
        [(bytes("s1"), (0..3).map(|node| (node, Some(bytes(value)))).collect())].into_iter().collect()
    };
    let check = |values: &ReplicaValues, age| {
        let events = vec![isolate.clone(), heal.clone()];
        judge_on(1, history.clone(), &states, values, events, age, replication_completeness)
    };
    let verdict = check(&everywhere("s1=0.0"), Some(2_500));
    assert!(verdict.passed, "{verdict:?}");
    // No wider: binding without a short age, with an age not passed by the read, and for a value nobody
    // wrote before the DEL.
    assert!(check(&everywhere("s1=0.0"), None).fails_run());
    assert!(check(&everywhere("s1=0.0"), Some(200_000)).fails_run());
    assert!(check(&everywhere("s1=never"), Some(2_500)).fails_run());
}

#[test]
fn no_lost_safe_writes_excuses_a_write_whose_collected_delete_let_an_older_value_back() {
    // Kong seed 487 in small: node 2 is cut off from 1 s to 5 s and misses a SET at 1.5 s and a DEL at
    // 2 s; with `tombstone_gc_age` 2.5 s the DEL's tombstone may be collected and node 2's older value
    // (and its older timestamp) spread to every replica.
    let level = Consistency::DcSafeQuorum;
    let isolate = FaultEvent { at_ms: 1_000, fault: Fault::IsolateRack { datacenter: 0, rack: 2 } };
    let heal = FaultEvent { at_ms: 5_000, fault: Fault::Heal };
    let holding = |value: &str, added: Timestamp| {
        everywhere("s1", KeyData::String(bytes(value)), &[("t", "string".into()), ("a", hex(added))])
    };
    let del = |stamp| stamped(op(1, level, Command::Del(vec![bytes("s1")]), Frame::Integer(1), 2_000), stamp);
    let before = safe_set("s1", "s1=0.0", 10, ts(10));
    let mine = safe_set("s1", "s1=1.1", 1_500, ts(1_500));
    let check = |history: &[Operation], states: &ReplicaStates, age| {
        judge_aged(history.to_vec(), states, vec![isolate.clone(), heal.clone()], age, no_lost_safe_writes)
    };
    let history = vec![before.clone(), mine.clone(), del(ts(2_000))];
    let verdict = check(&history, &holding("s1=0.0", ts(10)), Some(2_500));
    assert!(verdict.passed, "{verdict:?}");
    // No wider: binding without a short age, when the DEL did not overwrite the SET (a lower
    // timestamp), and when the value held was written after the DEL.
    assert!(check(&history, &holding("s1=0.0", ts(10)), None).fails_run());
    let kept = vec![before, mine.clone(), del(ts(1_400))];
    assert!(check(&kept, &holding("s1=0.0", ts(10)), Some(2_500)).fails_run());
    let after = safe_set("s1", "s1=9.9", 3_000, ts(500));
    let later = vec![mine, del(ts(2_000)), after];
    assert!(check(&later, &holding("s1=9.9", ts(500)), Some(2_500)).fails_run());
}

#[test]
fn read_your_writes_counts_any_wiped_owner_of_a_datacenter_whose_acknowledgements_are_not_recorded() {
    // Swarm seed 434 in small: a DC_EACH_SAFE_QUORUM SET through node 3 (datacenter 1) is acknowledged
    // by nodes 3 and 4 there, and by some two of nodes 0-2 through datacenter 0's entry node (not
    // recorded). Nodes 1 and 2 are wiped later; a DC_EACH_SAFE_QUORUM GET through node 0 answers nil.
    let each = Consistency::DcEachSafeQuorum;
    let set = Operation {
        node: 3,
        consistency: each,
        acknowledged_by: vec![vec![3, 4]],
        ..safe_set("s1", "s1=1.1", 10, ts(10))
    };
    let get = Operation { consistency: each, ..safe_get("s1", None, 5_000) };
    let wipe = |node| FaultEvent { at_ms: 1_000, fault: Fault::KillNode { node, wipe_data: true } };
    let check = |events| {
        judge_on(
            2,
            vec![set.clone(), get.clone()],
            &ReplicaStates::new(),
            &ReplicaValues::new(),
            events,
            None,
            read_your_acknowledged_writes,
        )
    };
    let verdict = check(vec![wipe(1), wipe(2)]);
    assert!(verdict.passed, "{verdict:?}");
    // No wider: binding with no wipe, and with a wipe only of datacenter 1's owner that did not
    // acknowledge (its acknowledgements there are recorded).
    assert!(check(Vec::new()).fails_run());
    assert!(check(vec![wipe(5)]).fails_run());
}

#[test]
fn convergence_fails_on_one_stale_replica() {
    let mut states = everywhere("h0", KeyData::Hash([(bytes("f0"), bytes("h0=1.1"))].into()), &[]);
    assert!(convergence(&states, false).passed);
    let stale = states.get_mut(&bytes("h0")).and_then(|copies| copies.get_mut(&2)).expect("node 2");
    stale.data = KeyData::Absent;
    let verdict = convergence(&states, true);
    assert!(verdict.fails_run() && verdict.detail.contains("data differs"), "{verdict:?}");
}

#[test]
fn a_lost_delete_fails_whether_or_not_its_tombstone_was_collected() {
    let level = Consistency::DcSafeQuorum;
    let del = stamped(op(1, level, Command::Del(vec![bytes("s1")]), Frame::Integer(1), 10), ts(1_000));
    let value = |added: Timestamp| everywhere("s1", KeyData::String(bytes("s1=0.0")), &[("a", hex(added))]);
    assert!(judge(vec![del.clone()], &value(ts(900)), Vec::new(), no_lost_safe_writes).fails_run());
    assert!(judge(vec![del.clone()], &value(ts(1_100)), Vec::new(), no_lost_safe_writes).passed);
    assert!(
        judge(vec![del], &everywhere("s1", KeyData::Absent, &[]), Vec::new(), no_lost_safe_writes).passed
    );
    let srem =
        stamped(op(1, level, Command::Srem(bytes("z0"), bytes("m1")), Frame::Integer(1), 10), ts(1_000));
    let member =
        |added: Timestamp| everywhere("z0", KeyData::Set([bytes("m1")].into()), &[("e:m1", hex(added))]);
    assert!(judge(vec![srem.clone()], &member(ts(900)), Vec::new(), no_lost_safe_writes).fails_run());
    assert!(judge(vec![srem], &member(ts(1_001)), Vec::new(), no_lost_safe_writes).passed);
}

#[test]
fn a_wipe_after_the_read_does_not_excuse_it() {
    let states = ReplicaStates::new();
    let history = vec![safe_set("s1", "s1=1.1", 10, ts(1_000)), safe_get("s1", None, 5_000)];
    let later = FaultEvent { at_ms: 9_000, fault: Fault::KillNode { node: 1, wipe_data: true } };
    let earlier = FaultEvent { at_ms: 1_000, fault: Fault::KillNode { node: 1, wipe_data: true } };
    let check = |events| judge(history.clone(), &states, events, read_your_acknowledged_writes);
    assert!(check(vec![earlier.clone(), later.clone()]).passed);
    assert!(check(vec![later]).fails_run());
}
