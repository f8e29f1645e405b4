//! The command table checked against a real redis-server 7.0.15.
//!
//! - Every command Redis lists (`COMMAND LIST`) is in our table, except [`NOT_IN_TABLE`].
//! - For every command and subcommand of our table, `COMMAND INFO name` from Redis and from
//!   [`command::command_reply`] agree on name, arity, flags, first/last/step, ACL categories and tips
//!   (in RESP2 and RESP3 bytes), except [`INFO_EXCEPTIONS`]. Key specifications are not compared: we
//!   send them empty (documented in `command::reply`).
//! - Unknown-command, unknown-subcommand, wrong-arity and key-count errors match byte for byte.
//!
//! Command tips (`nondeterministic_output`, `nondeterministic_output_order`, `request_policy:...`) come
//! from redis-server's own `COMMAND INFO` reply, field 8 (index 7), which [`command_info_matches_redis`]
//! compares for every command and subcommand in both protocols. (Redis 7.0's `COMMAND DOCS` does not
//! carry tips; it documents summary, since, group, complexity and arguments.) The proxy derives
//! [`command::ReplyOrder`] from them; [`reply_order_follows_the_tips_redis_reports`] derives it again
//! from Redis's reply for every entry and pins the list of Unordered commands.

use bytes::{Bytes, BytesMut};
use dynomite_core::command::{self, CommandSpec, ReplyOrder};
use dynomite_core::resp::{encode, parse_frame, Frame, Protocol};
use dynomite_testkit::{RedisServer, RespConn};

/// Redis 7.0 commands deliberately absent from the table. None today: even the refused commands are
/// listed, so that they get a clear reason instead of "unknown command".
const NOT_IN_TABLE: &[&str] = &[];

/// Commands whose `COMMAND INFO` fields 0..=7 deliberately differ from Redis. None today.
const INFO_EXCEPTIONS: &[&str] = &[];

/// The number of `COMMAND INFO` fields compared: name, arity, flags, first, last, step, ACL
/// categories, tips (key specifications and subcommands are not).
const COMPARED_INFO_FIELDS: usize = 8;

fn frame_of(reply: Vec<u8>) -> Frame {
    parse_frame(&Bytes::from(reply)).expect("redis-server sends valid RESP")
}

fn bytes_of(frame: &Frame, protocol: Protocol) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(frame, protocol, &mut out);
    out.to_vec()
}

/// Entries added after Redis 7.0 because current clients send them (redis-py sends CLIENT SETINFO,
/// a Redis 7.2 command, on connect). Redis 7.0.15 does not know them, so they are not compared.
const NEWER_THAN_REDIS_7_0: &[&str] = &["CLIENT|SETINFO"];

/// Every Redis 7.0 entry of the table (commands and subcommands).
fn every_spec() -> Vec<&'static CommandSpec> {
    let mut all = Vec::new();
    for spec in command::all_commands() {
        all.push(*spec);
        all.extend(spec.subcommands.iter());
    }
    all.retain(|spec| !NEWER_THAN_REDIS_7_0.contains(&spec.name));
    all
}

#[test]
fn every_redis_command_is_in_the_table() {
    let server = RedisServer::start();
    let mut conn = RespConn::connect(server.port()).expect("connect");
    let Frame::Array(names) = frame_of(conn.command(&["COMMAND", "LIST"]).expect("COMMAND LIST")) else {
        panic!("COMMAND LIST answers an array");
    };
    assert!(names.len() > 300, "Redis 7.0 lists its subcommands too");
    let mut missing = Vec::new();
    for name in names {
        let Frame::Bulk(name) = name else { panic!("names are bulk strings") };
        let text = String::from_utf8_lossy(&name).into_owned();
        if command::lookup_full_name(&name).is_none() && !NOT_IN_TABLE.contains(&text.as_str()) {
            missing.push(text);
        }
    }
    assert!(missing.is_empty(), "missing from the table: {missing:?}");
}

