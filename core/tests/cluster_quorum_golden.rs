//! Golden table of quorum outcomes (STYLE.md #12): for 1, 2, 3 and 5 racks, every consistency level and
//! sequences of agreeing, disagreeing, failed and missing replies, the verdict and the moment it is
//! decided. Each row says why its answer is right.
//!
//! Row notation
//! - `groups`: replicas contacted per datacenter (group 0 is the local one).
//! - `events`: results in arrival order, space separated; `A`/`B`/`C`/`D` are distinct bulk replies,
//!   `W` a datastore error reply (`-WRONGTYPE ...`), `down`/`nc`/`refused`/`timeout`/`storage` replica
//!   failures; `1:A` is a result of group 1 (default group 0).
//! - `expected`: `<answer>@<n>`: decided after the n-th event (`0` = at construction, `end` = only at
//!   the deadline, by `give_up`). Answers are the reply letters, `noq` (`ERR Dynomite: Failed to
//!   achieve Quorum`) or a failure name (its own error text).

use bytes::Bytes;
use dynomite_core::cluster::{
    QuorumCollector, ReplicaFailure, ReplicaResult, Verdict, DATASTORE_REFUSED_TEXT, NO_QUORUM_TEXT,
};
use dynomite_core::config::Consistency;
use dynomite_core::config::Consistency::{DcEachSafeQuorum as Each, DcOne as One};
use dynomite_core::config::Consistency::{DcQuorum as Quorum, DcSafeQuorum as Safe};

/// One table row: level, contacted per group, events, expected answer, why.
type Row = (Consistency, &'static [usize], &'static str, &'static str, &'static str);

