//! Each checker against hand-built histories: tables of cases where it must pass and where it must
//! fail (a phantom value, a stale read, too few acknowledgements...), so every checker can fail.
//!
//! The shape is 2 datacenters x 3 racks x 1 node: nodes 0, 1, 2 in datacenter 0 and 3, 4, 5 in
//! datacenter 1; a quorum is 2 racks.

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_chaos::Shape;
use dynomite_core::config::Consistency;
use dynomite_scenarios::checkers::{
    availability, convergence, no_phantom_values, quorum_honesty, read_your_acknowledged_writes,
    ReplicaValues, Verdict,
};
use dynomite_scenarios::history::{History, OpKind, Operation, Outcome};

/// One key's copies as `(node, value)` pairs.
type ReplicaRow = [(usize, Option<Bytes>)];

fn shape() -> Shape {
    Shape::new(2, 3, 1)
}

/// An `Ok` write of `value` to `key` through node 0 at `DC_SAFE_QUORUM`, acknowledgements unknown.
fn write(id: u64, key: &str, value: &str, invoked_ms: u64, completed_ms: u64) -> Operation {
    Operation {
        id,
        client: 0,
        kind: OpKind::Write,
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Some(Bytes::copy_from_slice(value.as_bytes())),
        consistency: Consistency::DcSafeQuorum,
        invoked_ms,
        completed_ms,
        node: 0,
        outcome: Outcome::Ok { value: None, acknowledged_by: Vec::new() },
    }
}

/// An `Ok` read of `key` through node 0 at `DC_SAFE_QUORUM` that returned `returned` (`None` = nil).
fn read(id: u64, key: &str, returned: Option<&str>, invoked_ms: u64, completed_ms: u64) -> Operation {
    let value = returned.map(|text| Bytes::copy_from_slice(text.as_bytes()));
    Operation {
        kind: OpKind::Read,
        value: None,
        outcome: Outcome::Ok { value, acknowledged_by: Vec::new() },
        ..write(id, key, "", invoked_ms, completed_ms)
    }
}

/// Story-style adjustments of an operation.
trait Adjust {
    fn through(self, node: usize) -> Self;
    fn at(self, consistency: Consistency) -> Self;
    fn acknowledged_by(self, nodes: &[usize]) -> Self;
    fn failed(self) -> Self;
    fn indeterminate(self) -> Self;
    fn deleting(self) -> Self;
}

impl Adjust for Operation {
    fn through(self, node: usize) -> Self {
        Operation { node, ..self }
    }
    fn at(self, consistency: Consistency) -> Self {
        Operation { consistency, ..self }
    }
    fn acknowledged_by(mut self, nodes: &[usize]) -> Self {
        if let Outcome::Ok { acknowledged_by, .. } = &mut self.outcome {
            *acknowledged_by = nodes.to_vec();
        }
        self
    }
    fn failed(self) -> Self {
        Operation {
            outcome: Outcome::Failed { error: "ERR Dynomite: Failed to achieve Quorum".into() },
            ..self
        }
    }
    fn indeterminate(self) -> Self {
        Operation { outcome: Outcome::Indeterminate { reason: "timeout".into() }, ..self }
    }
    fn deleting(self) -> Self {
        Operation { value: None, ..self }
    }
}

/// Runs a table: each case is (story, operations, expected pass).
fn run_table(cases: Vec<(&str, Vec<Operation>, bool)>, checker: impl Fn(&History) -> Verdict) {
    for (story, operations, expected) in cases {
        let verdict = checker(&History::new(operations));
        assert_eq!(verdict.passed, expected, "{story}: {}", verdict.detail);
        assert!(!verdict.soft, "{story}");
        assert_eq!(verdict.fails_run(), !expected, "{story}");
    }
}