#[test]
fn command_info_matches_redis() {
    let server = RedisServer::start();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut conn = RespConn::connect(server.port()).expect("connect");
        if protocol == Protocol::Resp3 {
            conn.command(&["HELLO", "3"]).expect("HELLO 3");
        }
        for spec in every_spec() {
            let name = spec.name.to_ascii_lowercase();
            if INFO_EXCEPTIONS.contains(&name.as_str()) {
                continue;
            }
            let theirs = frame_of(conn.command(&["COMMAND", "INFO", name.as_str()]).expect("COMMAND INFO"));
            let args: Vec<Bytes> =
                ["COMMAND", "INFO", name.as_str()].map(|arg| Bytes::from(arg.to_string())).into();
            let ours = command::command_reply(&args);
            compare_info(&name, &theirs, &ours, protocol);
        }
    }
}

fn compare_info(name: &str, theirs: &Frame, ours: &Frame, protocol: Protocol) {
    let entry = |frame: &Frame| -> Vec<Frame> {
        match frame {
            Frame::Array(entries) => match entries.first() {
                Some(Frame::Array(fields)) => fields.clone(),
                other => panic!("{name}: unknown to one side: {other:?}"),
            },
            other => panic!("{name}: not an array: {other:?}"),
        }
    };
    let (theirs, ours) = (entry(theirs), entry(ours));
    for field in 0..COMPARED_INFO_FIELDS {
        assert_eq!(
            String::from_utf8_lossy(&bytes_of(&ours[field], protocol)),
            String::from_utf8_lossy(&bytes_of(&theirs[field], protocol)),
            "{name}: COMMAND INFO field {field} ({protocol:?})"
        );
    }
    let subcommand_count = |fields: &[Frame]| match fields.get(9) {
        Some(Frame::Array(items) | Frame::Set(items)) => items
            .iter()
            .filter(|item| {
                let name = String::from_utf8_lossy(&bytes_of(item, Protocol::Resp2)).to_ascii_uppercase();
                !NEWER_THAN_REDIS_7_0.iter().any(|newer| name.contains(&format!("{newer}\r\n")))
            })
            .count(),
        _ => 0,
    };
    assert_eq!(subcommand_count(&ours), subcommand_count(&theirs), "{name}: subcommand count");
}

/// Sends `args` to Redis and resolves them in the table; both must give the same error bytes.
fn assert_same_resolve_error(conn: &mut RespConn, args: &[Vec<u8>]) {
    let theirs = conn.command(args).expect("redis reply");
    let request: Vec<Bytes> = args.iter().map(|arg| Bytes::from(arg.clone())).collect();
    let error = command::resolve(&request).expect_err("the request is malformed");
    let ours = bytes_of(&error.to_frame(), Protocol::Resp2);
    assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "{args:?}");
}

fn words(text: &str) -> Vec<Vec<u8>> {
    text.split(' ').map(|word| word.as_bytes().to_vec()).collect()
}

#[test]
fn unknown_command_and_subcommand_errors_match_redis() {
    let server = RedisServer::start();
    let mut conn = RespConn::connect(server.port()).expect("connect");
    let long = "y".repeat(100);
    let requests = vec![
        words("foo a b"),
        words("foo"),
        words("FOO"),
        words(&format!("foo aaaaaaaaaa {long} {long} cc")),
        words(&format!("foo {long} {long} {long}")),
        words(&format!("{} a", "x".repeat(200))),
        words("foo ''"),
        vec![b"foo".to_vec(), b"a\r\nb".to_vec(), b"c\rd".to_vec()],
        vec![b"fo\x00o\xffx".to_vec(), b"a%b".to_vec(), b"x\x00yz".to_vec(), b"q".to_vec()],
        vec![b"get\x00".to_vec(), b"a".to_vec()],
        vec![b"foo".to_vec(), Vec::new(), Vec::new()],
        words("script|load x"),
        words("SCRIPT foo"),
        words("script FOO bar"),
        vec![b"script".to_vec(), "z".repeat(200).into_bytes()],
        vec![b"client".to_vec(), b"a\x00b\nc".to_vec()],
        words("CONFIG nosuch"),
        words("object foo"),
        words("xinfo foo"),
        words("command foo"),
    ];
    for args in requests {
        assert_same_resolve_error(&mut conn, &args);
    }
}