const ROWS: &[Row] = &[
    // ---- 1 rack (quorum 1) ----
    (One, &[1], "A", "A@1", "the local owner replied"),
    (One, &[1], "W", "W@1", "a datastore error reply is a reply and is passed through"),
    (One, &[1], "down", "down@1", "the owner is down: DC_ONE answers that failure's own text"),
    (One, &[1], "storage", "storage@1", "the datastore refused: its text, not a quorum error"),
    (One, &[1], "", "timeout@end", "nothing arrived by the deadline: the timeout text"),
    (One, &[0], "", "timeout@0", "no replica could be contacted: decided at once"),
    (Quorum, &[1], "A", "A@1", "one reply is a quorum of one"),
    (Quorum, &[1], "nc", "noq@1", "the only replica failed: no quorum can form"),
    (Safe, &[1], "A", "A@1", "one identical reply is a safe quorum of one"),
    (Safe, &[1], "timeout", "noq@1", "the only replica timed out"),
    (Safe, &[0], "", "noq@0", "an empty group can never reach a quorum"),
    (Each, &[1], "A", "A@1", "the only datacenter reached its safe quorum"),
    // ---- 2 racks (quorum 2) ----
    (Quorum, &[2], "A A", "A@2", "two agreeing replies"),
    (
        Quorum,
        &[2],
        "A B",
        "A@2",
        "two replies are a quorum; they disagree and nothing is pending: the first (C Dynomite)",
    ),
    (Quorum, &[2], "B A", "B@2", "same with the other order: the first again"),
    (Quorum, &[2], "down", "noq@1", "one failure leaves at most one reply: impossible at once"),
    (Quorum, &[2], "A refused", "noq@2", "one reply is not a quorum of two"),
    (Quorum, &[2], "A", "noq@end", "the deadline passed with one reply of the two needed"),
    (Safe, &[2], "A A", "A@2", "two identical replies"),
    (Safe, &[2], "A B", "noq@2", "two different replies: no value can reach two copies"),
    (Safe, &[2], "W W", "W@2", "identical error replies form a quorum too (byte comparison)"),
    (Safe, &[2], "A", "noq@end", "the deadline passed with one copy"),
    (One, &[2], "timeout nc", "timeout@2", "every replica failed: the first failure's text"),
    (Each, &[2], "A B", "noq@2", "a lone datacenter of two disagreeing replicas"),
    (Each, &[2, 1], "1:A 0:A 0:A", "A@3", "the remote's one reply is its quorum; the local pair agreed"),
    // ---- 3 racks (quorum 2) ----
    (One, &[3], "down A", "A@2", "DC_ONE given several replicas answers the first reply"),
    (Quorum, &[3], "A A", "A@2", "a quorum agreed; the third is not waited for"),
    (Quorum, &[3], "A A B", "A@2", "decided at the second; the late B is ignored"),
    (Quorum, &[3], "A B A", "A@3", "A and B disagree with one pending: wait, then A has the majority"),
    (Quorum, &[3], "A B B", "B@3", "the majority wins over the first reply"),
    (Quorum, &[3], "A B C", "A@3", "all differ, nothing pending: the first (C Dynomite)"),
    (Quorum, &[3], "A B down", "A@3", "two disagreeing replies and no more pending: the first"),
    (Quorum, &[3], "A B", "A@end", "deadline with two disagreeing replies (a quorum): the first"),
    (Quorum, &[3], "A down", "noq@end", "deadline with one reply of the two needed"),
    (Quorum, &[3], "down timeout", "noq@2", "two failures of three: at most one reply can come"),
    (Safe, &[3], "A A", "A@2", "two identical replies of three"),
    (Safe, &[3], "down A A", "A@3", "a failure does not matter once two agree"),
    (Safe, &[3], "A B A", "A@3", "the third reply breaks the tie"),
    (Safe, &[3], "A B C", "noq@3", "three different replies"),
    (Safe, &[3], "A B down", "noq@3", "one copy each and nothing pending"),
    (Safe, &[3], "A B", "noq@end", "deadline with no two identical replies"),
    (Safe, &[3], "down down", "noq@2", "one replica left cannot make two copies"),
    (Safe, &[3], "A down", "noq@end", "A could still have met a second copy, but the deadline came"),
    // ---- 5 racks (quorum 3) ----
    (Quorum, &[5], "A A A", "A@3", "three agreeing replies of five"),
    (Quorum, &[5], "A B C", "A@end", "three replies (a quorum) disagree; at the deadline the first"),
    (Quorum, &[5], "A B C down down", "A@5", "three disagreeing replies, nothing pending: the first"),
    (Quorum, &[5], "A B B C B", "B@5", "waiting on disagreement let B reach three copies"),
    (Quorum, &[5], "A B B C", "B@end", "deadline: B is the most common reply"),
    (Quorum, &[5], "down down down", "noq@3", "three failures of five: at most two replies"),
    (Safe, &[5], "A A A", "A@3", "three identical replies of five"),
    (Safe, &[5], "A down A down A", "A@5", "failures in between do not matter"),
    (Safe, &[5], "A B C", "", "still open: each could reach three copies with two pending"),
    (Safe, &[5], "A B C D", "noq@4", "one copy each, one pending: no value can reach three"),
    (Safe, &[5], "A B A B C", "noq@5", "two copies at most"),
    (Safe, &[5], "A B A B", "noq@end", "deadline at two copies each"),
    (One, &[5], "down down A", "A@3", "the first reply, however many failed before it"),
    (
        Each,
        &[5, 3],
        "0:A 0:B 1:C 1:C 0:A 0:A",
        "A@6",
        "remote agreed on C first; local A reached three of five last",
    ),
    // ---- several datacenters ----
    (Each, &[3, 3], "0:A 0:A 1:A 1:A", "A@4", "both datacenters reached a safe quorum"),
    (Each, &[3, 3], "0:A 1:A 0:A 1:A", "A@4", "interleaving does not matter"),
    (Each, &[3, 3], "0:A 0:A 1:B 1:B", "A@4", "each datacenter agreed internally: the local one answers"),
    (Each, &[3, 3], "0:A 0:A 1:down 1:down", "noq@4", "the remote datacenter cannot reach a quorum"),
    (Each, &[3, 3], "1:down 1:down", "noq@2", "decided as soon as any datacenter is impossible"),
    (
        Each,
        &[3, 5],
        "0:A 0:A 1:A 1:A",
        "noq@end",
        "the remote needs three of five; it had two at the deadline",
    ),
    (Each, &[3, 5], "0:A 0:A 1:A 1:A 1:A", "A@5", "the remote reached three of five"),
    (Quorum, &[3, 2], "1:down 1:down 0:A 0:A", "A@4", "below EACH only the local datacenter decides"),
    (Safe, &[3], "9:A 0:A 0:A", "A@3", "a result for an unknown group is ignored"),
];

fn reply_bytes(letter: &str) -> Option<Bytes> {
    match letter {
        "A" | "B" | "C" | "D" => Some(Bytes::from(format!("${}\r\n{letter}\r\n", letter.len()))),
        "W" => Some(Bytes::from_static(
            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        )),
        _ => None,
    }
}