#[test]
fn availability_counts_failed_and_indeterminate_against_the_threshold() {
    let ops = |failures: u64| -> Vec<Operation> {
        (0..10)
            .map(|id| {
                let operation = write(id, "k", "v", id, id + 1);
                match id {
                    id if id < failures / 2 => operation.failed(),
                    id if id < failures => operation.indeterminate(),
                    _ => operation,
                }
            })
            .collect()
    };
    let cases = vec![
        ("all ok", ops(0), 0.9, true),
        ("one in ten lost, exactly at 90%", ops(1), 0.9, true),
        ("two in ten lost (one failed, one indeterminate)", ops(2), 0.9, false),
        ("nothing recorded", Vec::new(), 0.5, false),
        ("nothing recorded, nothing required", Vec::new(), 0.0, true),
    ];
    for (story, operations, minimum, expected) in cases {
        let verdict = availability(&History::new(operations), minimum);
        assert_eq!(verdict.passed, expected, "{story}: {}", verdict.detail);
    }
    assert!(availability(&History::new(ops(2)), 0.9).detail.contains("ok 8 of 10"));
}

#[test]
fn no_phantom_values_only_accepts_nil_or_attempted_writes() {
    let cases = vec![
        ("nil needs no writer", vec![read(1, "k", None, 0, 5)], true),
        ("the written value", vec![write(1, "k", "a", 0, 5), read(2, "k", Some("a"), 6, 8)], true),
        (
            "a failed write's value may show",
            vec![write(1, "k", "a", 0, 5).failed(), read(2, "k", Some("a"), 6, 8)],
            true,
        ),
        ("a write in flight may show", vec![write(1, "k", "a", 4, 20), read(2, "k", Some("a"), 2, 8)], true),
        ("a value nobody wrote", vec![write(1, "k", "a", 0, 5), read(2, "k", Some("zzz"), 6, 8)], false),
        (
            "a value written to another key",
            vec![write(1, "other", "a", 0, 5), read(2, "k", Some("a"), 6, 8)],
            false,
        ),
        ("a value from the future", vec![read(1, "k", Some("a"), 0, 5), write(2, "k", "a", 6, 8)], false),
        ("failed reads are not checked", vec![read(1, "k", Some("zzz"), 0, 5).failed()], true),
    ];
    run_table(cases, no_phantom_values);
}

#[test]
fn quorum_honesty_needs_a_quorum_of_racks_where_the_level_says() {
    let safe_write = |acks: &[usize]| write(1, "k", "v", 0, 5).acknowledged_by(acks);
    let each = Consistency::DcEachSafeQuorum;
    let cases = vec![
        ("two of three local racks", vec![safe_write(&[0, 1])], true),
        ("one local rack", vec![safe_write(&[0])], false),
        ("acknowledgements unknown", vec![safe_write(&[])], true),
        ("a remote rack does not count locally", vec![safe_write(&[0, 3])], false),
        ("coordinated in datacenter 1", vec![safe_write(&[3, 5]).through(4)], true),
        (
            "DC_QUORUM read short of quorum",
            vec![read(1, "k", None, 0, 5).at(Consistency::DcQuorum).acknowledged_by(&[2])],
            false,
        ),
        ("DC_ONE needs one", vec![safe_write(&[0]).at(Consistency::DcOne)], true),
        ("each safe quorum in both", vec![safe_write(&[0, 1, 3, 4]).at(each)], true),
        ("each safe quorum short remotely", vec![safe_write(&[0, 1, 2, 3]).at(each)], false),
        ("a node that does not exist", vec![safe_write(&[0, 99])], false),
        ("a failed write claims nothing", vec![safe_write(&[0]).failed()], true),
    ];
    run_table(cases, |history| quorum_honesty(history, &shape()));
}

