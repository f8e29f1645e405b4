//! Golden tables for the command table: key positions, routing and access decisions, and Redis's
//! error texts. Each row says why its answer is right.

use bytes::Bytes;
use dynomite_core::command::{self, reason, Access, CommandError, Routing};
use dynomite_core::resp::{encode, Frame, Protocol};

fn request(text: &str) -> Vec<Bytes> {
    text.split(' ').map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
}

fn keys_of(text: &str) -> Result<Vec<usize>, String> {
    let args = request(text);
    let spec = command::resolve(&args).map_err(|error| error.to_string())?;
    spec.key_indexes(&args).map_err(|error| error.to_string())
}

#[test]
fn key_positions() {
    let ok = |indexes: &[usize]| Ok::<Vec<usize>, String>(indexes.to_vec());
    let error = |text: &str| Err::<Vec<usize>, String>(text.to_string());
    let cases = [
        // One key right after the name.
        ("GET k", ok(&[1])),
        // Lower case names resolve too.
        ("get k", ok(&[1])),
        // Keys every other argument: key value key value.
        ("MSET a 1 b 2 c 3", ok(&[1, 3, 5])),
        // An uneven MSET is an arity error in Redis as well.
        ("MSET a 1 b", error("ERR wrong number of arguments for 'mset' command")),
        // All arguments are keys.
        ("MGET a b c", ok(&[1, 2, 3])),
        // UNLINK is parsed like DEL (C Dynomite could not parse it).
        ("UNLINK a b", ok(&[1, 2])),
        ("DEL a b", ok(&[1, 2])),
        // EVAL script numkeys keys... args...: zero keys.
        ("EVAL return 0", ok(&[])),
        // Two keys follow the count; the rest are arguments.
        ("EVAL return 2 k1 k2 arg", ok(&[3, 4])),
        ("FCALL f 1 k arg", ok(&[3])),
        // More keys announced than arguments: Redis's text.
        ("EVAL return 3 k1 k2", error("ERR Number of keys can't be greater than number of args")),
        ("EVAL return -1", error("ERR Number of keys can't be negative")),
        ("EVAL return 01 k", error("ERR value is not an integer or out of range")),
        // The destination comes first, then the counted inputs; WEIGHTS values are not keys.
        ("ZUNIONSTORE dest 2 a b WEIGHTS 1 2", ok(&[1, 3, 4])),
        ("ZINTERSTORE dest 0 a", error("ERR at least 1 input key is needed for 'zinterstore' command")),
        ("ZUNIONSTORE dest 3 a b", error("ERR syntax error")),
        ("ZDIFF 2 a b WITHSCORES", ok(&[2, 3])),
        ("SINTERCARD 2 a b LIMIT 1", ok(&[2, 3])),
        ("SINTERCARD 0 a", error("ERR numkeys should be greater than 0")),
        // LMPOP needs LEFT|RIGHT after the keys, so `2 a left` lacks a key.
        ("LMPOP 2 a LEFT", error("ERR syntax error")),
        ("LMPOP 2 a b LEFT", ok(&[2, 3])),
        // Keys are the first half of what follows STREAMS.
        ("XREAD COUNT 2 STREAMS s1 s2 0 0", ok(&[4, 5])),
        (
            "XREAD STREAMS s1 s2 0",
            error(
                "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
            ),
        ),
        ("XREADGROUP GROUP g c NOACK STREAMS s 0", ok(&[6])),
        // SORT reads one key and, with STORE, writes another.
        ("SORT src BY w_* LIMIT 0 10 GET # STORE dst", ok(&[1, 10])),
        // A GET pattern spelled `store` is a pattern, not the option.
        ("SORT src GET store", ok(&[1])),
        ("SORT_RO src ALPHA", ok(&[1])),
        // GEORADIUS with STORE and STOREDIST: both destinations count.
        ("GEORADIUS g 1 2 3 km STORE d1 STOREDIST d2", ok(&[1, 7, 9])),
        ("GEORADIUSBYMEMBER g m 3 km STORE d", ok(&[1, 6])),
        // *STORE set commands: destination plus sources.
        ("SUNIONSTORE d a b", ok(&[1, 2, 3])),
        ("BITOP AND d a b", ok(&[2, 3, 4])),
        ("ZRANGESTORE d src 0 -1", ok(&[1, 2])),
        ("GEOSEARCHSTORE d src FROMMEMBER m BYRADIUS 1 km", ok(&[1, 2])),
        // Two fixed keys.
        ("RENAME a b", ok(&[1, 2])),
        ("LMOVE a b LEFT RIGHT", ok(&[1, 2])),
        // Subcommands with a key at index 2.
        ("OBJECT ENCODING k", ok(&[2])),
        ("MEMORY USAGE k SAMPLES 5", ok(&[2])),
        ("XINFO STREAM s FULL", ok(&[2])),
        // No keys at all.
        ("PING", ok(&[])),
        ("SCRIPT LOAD return", ok(&[])),
    ];
    for (text, expected) in cases {
        assert_eq!(keys_of(text), expected, "{text}");
    }
}

