//! `KeyState`: parsing the `state` script reply, the live data it describes (the data model's rules as
//! golden cases with the reason for each answer), the `merge` script arguments, and answers to reads.

use bytes::Bytes;
use dynomite_core::crdt::merge::merge;
use dynomite_core::crdt::state::{Component, CrdtType, Element, KeyState, StateError};
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::resp::Frame;

/// Timestamp `(physical, 0, 1)` as its 24-hex text.
fn hex(physical: u64) -> String {
    Timestamp::new(physical, 0, 1).to_string()
}

fn ts(physical: u64) -> Option<Timestamp> {
    Some(Timestamp::new(physical, 0, 1))
}

fn bulk(text: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(text.as_bytes()))
}

fn flat(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|item| bulk(item)).collect())
}

/// A `state` reply: metadata pairs, TYPE, data, PTTL.
fn reply(meta: &[(&str, String)], data_type: &str, data: Frame, pttl: i64) -> Frame {
    let meta = meta.iter().flat_map(|(field, value)| [bulk(field), bulk(value)]).collect();
    Frame::Array(vec![
        Frame::Array(meta),
        Frame::Simple(Bytes::copy_from_slice(data_type.as_bytes())),
        data,
        Frame::Integer(pttl),
    ])
}

fn parse(meta: &[(&str, String)], data_type: &str, data: Frame) -> KeyState {
    KeyState::parse(&reply(meta, data_type, data, -1)).expect("valid state reply")
}