#[test]
fn read_your_acknowledged_writes_table() {
    let old = || write(1, "k", "old", 0, 10);
    let new = || write(2, "k", "new", 20, 30);
    let cases = vec![
        ("reads the acknowledged value", vec![old(), new(), read(3, "k", Some("new"), 40, 45)], true),
        (
            "stale: the value acknowledged before",
            vec![old(), new(), read(3, "k", Some("old"), 40, 45)],
            false,
        ),
        ("stale: nil after an acknowledged write", vec![new(), read(3, "k", None, 40, 45)], false),
        (
            "a read overlapping the write may see the old value",
            vec![old(), new(), read(3, "k", Some("old"), 25, 45)],
            true,
        ),
        (
            "a concurrent write's value is fine",
            vec![new(), write(4, "k", "concurrent", 25, 35), read(3, "k", Some("concurrent"), 40, 45)],
            true,
        ),
        (
            "a later write's value is fine",
            vec![new(), write(4, "k", "later", 32, 33).failed(), read(3, "k", Some("later"), 40, 45)],
            true,
        ),
        (
            "a failed earlier write may land late",
            vec![write(1, "k", "old", 0, 10).failed(), new(), read(3, "k", Some("old"), 40, 45)],
            true,
        ),
        (
            "another datacenter is not covered",
            vec![old(), new(), read(3, "k", Some("old"), 40, 45).through(3)],
            true,
        ),
        (
            "DC_EACH_SAFE_QUORUM covers every datacenter",
            vec![
                old(),
                new().at(Consistency::DcEachSafeQuorum),
                read(3, "k", Some("old"), 40, 45).through(4),
            ],
            false,
        ),
        (
            "DC_ONE reads promise nothing",
            vec![old(), new(), read(3, "k", Some("old"), 40, 45).at(Consistency::DcOne)],
            true,
        ),
        (
            "DC_QUORUM writes promise nothing",
            vec![old(), new().at(Consistency::DcQuorum), read(3, "k", Some("old"), 40, 45)],
            true,
        ),
        (
            "an unacknowledged write promises nothing",
            vec![old(), new().indeterminate(), read(3, "k", Some("old"), 40, 45)],
            true,
        ),
        ("a delete reads back as nil", vec![old(), new().deleting(), read(3, "k", None, 40, 45)], true),
        ("other keys are independent", vec![new(), read(3, "other", None, 40, 45)], true),
    ];
    run_table(cases, |history| read_your_acknowledged_writes(history, &shape(), true));
}

#[test]
fn read_your_acknowledged_writes_is_not_checked_after_data_loss() {
    let stale = History::new(vec![write(1, "k", "new", 0, 10), read(2, "k", None, 20, 25)]);
    let verdict = read_your_acknowledged_writes(&stale, &shape(), false);
    assert!(verdict.passed && verdict.detail.contains("not checked"), "{}", verdict.detail);
    let checked = read_your_acknowledged_writes(&stale, &shape(), true);
    assert!(!checked.passed && checked.detail.contains("read 2"), "{}", checked.detail);
}

#[test]
fn convergence_is_a_soft_verdict_on_replica_agreement() {
    let value = |text: &str| Some(Bytes::copy_from_slice(text.as_bytes()));
    let replicas = |entries: &[(&str, &ReplicaRow)]| -> ReplicaValues {
        entries
            .iter()
            .map(|(key, values)| {
                (Bytes::copy_from_slice(key.as_bytes()), values.iter().cloned().collect::<BTreeMap<_, _>>())
            })
            .collect()
    };
    let agreeing = replicas(&[("a", &[(0, value("1")), (1, value("1"))]), ("b", &[(0, None), (1, None)])]);
    let diverged = replicas(&[("a", &[(0, value("1")), (1, value("2"))])]);
    let missing = replicas(&[("a", &[(0, value("1")), (1, None)])]);
    assert!(convergence(&agreeing).passed);
    for (story, state) in [("different values", diverged), ("a missing copy", missing)] {
        let verdict = convergence(&state);
        assert!(!verdict.passed && verdict.soft && !verdict.fails_run(), "{story}: {verdict:?}");
        assert!(verdict.detail.contains("node 1 = "), "{story}: {}", verdict.detail);
    }
}