#[test]
fn routing_and_access_decisions() {
    let cases = [
        // C Dynomite flagged TTL as a write; it reads.
        ("TTL k", Access::Read, Routing::SingleKey),
        ("PTTL k", Access::Read, Routing::SingleKey),
        ("EXPIRETIME k", Access::Read, Routing::SingleKey),
        // UNLINK splits by owner like DEL.
        ("UNLINK a b", Access::Write, Routing::MultiKeySplit),
        // MSETNX is atomic: all keys on one node.
        ("MSETNX a 1 b 2", Access::Write, Routing::SameNode),
        // *STORE commands write their destination (C Dynomite did not replicate them).
        ("SUNIONSTORE d a b", Access::Write, Routing::SameNode),
        ("ZUNIONSTORE d 1 a", Access::Write, Routing::SameNode),
        ("SORT a STORE d", Access::Write, Routing::SameNode),
        // Without STORE, SORT only reads.
        ("SORT a", Access::Read, Routing::SameNode),
        ("GEORADIUS g 1 2 3 km", Access::Read, Routing::SameNode),
        // Scripts may write.
        ("EVAL return 1 k", Access::Write, Routing::SameNode),
        ("EVAL_RO return 1 k", Access::Read, Routing::SameNode),
        ("PING", Access::Admin, Routing::Proxy),
        ("SELECT 0", Access::Admin, Routing::Proxy),
        ("CLIENT SETNAME x", Access::Admin, Routing::Proxy),
        ("TIME", Access::Admin, Routing::LocalDatastore),
        ("CONFIG GET maxmemory", Access::Admin, Routing::LocalDatastore),
        ("KEYS *", Access::Read, Routing::ClusterWide),
        ("SCAN 0", Access::Read, Routing::ClusterWide),
        ("SCRIPT LOAD return", Access::Admin, Routing::Broadcast),
        ("FLUSHALL", Access::Write, Routing::Broadcast),
        ("MULTI", Access::Admin, Routing::Unsupported(reason::TRANSACTIONS)),
        ("SUBSCRIBE c", Access::Admin, Routing::Unsupported(reason::PUBSUB)),
        ("BLPOP l 0", Access::Write, Routing::Unsupported(reason::BLOCKING)),
        ("CONFIG SET maxmemory 1", Access::Admin, Routing::Unsupported(reason::CONFIG_CHANGE)),
        ("MOVE k 1", Access::Write, Routing::Unsupported(reason::DATABASES)),
        // XREAD is served without BLOCK and refused with it.
        ("XREAD STREAMS s 0", Access::Read, Routing::SameNode),
        ("XREAD BLOCK 0 STREAMS s 0", Access::Read, Routing::Unsupported(reason::BLOCKING_STREAM_READ)),
    ];
    for (text, access, routing) in cases {
        let args = request(text);
        let spec = command::resolve(&args).unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_eq!(spec.request_access(&args), access, "{text}");
        assert_eq!(spec.request_routing(&args), routing, "{text}");
    }
}

/// Error texts, each checked against redis-server 7.0.15 by `command_vs_redis.rs` as well.
#[test]
fn error_texts_snapshot() {
    let long = "y".repeat(100);
    let requests: Vec<Vec<Bytes>> = vec![
        request("foo a b"),
        request("foo"),
        request(&format!("foo aaaaaaaaaa {long} {long} cc")),
        request(&format!("{} a", "x".repeat(200))),
        vec![Bytes::from_static(b"foo"), Bytes::from_static(b"a\r\nb"), Bytes::from_static(b"c\x00d")],
        request("GET"),
        request("get a b"),
        request("SCRIPT foo"),
        request("script"),
        request("script load"),
        request("CLIENT nosuch x"),
        request("script|load x"),
        vec![],
    ];
    let texts: Vec<String> = requests
        .iter()
        .map(|args| match command::resolve(args) {
            Ok(spec) => format!("resolved {}", spec.name),
            Err(error) => String::from_utf8_lossy(&error.message()).into_owned(),
        })
        .collect();
    insta::assert_yaml_snapshot!(texts);
}