fn s(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

#[test]
fn parses_a_register() {
    let state = parse(
        &[("t", "string".into()), ("a", hex(10)), ("xt", hex(10)), ("xa", "0".into())],
        "string",
        bulk("v"),
    );
    assert_eq!(state.crdt_type, Some(CrdtType::String));
    assert_eq!(state.add, ts(10));
    assert_eq!(state.value, Some(s("v")));
    assert_eq!(state.expiry.set, ts(10));
    assert_eq!(state.live_string(0), Some(s("v")));
    assert!(!state.is_unmanaged());
}

#[test]
fn parses_a_hash_with_tombstones_and_field_counters() {
    let meta = [
        ("t", "hash".to_string()),
        ("e:f", hex(5)),
        ("e:g", hex(5)),
        ("r:g", hex(6)),
        ("hp:000000000000000000000002:c:x", "7".to_string()),
        ("hn:000000000000000000000002:c:x", "2".to_string()),
        ("hh:000000000000000000000002:c:x", hex(8)),
    ];
    // RESP3 map data is accepted as well as a flat array.
    let data = Frame::Map(vec![(bulk("f"), bulk("1")), (bulk("c:x"), bulk("5"))]);
    let state = parse(&meta, "hash", data);
    assert_eq!(state.elements[&s("f")], Element { add: ts(5), remove: None, value: Some(s("1")) });
    assert_eq!(
        state.elements[&s("g")],
        Element { add: None, remove: ts(6), value: None },
        "e:g <= r:g is pruned"
    );
    assert!(!state.elements.contains_key(&s("c:x")), "a counter-only field has no element entry");
    assert_eq!(
        state.field_counters[&s("c:x")][&Timestamp::new(0, 0, 2)],
        Component { positive: 7, negative: 2, last: ts(8), start: None }
    );
    assert_eq!(state.live_hash(0), vec![(s("c:x"), s("5")), (s("f"), s("1"))]);
}

#[test]
fn parses_sets_zsets_and_counters() {
    let set = parse(
        &[("t", "set".into()), ("e:a", hex(1)), ("e:b", hex(1)), ("r:b", hex(2))],
        "set",
        Frame::Set(vec![bulk("a")]),
    );
    assert_eq!(set.live_members(0), vec![s("a")]);
    let zset = parse(
        &[("t", "zset".into()), ("e:m", hex(1))],
        "zset",
        Frame::Array(vec![Frame::Array(vec![bulk("m"), Frame::Double(s("1.5"))])]),
    );
    assert_eq!(zset.live_scored(0), vec![(s("m"), s("1.5"))]);
    let meta = [
        ("t", "counter".to_string()),
        ("p:000000000000000000000001", "5".to_string()),
        ("n:000000000000000000000001", "1".to_string()),
        ("h:000000000000000000000001", hex(3)),
        ("p:00000000000000000000000a", "0".to_string()),
        ("n:00000000000000000000000a", "10".to_string()),
        ("h:00000000000000000000000a", hex(4)),
    ];
    let counter = parse(&meta, "string", bulk("-6"));
    assert_eq!(counter.value, None, "a counter's value is derived from its components");
    assert_eq!(counter.live_string(0), Some(s("-6")));
}

#[test]
fn unmanaged_and_absent_keys() {
    let unmanaged = parse(&[], "list", Frame::Array(vec![]));
    assert!(unmanaged.is_unmanaged());
    let absent = parse(&[], "none", Frame::Array(vec![]));
    assert!(!absent.is_unmanaged() && absent.has_no_metadata());
    let plain_string = parse(&[], "string", bulk("old"));
    assert!(plain_string.is_unmanaged());
}

#[test]
fn parse_errors() {
    let cases: &[(Frame, StateError, &str)] = &[
        (
            Frame::Error(s("ERR dynomite: crdt state of key holds 5 elements, more than 4")),
            StateError::Reply {
                message: "ERR dynomite: crdt state of key holds 5 elements, more than 4".into(),
            },
            "the script's size error",
        ),
        (
            flat(&["a"]),
            StateError::Shape { what: "an array of 4: metadata, type, data, pttl" },
            "wrong arity",
        ),
        (
            reply(&[("t", "list".into())], "none", Frame::Array(vec![]), -2),
            StateError::UnknownType { value: "list".into() },
            "lists are not a CRDT type",
        ),
        (
            reply(&[("a", hex(1))], "string", bulk("v"), -1),
            StateError::MissingType,
            "every applied write sets t",
        ),
        (
            reply(&[("t", "set".into()), ("zz", "1".into())], "none", Frame::Array(vec![]), -2),
            StateError::UnknownField { field: "zz".into() },
            "strict fields catch script drift",
        ),
        (
            reply(&[("t", "counter".into()), ("p:1", "1".into())], "none", Frame::Array(vec![]), -2),
            StateError::UnknownField { field: "p:1".into() },
            "node ids are 8 hex digits",
        ),
        (
            reply(
                &[("t", "counter".into()), ("p:000000000000000000000001", "-1".into())],
                "none",
                Frame::Array(vec![]),
                -2,
            ),
            StateError::Number { field: "p:000000000000000000000001".into(), value: "-1".into() },
            "totals are non-negative",
        ),
        (
            reply(&[("t", "hash".into()), ("xa", "soon".into())], "none", Frame::Array(vec![]), -2),
            StateError::Number { field: "xa".into(), value: "soon".into() },
            "deadlines are decimal ms",
        ),
        (
            reply(&[("t", "hash".into())], "hash", flat(&["f"]), -1),
            StateError::Shape { what: "hash/zset data: pairs" },
            "odd pair list",
        ),
    ];
    for (frame, expected, why) in cases {
        assert_eq!(KeyState::parse(frame).as_ref(), Err(expected), "{why}");
    }
    let bad_timestamp = KeyState::parse(&reply(
        &[("t", "string".into()), ("a", "xyz".into())],
        "none",
        Frame::Array(vec![]),
        -2,
    ));
    assert!(matches!(bad_timestamp, Err(StateError::Timestamp { ref field, .. }) if field == "a"));
}

/// A register state: `a`, `d`, expiry (`xt`, `xa`), value `v` (0 = missing timestamp).
fn register(add: u64, delete: u64, expiry: (u64, u64)) -> KeyState {
    let mut state = KeyState {
        crdt_type: Some(CrdtType::String),
        add: ts(add).filter(|_| add > 0),
        delete: ts(delete).filter(|_| delete > 0),
        value: Some(s("v")),
        ..KeyState::default()
    };
    state.expiry.set = ts(expiry.0).filter(|_| expiry.0 > 0);
    state.expiry.at_ms = expiry.1;
    merge(&[state])
}

/// (state, now, live string value, TTL deadline, why).
type RegisterCase = (KeyState, u64, Option<&'static str>, Option<u64>, &'static str);

/// (components as (node, p, n, h), d, value, why).
type CounterCase = (&'static [(u32, u64, u64, u64)], u64, Option<&'static str>, &'static str);

/// The liveness rules of the module doc as a table: (state, now, live string value, TTL deadline, why).
#[test]
fn register_liveness_golden() {
    let cases: &[RegisterCase] = &[
        (register(10, 0, (0, 0)), 0, Some("v"), None, "a > d (missing d is older than all)"),
        (register(10, 10, (0, 0)), 0, None, None, "a == d: the delete covers writes at or before it"),
        (register(10, 11, (0, 0)), 0, None, None, "a < d"),
        (register(10, 0, (10, 100)), 99, Some("v"), Some(100), "live expiry, deadline ahead: TTL"),
        (register(10, 0, (10, 100)), 100, None, None, "deadline reached: a delete at (100, 0, 0)"),
        (register(101, 0, (10, 100)), 200, Some("v"), None, "a write after the deadline lives, without TTL"),
        (
            register(10, 20, (10, 100)),
            200,
            None,
            None,
            "DEL after the expiry op: no expiry (xt <= d), still deleted",
        ),
        (
            register(30, 20, (10, 100)),
            200,
            Some("v"),
            None,
            "xt <= d: the old deadline no longer applies to new data",
        ),
        (register(10, 0, (11, 0)), 10_000, Some("v"), None, "PERSIST (xa = 0)"),
        (
            register(120, 0, (130, 100)),
            200,
            None,
            None,
            "an expiry op at 130 with a past deadline deletes at 130",
        ),
        (register(140, 0, (130, 100)), 200, Some("v"), None, "a write after that expiry op lives"),
    ];
    for (state, now, value, deadline, why) in cases {
        assert_eq!(state.live_string(*now), value.map(s), "{why}");
        assert_eq!(state.live_deadline_ms(*now), *deadline, "{why}");
    }
}

/// Counter states: (components as (node, p, n, h), d, value, why).
#[test]
fn counter_golden() {
    let cases: &[CounterCase] = &[
        (&[(1, 5, 1, 3), (2, 0, 10, 4)], 0, Some("-6"), "Σ (p − n) over nodes"),
        (&[(1, 5, 1, 3), (2, 0, 10, 4)], 3, Some("-10"), "node 1's component is at or before d: deleted"),
        (&[(1, 5, 1, 3)], 3, None, "every component deleted: no key"),
        (
            &[(1, 0, 0, 3)],
            0,
            Some("0"),
            "a live component summing to 0 is the value 0 (INCRBY k 0 creates k)",
        ),
    ];
    for (components, delete, value, why) in cases {
        let state = KeyState {
            crdt_type: Some(CrdtType::Counter),
            delete: ts(*delete).filter(|_| *delete > 0),
            counters: components
                .iter()
                .map(|&(node, positive, negative, last)| {
                    (
                        Timestamp::new(0, 0, node),
                        Component { positive, negative, last: ts(last), start: ts(last) },
                    )
                })
                .collect(),
            ..KeyState::default()
        };
        assert_eq!(merge(&[state]).live_string(0), value.map(s), "{why}");
    }
}

/// Merges of replicas as stories: (replica states, expected type, live data, why).
#[test]
fn merge_stories() {
    let string_at =
        |add: u64, value: &str| parse(&[("t", "string".into()), ("a", hex(add))], "string", bulk(value));
    let hash_at = |fields: &[(&str, u64, &str)]| {
        let meta: Vec<(String, String)> =
            fields.iter().map(|(field, add, _)| (format!("e:{field}"), hex(*add))).collect();
        let mut meta: Vec<(&str, String)> =
            meta.iter().map(|(field, value)| (field.as_str(), value.clone())).collect();
        meta.push(("t", "hash".into()));
        let data: Vec<&str> = fields.iter().flat_map(|(field, _, value)| [*field, *value]).collect();
        parse(&meta, "hash", flat(&data))
    };
    // Last writer wins on the register, whatever the order.
    let merged = merge(&[string_at(5, "old"), string_at(7, "new"), string_at(6, "mid")]);
    assert_eq!(merged.live_string(0), Some(s("new")));
    // A SET (7) newer than a concurrent HSET (5): the key is a string; the hash is deleted by d = 5.
    let merged = merge(&[hash_at(&[("f", 5, "x")]), string_at(7, "v")]);
    assert_eq!((merged.crdt_type, merged.live_string(0)), (Some(CrdtType::String), Some(s("v"))));
    assert_eq!(merged.delete, ts(5), "the losing type's newest timestamp becomes the delete");
    assert!(merged.elements.is_empty(), "pruned below d");
    // An HSET (9) newer than a SET (7) that replaced an older hash {f@1}: only the new field lives.
    let merged = merge(&[hash_at(&[("f", 1, "x")]), string_at(7, "v"), hash_at(&[("g", 9, "y")])]);
    assert_eq!(merged.crdt_type, Some(CrdtType::Hash));
    assert_eq!(merged.live_hash(0), vec![(s("g"), s("y"))]);
    // HINCRBY newer than the HSET of the same field: the counter masks the value for good.
    let counter_field = parse(
        &[
            ("t", "hash".into()),
            ("hp:000000000000000000000001:f", "4".into()),
            ("hn:000000000000000000000001:f", "0".into()),
            ("hh:000000000000000000000001:f", hex(8)),
        ],
        "hash",
        flat(&["f", "4"]),
    );
    let merged = merge(&[hash_at(&[("f", 6, "x")]), counter_field.clone()]);
    assert_eq!(merged.live_hash(0), vec![(s("f"), s("4"))]);
    assert_eq!(
        merged.elements[&s("f")],
        Element { add: None, remove: ts(6), value: None },
        "HSET's timestamp stays as the mask"
    );
    // An HSET newer than the counter resets the field.
    let merged = merge(&[hash_at(&[("f", 9, "x")]), counter_field]);
    assert_eq!(merged.live_hash(0), vec![(s("f"), s("x"))]);
    assert!(merged.field_counters.is_empty());
}

/// Element liveness: (add, remove, delete, live?, why).
#[test]
fn element_liveness_golden() {
    let cases: &[(u64, u64, u64, bool, &str)] = &[
        (5, 0, 0, true, "added, never removed"),
        (5, 5, 0, false, "add == remove: remove wins a tie (same timestamp cannot be two writes)"),
        (5, 4, 0, true, "re-added after a remove"),
        (5, 6, 0, false, "removed after the add"),
        (5, 0, 5, false, "key delete at the add's timestamp"),
        (6, 0, 5, true, "added after the key delete"),
    ];
    for (add, remove, delete, live, why) in cases {
        let element =
            Element { add: ts(*add), remove: ts(*remove).filter(|_| *remove > 0), value: Some(s("1")) };
        let state = KeyState {
            crdt_type: Some(CrdtType::Zset),
            delete: ts(*delete).filter(|_| *delete > 0),
            elements: [(s("m"), element)].into_iter().collect(),
            ..KeyState::default()
        };
        let state = merge(&[state]);
        assert_eq!(!state.live_scored(0).is_empty(), *live, "{why}");
        assert_eq!(state.is_live(0), *live, "{why}");
    }
}

#[test]
fn merge_args_layout() {
    let state = parse(
        &[
            ("t", "hash".into()),
            ("e:f", hex(5)),
            ("e:g", hex(5)),
            ("r:g", hex(6)),
            ("xt", hex(4)),
            ("xa", "0".into()),
        ],
        "hash",
        flat(&["f", "1"]),
    );
    let args = state.merge_args(0);
    let expected: Vec<Bytes> =
        ["hash", "5", "t", "hash", "xt", &hex(4), "xa", "0", "e:f", &hex(5), "r:g", &hex(6), "f", "1"]
            .iter()
            .map(|text| s(text))
            .collect();
    assert_eq!(args, expected);

    let counter = parse(
        &[
            ("t", "counter".into()),
            ("p:000000000000000000000001", "2".into()),
            ("n:000000000000000000000001", "0".into()),
            ("h:000000000000000000000001", hex(3)),
        ],
        "string",
        bulk("2"),
    );
    let args = counter.merge_args(0);
    assert_eq!(
        args[..2],
        [s("counter"), s("4")],
        "t and three component fields, no data: the script derives K"
    );
    assert_eq!(args.len(), 2 + 8);

    let hash_counter = parse(
        &[
            ("t", "hash".into()),
            ("hp:000000000000000000000001:f", "2".into()),
            ("hn:000000000000000000000001:f", "0".into()),
            ("hh:000000000000000000000001:f", hex(3)),
        ],
        "hash",
        flat(&["f", "2"]),
    );
    assert_eq!(
        hash_counter.merge_args(0)[2..],
        [
            s("t"),
            s("hash"),
            s("hp:000000000000000000000001:f"),
            s("2"),
            s("hn:000000000000000000000001:f"),
            s("0"),
            s("hh:000000000000000000000001:f"),
            s(&hex(3))
        ]
    );
}

/// Metadata pairs parse back to the same state (what the merge script writes is what the state script
/// reads).
#[test]
fn metadata_round_trips() {
    let state = parse(
        &[
            ("t", "hash".into()),
            ("a", hex(1)),
            ("d", hex(2)),
            ("xt", hex(3)),
            ("xa", "99".into()),
            ("e:f", hex(5)),
            ("r:f:", hex(4)),
            ("hp:000000000000000000000001:x:y", "2".into()),
            ("hn:000000000000000000000001:x:y", "1".into()),
            ("hh:000000000000000000000001:x:y", hex(6)),
            ("hs:000000000000000000000001:x:y", hex(6)),
            ("p:ffffffffffffffffffffffff", "9".into()),
            ("s:ffffffffffffffffffffffff", hex(7)),
            ("n:ffffffffffffffffffffffff", "0".into()),
            ("h:ffffffffffffffffffffffff", hex(7)),
        ],
        "hash",
        flat(&["f", "v", "x:y", "1"]),
    );
    let meta: Vec<(String, String)> = state
        .metadata_pairs()
        .into_iter()
        .map(|(field, value)| {
            (String::from_utf8(field.to_vec()).unwrap(), String::from_utf8(value.to_vec()).unwrap())
        })
        .collect();
    let meta: Vec<(&str, String)> =
        meta.iter().map(|(field, value)| (field.as_str(), value.clone())).collect();
    let again = parse(&meta, "hash", flat(&["f", "v", "x:y", "1"]));
    assert!(again.same_as(&state));
}

#[test]
fn same_as_finds_stale_replicas() {
    let fresh = parse(&[("t", "string".into()), ("a", hex(10))], "string", bulk("new"));
    let stale = parse(&[("t", "string".into()), ("a", hex(9))], "string", bulk("old"));
    let merged = merge(&[stale.clone(), fresh.clone()]);
    assert!(merged.same_as(&fresh), "observed TYPE/PTTL do not count");
    assert!(!merged.same_as(&stale));
    assert_eq!(merged.live_string(0), Some(s("new")));
    let evicted = parse(&[("t", "string".into()), ("a", hex(10))], "none", Frame::Null);
    assert!(!merged.same_as(&evicted), "metadata equal but the value is missing: repair it");
}

/// Equal timestamps with different values (ZINCRBY on different earlier scores, adopted data): the
/// larger bytes win, whichever order; the replica holding the other value is stale.
#[test]
fn equal_timestamps_larger_bytes_win() {
    let zset = |score: &str| parse(&[("t", "zset".into()), ("e:c", hex(10))], "zset", flat(&["c", score]));
    for (smaller, larger, why) in [
        ("0.5", "1.5", "byte order agrees with numbers here"),
        ("10", "9.5", "bytes, not numbers: '9' > '1'"),
        ("1", "1.5", "a prefix is smaller"),
    ] {
        let (low, high) = (zset(smaller), zset(larger));
        for merged in [merge(&[low.clone(), high.clone()]), merge(&[high.clone(), low.clone()])] {
            assert_eq!(merged.live_scored(0), vec![(s("c"), s(larger))], "{why}");
            assert!(merged.same_as(&high) && !merged.same_as(&low), "{why}");
        }
    }
    let adopted =
        |value: &str| parse(&[("t", "string".into()), ("a", "0".repeat(24))], "string", bulk(value));
    let merged = merge(&[adopted("b"), adopted("a")]);
    assert_eq!(merged.live_string(0), Some(s("b")), "the zero timestamp is newer than a missing d");
    assert!(!merged.same_as(&adopted("a")));
}

/// Data of another Redis type than `t` (an uncovered write over a deleted key) is not the CRDT's data.
#[test]
fn data_of_another_type_is_ignored() {
    let state = parse(&[("t", "zset".into()), ("e:c", hex(10))], "hash", flat(&["c", "u"]));
    assert_eq!(state.elements[&s("c")].value, None);
    let state = parse(
        &[
            ("t", "counter".into()),
            ("p:000000000000000000000001", "3".into()),
            ("n:000000000000000000000001", "0".into()),
            ("h:000000000000000000000001", hex(4)),
        ],
        "string",
        bulk("3"),
    );
    assert_eq!(state.live_string(0), Some(s("3")));
}

mod answers {
    use super::*;
    use dynomite_core::crdt::answer::answer;
    use dynomite_core::resp::Protocol;
    use dynomite_core::store::Store;

    fn args(text: &str) -> Vec<Bytes> {
        text.split(' ').map(s).collect()
    }

    /// The reply of a plain store that received `writes`, to compare `answer` with.
    fn reference(writes: &[&str], read: &str, protocol: Protocol, now_ms: u64) -> Frame {
        let mut store = Store::new();
        for write in writes {
            assert!(!store.execute(&args(write), now_ms, Protocol::Resp2).is_error(), "{write}");
        }
        store.execute(&args(read), now_ms, protocol)
    }

    /// (merged state, the writes that build the same data in a plain store, reads).
    #[test]
    fn answers_like_a_store_holding_the_merged_data() {
        let now = 1_000;
        let register = merge(&[
            parse(
                &[("t", "string".into()), ("a", hex(5)), ("xt", hex(5)), ("xa", "61000".into())],
                "string",
                bulk("old"),
            ),
            parse(
                &[("t", "string".into()), ("a", hex(7)), ("xt", hex(7)), ("xa", "31000".into())],
                "string",
                bulk("new"),
            ),
        ]);
        let hash = merge(&[
            parse(
                &[("t", "hash".into()), ("e:b", hex(5)), ("e:a", hex(5))],
                "hash",
                flat(&["b", "2", "a", "1"]),
            ),
            parse(&[("t", "hash".into()), ("r:b", hex(6)), ("e:c", hex(6))], "hash", flat(&["c", "3"])),
        ]);
        let set = merge(&[
            parse(&[("t", "set".into()), ("e:x", hex(5)), ("e:y", hex(5))], "set", flat(&["x", "y"])),
            parse(&[("t", "set".into()), ("r:y", hex(6)), ("e:z", hex(6))], "set", flat(&["z"])),
        ]);
        let zset = merge(&[
            parse(&[("t", "zset".into()), ("e:m", hex(5))], "zset", flat(&["m", "1.5"])),
            parse(
                &[("t", "zset".into()), ("e:m", hex(6)), ("e:n", hex(6))],
                "zset",
                flat(&["m", "3", "n", "-inf"]),
            ),
        ]);
        let counter = merge(&[
            parse(
                &[
                    ("t", "counter".into()),
                    ("p:000000000000000000000001", "5".into()),
                    ("n:000000000000000000000001", "0".into()),
                    ("h:000000000000000000000001", hex(5)),
                ],
                "string",
                bulk("5"),
            ),
            parse(
                &[
                    ("t", "counter".into()),
                    ("p:000000000000000000000002", "0".into()),
                    ("n:000000000000000000000002", "7".into()),
                    ("h:000000000000000000000002", hex(6)),
                ],
                "string",
                bulk("-7"),
            ),
        ]);
        let deleted =
            merge(&[register.clone(), parse(&[("t", "string".into()), ("d", hex(9))], "none", Frame::Null)]);
        let cases: &[(&KeyState, &[&str], &[&str])] = &[
            (
                &register,
                &["SET k new", "PEXPIREAT k 31000"],
                &["GET k", "TTL k", "PTTL k", "TYPE k", "STRLEN k", "EXISTS k", "HGET k f"],
            ),
            (
                &hash,
                &["HSET k a 1 c 3"],
                &[
                    "HGETALL k",
                    "HGET k b",
                    "HMGET k a b c",
                    "HKEYS k",
                    "HVALS k",
                    "HLEN k",
                    "HEXISTS k c",
                    "TTL k",
                    "GET k",
                ],
            ),
            (&set, &["SADD k x z"], &["SMEMBERS k", "SISMEMBER k y", "SCARD k", "TYPE k"]),
            (
                &zset,
                &["ZADD k 3 m -inf n"],
                &[
                    "ZRANGE k 0 -1 WITHSCORES",
                    "ZSCORE k m",
                    "ZCARD k",
                    "ZRANGEBYSCORE k -inf +inf",
                    "ZRANK k m",
                ],
            ),
            (&counter, &["SET k -2"], &["GET k", "TYPE k"]),
            (&deleted, &[], &["GET k", "EXISTS k", "TTL k", "TYPE k"]),
        ];
        for (state, writes, reads) in cases {
            for read in *reads {
                for protocol in [Protocol::Resp2, Protocol::Resp3] {
                    assert_eq!(
                        answer(state, &args(read), protocol, now),
                        reference(writes, read, protocol, now),
                        "{read} ({protocol:?})"
                    );
                }
            }
        }
        assert_eq!(
            answer(&register, &args("GET k"), Protocol::Resp2, 31_000),
            Frame::Null,
            "expired at the deadline"
        );
        assert_eq!(answer(&counter, &args("GET k"), Protocol::Resp2, now), bulk("-2"));
        assert_eq!(
            answer(&hash, &args("HGETALL k"), Protocol::Resp2, now),
            Frame::Map(vec![(bulk("a"), bulk("1")), (bulk("c"), bulk("3"))]),
            "the store answers a map; the RESP2 encoder flattens it"
        );
    }
}