fn failure(name: &str) -> ReplicaFailure {
    match name {
        "down" => ReplicaFailure::PeerDown,
        "nc" => ReplicaFailure::PeerNotConnected,
        "refused" => ReplicaFailure::PeerRefused,
        "timeout" => ReplicaFailure::Timeout,
        "storage" => ReplicaFailure::Datastore(DATASTORE_REFUSED_TEXT.to_string()),
        other => panic!("unknown event {other} in the table"),
    }
}

fn event(text: &str) -> (usize, ReplicaResult) {
    let (group, name) = match text.split_once(':') {
        Some((group, name)) => (group.parse().expect("group index"), name),
        None => (0, text),
    };
    match reply_bytes(name) {
        Some(bytes) => (group, ReplicaResult::Reply(bytes)),
        None => (group, ReplicaResult::Failed(failure(name))),
    }
}

fn expected_verdict(answer: &str) -> Verdict {
    if answer == "noq" {
        return Verdict::Error(Bytes::from_static(NO_QUORUM_TEXT.as_bytes()));
    }
    match reply_bytes(answer) {
        Some(bytes) => Verdict::Reply(bytes),
        None => Verdict::Error(Bytes::from(failure(answer).error_text())),
    }
}

/// Runs one row: the verdict and when it was decided (`Some(n)` events, `None` = at the deadline).
fn run(level: Consistency, groups: &[usize], events: &str) -> (Option<Verdict>, String) {
    let mut collector = QuorumCollector::new(level, groups);
    if let Some(verdict) = collector.verdict() {
        return (Some(verdict.clone()), "0".to_string());
    }
    for (index, text) in events.split_whitespace().enumerate() {
        let (group, result) = event(text);
        if let Some(verdict) = collector.record(group, result) {
            return (Some(verdict), (index + 1).to_string());
        }
    }
    (None, "end".to_string())
}

#[test]
fn quorum_outcomes_match_the_table() {
    for &(level, groups, events, expected, why) in ROWS {
        let context = format!("{} {groups:?} [{events}] ({why})", level.wire_name());
        let (verdict, moment) = run(level, groups, events);
        if expected.is_empty() {
            assert_eq!(verdict, None, "{context}: should still be open");
            continue;
        }
        let (answer, expected_moment) = expected.split_once('@').expect("answer@moment");
        assert_eq!(moment, expected_moment, "{context}: decided at the wrong moment");
        let verdict = match verdict {
            Some(verdict) => verdict,
            None => {
                let mut collector = QuorumCollector::new(level, groups);
                events.split_whitespace().map(event).for_each(|(group, result)| {
                    collector.record(group, result);
                });
                collector.give_up()
            }
        };
        assert_eq!(verdict, expected_verdict(answer), "{context}");
    }
}

#[test]
fn the_table_covers_every_level_and_rack_count() {
    for level in Consistency::ALL {
        for racks in [1, 2, 3, 5] {
            let covered =
                ROWS.iter().any(|(row_level, groups, ..)| *row_level == level && groups[0] == racks);
            assert!(covered, "no row for {} with {racks} racks", level.wire_name());
        }
    }
}

#[test]
fn a_verdict_is_final() {
    let mut collector = QuorumCollector::new(Safe, &[3]);
    assert_eq!(collector.record(0, event("A").1), None);
    let first = collector.record(0, event("A").1);
    assert_eq!(first, Some(expected_verdict("A")));
    assert_eq!(collector.record(0, event("B").1), first);
    assert_eq!(Some(collector.give_up()), first);
}

#[test]
fn wire_bytes_of_verdicts() {
    assert_eq!(
        expected_verdict("noq").to_wire(),
        Bytes::from_static(b"-ERR Dynomite: Failed to achieve Quorum\r\n")
    );
    assert_eq!(expected_verdict("A").to_wire(), Bytes::from_static(b"$1\r\nA\r\n"));
}

#[test]
fn failure_texts() {
    let failures = [
        ReplicaFailure::PeerDown,
        ReplicaFailure::PeerNotConnected,
        ReplicaFailure::PeerRefused,
        ReplicaFailure::Timeout,
        ReplicaFailure::Datastore(DATASTORE_REFUSED_TEXT.to_string()),
        ReplicaFailure::Datastore("line one\r\nline two".to_string()),
    ];
    let lines: Vec<String> = failures.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(lines.join("\n"));
}