#[test]
fn unsupported_error_text() {
    let error = CommandError::Unsupported { command: "MULTI", reason: reason::TRANSACTIONS };
    assert_eq!(&error.message()[..], b"ERR Dynomite: MULTI/EXEC transactions cannot span Dynomite nodes");
}

#[test]
fn command_info_get_snapshot() {
    let reply = command::command_reply(&request("COMMAND INFO get"));
    let mut resp2 = bytes::BytesMut::new();
    encode(&reply, Protocol::Resp2, &mut resp2);
    let mut resp3 = bytes::BytesMut::new();
    encode(&reply, Protocol::Resp3, &mut resp3);
    insta::assert_snapshot!(
        "command_info_get",
        format!("RESP2: {}\nRESP3: {}", String::from_utf8_lossy(&resp2), String::from_utf8_lossy(&resp3))
            .replace("\r\n", "␍␊")
    );
}

#[test]
fn command_subcommands_answer() {
    let count = command::command_reply(&request("COMMAND COUNT"));
    assert_eq!(count, Frame::Integer(command::all_commands().len() as i64));
    let list = command::command_reply(&request("COMMAND LIST FILTERBY PATTERN script*"));
    let expected: Vec<Frame> = [
        "script",
        "script|debug",
        "script|exists",
        "script|flush",
        "script|help",
        "script|kill",
        "script|load",
    ]
    .iter()
    .map(Frame::bulk)
    .collect();
    assert_eq!(list, Frame::Array(expected));
    let keys = command::command_reply(&request("COMMAND GETKEYS ZUNIONSTORE d 2 a b"));
    assert_eq!(keys, Frame::Array(vec![Frame::bulk("d"), Frame::bulk("a"), Frame::bulk("b")]));
    let unknown = command::command_reply(&request("COMMAND INFO nosuch"));
    assert_eq!(unknown, Frame::Array(vec![Frame::Null]));
    let docs = command::command_reply(&request("COMMAND DOCS get"));
    let Frame::Map(pairs) = docs else { panic!("COMMAND DOCS answers a map") };
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0, Frame::bulk("get"));
}

#[test]
fn lookup_is_case_insensitive_and_total() {
    for spec in command::all_commands() {
        assert_eq!(
            command::lookup(spec.name.to_ascii_lowercase().as_bytes()).map(|found| found.name),
            Some(spec.name)
        );
        for sub in spec.subcommands {
            assert_eq!(
                command::lookup_full_name(sub.name.as_bytes()).map(|found| found.name),
                Some(sub.name)
            );
        }
    }
    assert!(command::lookup(b"GeT").is_some());
    assert!(command::lookup(b"GETX").is_none());
    assert!(command::lookup(b"").is_none());
}

/// Invariants that tie the columns of the table together, checked over every command and subcommand.
#[test]
fn table_columns_agree() {
    use dynomite_core::command::{Flag, KeySpec};
    let all = command::all_commands();
    for pair in all.windows(2) {
        assert!(pair[0].name < pair[1].name, "sorted without duplicates: {} {}", pair[0].name, pair[1].name);
    }
    for spec in all.iter().flat_map(|spec| std::iter::once(*spec).chain(spec.subcommands.iter())) {
        let refused = matches!(spec.routing, Routing::Unsupported(_));
        // Redis's write flag means the command must be replicated as a write.
        if spec.flags.contains(Flag::Write) {
            assert_eq!(spec.access, Access::Write, "{}", spec.name);
        }
        if spec.flags.contains(Flag::Readonly) {
            assert_eq!(spec.access, Access::Read, "{}", spec.name);
        }
        // Blocking commands are refused (XREAD/XREADGROUP only when BLOCK is given).
        if spec.flags.contains(Flag::Blocking) && !matches!(spec.keys, KeySpec::Streams { .. }) {
            assert!(refused, "{} blocks", spec.name);
        }
        // A key-based route needs keys; a key-less command cannot be routed by key.
        let by_key = matches!(spec.routing, Routing::SingleKey | Routing::MultiKeySplit | Routing::SameNode);
        if !refused {
            assert_eq!(by_key, spec.keys != KeySpec::None, "{}", spec.name);
        }
        if spec.routing == Routing::SingleKey {
            assert!(
                matches!(spec.keys, KeySpec::Range { first, last, .. } if first as isize == last),
                "{} has one key",
                spec.name
            );
        }
        for sub in spec.subcommands {
            assert!(sub.name.starts_with(&format!("{}|", spec.name)), "{}", sub.name);
        }
    }
}
