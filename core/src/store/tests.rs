//! Engine-level unit tests: dispatch, expiry, SCAN's cursor guarantee, determinism and the server
//! commands whose replies real Redis cannot be compared with (INFO, TIME, unsupported commands).

use bytes::Bytes;

use super::keyspace::SCAN_CURSORS_MAX;
use super::Store;
use crate::resp::{Frame, Protocol};

const NOW_MS: u64 = 1_700_000_000_000;

fn run(store: &mut Store, now_ms: u64, words: &[&str]) -> Frame {
    let args: Vec<Bytes> = words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect();
    store.execute(&args, now_ms, Protocol::Resp2)
}

fn bulk(text: &str) -> Frame {
    Frame::bulk(text)
}

#[test]
fn names_are_case_insensitive_and_arity_is_checked() {
    let mut store = Store::new();
    assert_eq!(run(&mut store, NOW_MS, &["sEt", "k", "v"]), Frame::ok());
    assert_eq!(run(&mut store, NOW_MS, &["GET", "k"]), bulk("v"));
    assert_eq!(
        run(&mut store, NOW_MS, &["GET"]),
        Frame::error("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(store.execute(&[], NOW_MS, Protocol::Resp2), Frame::error("ERR empty command"));
}

#[test]
fn unsupported_commands_say_so() {
    let mut store = Store::new();
    for name in ["subscribe", "xadd", "fcall", "function"] {
        let expected =
            format!("ERR {} is not supported by the embedded datastore", name.to_ascii_uppercase());
        assert_eq!(run(&mut store, NOW_MS, &[name, "x"]), Frame::error(expected));
    }
}

#[test]
fn expiry_is_lazy_and_active() {
    let mut store = Store::new();
    run(&mut store, NOW_MS, &["SET", "lazy", "v", "PX", "100"]);
    run(&mut store, NOW_MS, &["SET", "active", "v", "PX", "100"]);
    run(&mut store, NOW_MS, &["SET", "forever", "v"]);
    // Alive during its last millisecond (Redis's `now > when`).
    assert_eq!(run(&mut store, NOW_MS + 100, &["GET", "lazy"]), bulk("v"));
    assert_eq!(run(&mut store, NOW_MS + 101, &["GET", "lazy"]), Frame::Null);
    assert_eq!(store.len(), 2);
    assert_eq!(store.expire_some(NOW_MS + 101, 10), 1);
    assert_eq!(store.len(), 1);
    assert!(!store.is_empty());
    assert_eq!(run(&mut store, NOW_MS, &["PTTL", "forever"]), Frame::Integer(-1));
}

#[test]
fn expire_some_respects_its_budget() {
    let mut store = Store::new();
    for index in 0..10 {
        run(&mut store, NOW_MS, &["SET", &format!("k{index}"), "v", "PX", "1"]);
    }
    assert_eq!(store.expire_some(NOW_MS + 5, 3), 3);
    assert_eq!(store.expire_some(NOW_MS + 5, 100), 7);
    assert!(store.is_empty());
}

#[test]
fn active_expiry_does_bounded_work_and_sweeps_everything() {
    let mut store = Store::new();
    for index in 0..500 {
        run(&mut store, NOW_MS, &["SET", &format!("keep{index:03}"), "v"]);
    }
    for index in 0..5 {
        run(&mut store, NOW_MS, &["SET", &format!("temp{index}"), "v", "PX", "1"]);
    }
    // One call may examine only 20 keys, so it cannot reach the temp keys after 500 kept ones...
    assert_eq!(store.expire_some(NOW_MS + 10, 1), 0);
    // ...but successive calls resume where the last stopped and wrap around.
    let removed: usize = (0..100).map(|_| store.expire_some(NOW_MS + 10, 1)).sum();
    assert_eq!(removed, 5);
    assert_eq!(store.len(), 500);
}

fn scan_all(store: &mut Store, count: &str, between_calls: &mut dyn FnMut(&mut Store)) -> Vec<Frame> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    loop {
        let Frame::Array(parts) = run(store, NOW_MS, &["SCAN", &cursor, "COUNT", count]) else {
            panic!("array")
        };
        let [Frame::Bulk(next), Frame::Array(keys)] = &parts[..] else { panic!("cursor and keys") };
        seen.extend(keys.iter().cloned());
        cursor = String::from_utf8(next.to_vec()).expect("ascii cursor");
        if cursor == "0" {
            return seen;
        }
        between_calls(store);
    }
}

#[test]
fn scan_returns_every_key_present_for_the_whole_scan_exactly_once() {
    let mut store = Store::new();
    for index in 0..50 {
        run(&mut store, NOW_MS, &["SET", &format!("key{index:02}"), "v"]);
    }
    let mut round = 0;
    let seen = scan_all(&mut store, "7", &mut |store| {
        round += 1;
        run(store, NOW_MS, &["SET", &format!("added{round}"), "v"]);
        run(store, NOW_MS, &["DEL", &format!("key{:02}", 49 - round)]);
    });
    for index in 0..(49 - round) {
        let key = bulk(&format!("key{index:02}"));
        assert_eq!(seen.iter().filter(|frame| **frame == key).count(), 1, "key{index:02}");
    }
}

#[test]
fn unknown_scan_cursor_restarts_and_cursor_table_is_bounded() {
    let mut store = Store::new();
    for index in 0..3 {
        run(&mut store, NOW_MS, &["SET", &format!("k{index}"), "v"]);
    }
    let reply = run(&mut store, NOW_MS, &["SCAN", "999999", "COUNT", "10"]);
    assert_eq!(reply, Frame::Array(vec![bulk("0"), Frame::Array(vec![bulk("k0"), bulk("k1"), bulk("k2")])]));
    for _ in 0..(SCAN_CURSORS_MAX + 10) {
        run(&mut store, NOW_MS, &["SCAN", "0", "COUNT", "1"]);
    }
    assert!(store.scan_cursors.len() <= SCAN_CURSORS_MAX);
}

#[test]
fn random_choices_are_deterministic_per_seed() {
    let picks = |seed: u64| {
        let mut store = Store::with_seed(seed);
        for index in 0..20 {
            run(&mut store, NOW_MS, &["SET", &format!("k{index}"), "v"]);
            run(&mut store, NOW_MS, &["SADD", "set", &format!("m{index}")]);
        }
        (0..10)
            .map(|_| {
                (run(&mut store, NOW_MS, &["RANDOMKEY"]), run(&mut store, NOW_MS, &["SRANDMEMBER", "set"]))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(1), picks(1));
    assert_eq!(run(&mut Store::new(), NOW_MS, &["RANDOMKEY"]), Frame::Null);
}

#[test]
fn time_comes_from_the_injected_clock() {
    let mut store = Store::new();
    let reply = run(&mut store, 1_700_000_000_123, &["TIME"]);
    assert_eq!(reply, Frame::Array(vec![bulk("1700000000"), bulk("123000")]));
}

#[test]
fn info_reports_keyspace_and_memory() {
    let mut store = Store::new();
    run(&mut store, NOW_MS, &["SET", "a", "v"]);
    run(&mut store, NOW_MS, &["SET", "b", "v", "EX", "100"]);
    let Frame::Verbatim { text, .. } = run(&mut store, NOW_MS, &["INFO"]) else { panic!("verbatim") };
    let text = String::from_utf8(text.to_vec()).expect("utf8");
    for needle in ["# Server", "# Clients", "# Memory", "# Stats", "db0:keys=2,expires=1,avg_ttl=0"] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    assert!(store.used_memory_bytes() > 0);
    let Frame::Verbatim { text, .. } = run(&mut store, NOW_MS, &["INFO", "keyspace"]) else {
        panic!("verbatim")
    };
    assert!(!String::from_utf8_lossy(&text).contains("# Server"));
}

#[test]
fn server_commands() {
    let mut store = Store::new();
    assert_eq!(run(&mut store, NOW_MS, &["PING"]), Frame::simple("PONG"));
    assert_eq!(run(&mut store, NOW_MS, &["PING", "hi"]), bulk("hi"));
    assert_eq!(run(&mut store, NOW_MS, &["ECHO", "x"]), bulk("x"));
    assert_eq!(run(&mut store, NOW_MS, &["SELECT", "0"]), Frame::ok());
    assert_eq!(run(&mut store, NOW_MS, &["SELECT", "1"]), Frame::error("ERR DB index is out of range"));
    let Frame::Integer(count) = run(&mut store, NOW_MS, &["COMMAND", "COUNT"]) else { panic!("integer") };
    assert!(count > 100);
}

#[test]
fn resp3_shapes() {
    let mut store = Store::new();
    let resp3 = |store: &mut Store, words: &[&str]| {
        let args: Vec<Bytes> = words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect();
        store.execute(&args, NOW_MS, Protocol::Resp3)
    };
    resp3(&mut store, &["ZADD", "z", "1.5", "a"]);
    assert_eq!(
        resp3(&mut store, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        Frame::Array(vec![Frame::Array(vec![bulk("a"), Frame::double(1.5)])])
    );
    resp3(&mut store, &["HSET", "h", "f", "v"]);
    assert_eq!(resp3(&mut store, &["HGETALL", "h"]), Frame::Map(vec![(bulk("f"), bulk("v"))]));
}

mod never_panics {
    use bytes::Bytes;
    use proptest::prelude::*;

    use super::super::{table, Store};
    use crate::resp::Protocol;

    /// Words that steer commands into their option parsers and edge cases.
    const WORDS: &[&str] = &[
        "k",
        "k2",
        "f",
        "0",
        "1",
        "-1",
        "2",
        "10",
        "-100",
        "9223372036854775807",
        "-9223372036854775808",
        "1.5",
        "inf",
        "-inf",
        "nan",
        "(1",
        "[a",
        "(a",
        "-",
        "+",
        "*",
        "?",
        "[",
        "\\",
        "NX",
        "XX",
        "GT",
        "LT",
        "CH",
        "INCR",
        "EX",
        "PX",
        "EXAT",
        "PXAT",
        "KEEPTTL",
        "GET",
        "PERSIST",
        "WITHSCORES",
        "LIMIT",
        "BYSCORE",
        "BYLEX",
        "REV",
        "MATCH",
        "COUNT",
        "TYPE",
        "RANK",
        "MAXLEN",
        "LEFT",
        "RIGHT",
        "BEFORE",
        "AFTER",
        "WEIGHTS",
        "AGGREGATE",
        "MAX",
        "WITHVALUES",
        "",
    ];

    fn argument() -> impl Strategy<Value = Bytes> {
        prop_oneof![
            4 => proptest::sample::select(WORDS).prop_map(|word| Bytes::from_static(word.as_bytes())),
            1 => proptest::collection::vec(any::<u8>(), 0..12).prop_map(Bytes::from),
        ]
    }

    fn command() -> impl Strategy<Value = Vec<Bytes>> {
        let names: Vec<&'static str> = table::names().collect();
        (proptest::sample::select(names), proptest::collection::vec(argument(), 0..8)).prop_map(
            |(name, rest)| {
                let mut args = vec![Bytes::from_static(name.as_bytes())];
                args.extend(rest);
                args
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn any_command_sequence_gets_a_reply(commands in proptest::collection::vec(command(), 1..40)) {
            let mut store = Store::new();
            for (step, args) in commands.iter().enumerate() {
                let protocol = if step % 2 == 0 { Protocol::Resp2 } else { Protocol::Resp3 };
                store.execute(args, 1_000 + step as u64 * 7, protocol);
            }
            store.expire_some(u64::MAX, usize::MAX);
        }
    }
}