/// Every command with a checkable arity, sent with one argument too many (fixed arity) or too few
/// (minimum arity): Redis rejects it before running it, so even SHUTDOWN is safe to send.
#[test]
fn wrong_arity_errors_match_redis_for_every_command() {
    let server = RedisServer::start();
    let mut conn = RespConn::connect(server.port()).expect("connect");
    let mut checked = 0;
    for spec in every_spec() {
        let count =
            if spec.arity > 0 { spec.arity as usize + 1 } else { spec.arity.unsigned_abs() as usize - 1 };
        let words: Vec<&str> = spec.name.split('|').collect();
        if count < words.len() || (spec.is_container() && count > 1) {
            continue; // cannot be malformed by arity alone (arity -1, or a container's own arity)
        }
        let mut args: Vec<Vec<u8>> = words.iter().map(|word| word.as_bytes().to_vec()).collect();
        args.resize(count, b"x".to_vec());
        assert_same_resolve_error(&mut conn, &args);
        checked += 1;
    }
    assert!(checked > 300, "checked {checked} commands");
}

/// Key-count and stream-list errors that `key_indexes` reports, compared with Redis's replies.
#[test]
fn key_errors_match_redis() {
    let server = RedisServer::start();
    let mut conn = RespConn::connect(server.port()).expect("connect");
    let requests = [
        "EVAL return 3 k1 k2",
        "EVAL return -1",
        "EVAL return 01 k",
        "EVAL return +1 k",
        "EVAL return 99999999999999999999 k",
        "EVAL_RO return 2 k",
        "ZUNIONSTORE d 0 a",
        "ZUNIONSTORE d -1 a",
        "ZUNIONSTORE d 3 a b",
        "ZUNIONSTORE d x a",
        "ZINTER 5 a",
        "ZDIFF 0 a",
        "ZINTERCARD 0 a",
        "ZDIFFSTORE d 2 a",
        "SINTERCARD 5 a",
        "SINTERCARD x a",
        "SINTERCARD 0 a",
        "LMPOP 0 a LEFT",
        "LMPOP 2 a LEFT",
        "LMPOP x a LEFT",
        "ZMPOP 2 a MIN",
        "XREAD STREAMS a b c",
        "XREAD COUNT 1 a b",
        "XREAD foo STREAMS a 0",
        "XREADGROUP GROUP g c STREAMS a b c",
        "MSET a 1 b",
        "MSETNX a 1 b",
    ];
    for text in requests {
        let args = words(text);
        let theirs = conn.command(&args).expect("redis reply");
        let request: Vec<Bytes> = args.iter().map(|arg| Bytes::from(arg.clone())).collect();
        let spec = command::resolve(&request).expect("resolves");
        let error = spec.key_indexes(&request).expect_err("malformed keys");
        let ours = bytes_of(&error.to_frame(), Protocol::Resp2);
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "{text}");
    }
}

