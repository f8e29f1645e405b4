//! The premise of [`canonical_reply`], checked on real redis-servers: two servers holding the same set
//! (and the same hash) list it in different orders, so their SMEMBERS/HGETALL bytes differ and a
//! byte-for-byte DC_SAFE_QUORUM fails; after [`canonical_reply`] the bytes are identical, in RESP2 and
//! RESP3, and still hold every member.
//!
//! The orders differ because each server's hash table was built differently: the members are added in
//! opposite orders, and one server's table is churned (half the members removed and added back), so the
//! bucket chains and the table size history differ. The test asserts the raw replies differ first: a
//! premise that no longer holds would make the rest vacuous.

use bytes::Bytes;
use dynomite_core::cluster::canonical_reply;
use dynomite_core::command::{self, CommandSpec};
use dynomite_core::resp::{parse_frame, Frame, Protocol};
use dynomite_testkit::{RedisServer, RespConn};

/// Members per set and fields per hash: above `hash-max-listpack-entries` (512 in Debian's
/// redis-server 7.0, 128 in redis.conf), so both are real hash tables (a set of non-integer strings is
/// one at any size in Redis 7.0).
const MEMBER_COUNT: usize = 600;

fn spec(name: &str) -> &'static CommandSpec {
    command::lookup(name.as_bytes()).expect("in the table")
}

fn call(conn: &mut RespConn, args: &[String]) -> Bytes {
    Bytes::from(conn.command(args).expect("redis reply"))
}

/// Fills `set` and `hash` on `conn`, members in `order`; with `churn`, removes every other member and
/// adds it back.
fn fill(conn: &mut RespConn, order: &[usize], churn: bool) {
    let member = |n: usize| format!("member-{n}");
    for chunk in order.chunks(50) {
        let mut sadd = vec!["SADD".to_string(), "set".to_string()];
        sadd.extend(chunk.iter().map(|&n| member(n)));
        call(conn, &sadd);
        let mut hset = vec!["HSET".to_string(), "hash".to_string()];
        hset.extend(chunk.iter().flat_map(|&n| [format!("field-{n}"), format!("value-{n}")]));
        call(conn, &hset);
    }
    if churn {
        let removed: Vec<usize> = order.iter().copied().step_by(2).collect();
        for &n in &removed {
            call(conn, &["SREM".into(), "set".into(), member(n)]);
            call(conn, &["HDEL".into(), "hash".into(), format!("field-{n}")]);
        }
        for &n in removed.iter().rev() {
            call(conn, &["SADD".into(), "set".into(), member(n)]);
            call(conn, &["HSET".into(), "hash".into(), format!("field-{n}"), format!("value-{n}")]);
        }
    }
}

fn element_count(reply: &Bytes) -> usize {
    match parse_frame(reply).expect("valid RESP") {
        Frame::Array(items) | Frame::Set(items) => items.len(),
        Frame::Map(pairs) => pairs.len() * 2,
        other => panic!("an aggregate, got {other:?}"),
    }
}

#[test]
fn replicas_with_equal_sets_and_hashes_agree_after_canonical_reply() {
    let servers = [RedisServer::start(), RedisServer::start()];
    let mut conns: Vec<RespConn> =
        servers.iter().map(|server| RespConn::connect(server.port()).expect("connect")).collect();
    let ascending: Vec<usize> = (0..MEMBER_COUNT).collect();
    let descending: Vec<usize> = ascending.iter().rev().copied().collect();
    fill(&mut conns[0], &ascending, false);
    fill(&mut conns[1], &descending, true);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        if protocol == Protocol::Resp3 {
            for conn in &mut conns {
                call(conn, &["HELLO".into(), "3".into()]);
            }
        }
        let cases: [&[&str]; 4] =
            [&["SMEMBERS", "set"], &["HGETALL", "hash"], &["HKEYS", "hash"], &["HVALS", "hash"]];
        for request in cases {
            let args: Vec<String> = request.iter().map(|word| word.to_string()).collect();
            let request_bytes: Vec<Bytes> = args.iter().map(|arg| Bytes::from(arg.clone())).collect();
            let raw: Vec<Bytes> = conns.iter_mut().map(|conn| call(conn, &args)).collect();
            assert_ne!(raw[0], raw[1], "{request:?} {protocol:?}: the two servers' orders differ");
            let canonical: Vec<Bytes> = raw
                .iter()
                .map(|reply| canonical_reply(spec(request[0]), &request_bytes, protocol, reply))
                .collect();
            assert!(
                canonical[0] == canonical[1],
                "{request:?} {protocol:?}: canonical replies are identical"
            );
            assert_eq!(canonical[0].len(), raw[0].len(), "{request:?}: same bytes, another order");
            let expected = if request[0] == "HGETALL" { 2 * MEMBER_COUNT } else { MEMBER_COUNT };
            assert_eq!(element_count(&canonical[0]), expected, "{request:?} {protocol:?}");
            assert_eq!(element_count(&raw[0]), expected);
        }
    }
}

/// HGETALL pairs survive canonicalization: every field is still followed by its own value.
#[test]
fn canonical_hgetall_keeps_each_field_with_its_value() {
    let server = RedisServer::start();
    let mut conn = RespConn::connect(server.port()).expect("connect");
    let order: Vec<usize> = (0..MEMBER_COUNT).rev().collect();
    fill(&mut conn, &order, true);
    let args = vec!["HGETALL".to_string(), "hash".to_string()];
    let raw = call(&mut conn, &args);
    let canonical = canonical_reply(spec("HGETALL"), &[], Protocol::Resp2, &raw);
    let Frame::Array(items) = parse_frame(&canonical).expect("valid") else { panic!("flat array") };
    let mut fields = Vec::new();
    for pair in items.chunks(2) {
        let [Frame::Bulk(field), Frame::Bulk(value)] = pair else { panic!("bulk pairs") };
        let n = std::str::from_utf8(&field[b"field-".len()..]).expect("utf-8");
        assert_eq!(&value[..], format!("value-{n}").as_bytes(), "field {n} keeps its value");
        fields.push(field.clone());
    }
    let mut sorted = fields.clone();
    sorted.sort();
    assert_eq!(fields, sorted, "fields in byte order");
}