/// `COMMAND COUNT` and the names `COMMAND DOCS` documents (with group and since) agree with Redis.
#[test]
fn command_count_and_docs_match_redis() {
    let server = RedisServer::start();
    let mut conn = RespConn::connect(server.port()).expect("connect");
    let theirs = frame_of(conn.command(&["COMMAND", "COUNT"]).expect("COMMAND COUNT"));
    let ours = command::command_reply(&[Bytes::from_static(b"COMMAND"), Bytes::from_static(b"COUNT")]);
    assert_eq!(ours, theirs);
    conn.command(&["HELLO", "3"]).expect("HELLO 3");
    let Frame::Map(their_docs) = frame_of(conn.command(&["COMMAND", "DOCS"]).expect("COMMAND DOCS")) else {
        panic!("COMMAND DOCS answers a map in RESP3");
    };
    let Frame::Map(our_docs) =
        command::command_reply(&[Bytes::from_static(b"COMMAND"), Bytes::from_static(b"DOCS")])
    else {
        panic!("our COMMAND DOCS is a map");
    };
    assert_eq!(our_docs.len(), their_docs.len());
    for (name, their_doc) in their_docs {
        let (_, our_doc) = our_docs.iter().find(|(our_name, _)| *our_name == name).expect("documented");
        for field in ["since", "group"] {
            assert_eq!(doc_field(our_doc, field), doc_field(&their_doc, field), "{name:?} {field}");
        }
    }
}

fn doc_field(doc: &Frame, field: &str) -> Option<Frame> {
    let Frame::Map(pairs) = doc else { return None };
    pairs.iter().find(|(key, _)| *key == Frame::bulk(field)).map(|(_, value)| value.clone())
}

/// Every Redis 7.0 command whose reply lists its elements in no defined order
/// (`nondeterministic_output_order`): compared as multisets at the quorum levels.
const UNORDERED_COMMANDS: &[&str] = &[
    "COMMAND",
    "COMMAND|DOCS",
    "COMMAND|INFO",
    "COMMAND|LIST",
    "FUNCTION|LIST",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "KEYS",
    "MODULE|LIST",
    "SDIFF",
    "SINTER",
    "SMEMBERS",
    "SUNION",
];

/// For every command and subcommand: the reply order our table derives equals the one derived from the
/// tips in redis-server's `COMMAND INFO` (field 8); the Unordered ones are exactly
/// [`UNORDERED_COMMANDS`], and the Random ones include the commands issue 7 names.
#[test]
fn reply_order_follows_the_tips_redis_reports() {
    let server = RedisServer::start();
    let mut conn = RespConn::connect(server.port()).expect("connect");
    let mut unordered = Vec::new();
    let mut random = Vec::new();
    for spec in every_spec() {
        let name = spec.name.to_ascii_lowercase();
        let reply = frame_of(conn.command(&["COMMAND", "INFO", name.as_str()]).expect("COMMAND INFO"));
        let Frame::Array(entries) = reply else { panic!("{name}: COMMAND INFO answers an array") };
        let Some(Frame::Array(fields)) = entries.first() else { panic!("{name}: unknown to Redis") };
        let Some(Frame::Array(tips) | Frame::Set(tips)) = fields.get(7) else {
            panic!("{name}: COMMAND INFO field 8 (tips) is an array")
        };
        let tips: Vec<Vec<u8>> = tips
            .iter()
            .map(|tip| match tip {
                Frame::Bulk(text) | Frame::Simple(text) => text.to_vec(),
                other => panic!("{name}: tip {other:?}"),
            })
            .collect();
        let has = |tip: &str| tips.iter().any(|own| own == tip.as_bytes());
        let redis_order = if has(command::TIP_NONDETERMINISTIC_OUTPUT) {
            ReplyOrder::Random
        } else if has(command::TIP_NONDETERMINISTIC_OUTPUT_ORDER) {
            ReplyOrder::Unordered
        } else {
            ReplyOrder::Defined
        };
        assert_eq!(spec.reply_order(), redis_order, "{name}: reply order from the tips {tips:?}");
        match redis_order {
            ReplyOrder::Unordered => unordered.push(spec.name),
            ReplyOrder::Random => random.push(spec.name),
            ReplyOrder::Defined => {}
        }
    }
    unordered.sort_unstable();
    assert_eq!(unordered, UNORDERED_COMMANDS);
    for name in ["SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "RANDOMKEY", "SPOP", "SCAN", "TTL", "PTTL"] {
        assert!(random.contains(&name), "{name} carries nondeterministic_output in Redis 7.0");
    }
}
