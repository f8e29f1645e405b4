//! The `dynomite` binary in front of a real redis-server: replies must be byte-for-byte what Redis
//! itself sends, in RESP2 and RESP3, pipelined or not; bad input gets errors, never a silent close.

mod common;

use common::{show, DynomiteProcess};
use dynomite_testkit::{encode_command, RedisServer, RespConn};

/// Commands whose replies must be identical through the proxy and directly (fresh keys each run).
fn script() -> Vec<Vec<&'static str>> {
    let lines = [
        "SET s hello",
        "GET s",
        "APPEND s !",
        "GETRANGE s 0 2",
        "SETRANGE s 1 E",
        "STRLEN s",
        "SET s x NX",
        "SET s y XX GET",
        "GETDEL s",
        "GET s",
        "INCR n",
        "INCRBY n 10",
        "DECRBY n 3",
        "INCRBYFLOAT f 2.5",
        "INCR s2",
        "SET s2 abc",
        "INCR s2",
        "SET e v EX 100",
        "PERSIST e",
        "TTL e",
        "PTTL nothing",
        "EXPIRE e 100 XX",
        "EXPIRE e 200 GT",
        "HSET h a 1 b 2 c 3",
        "HGET h a",
        "HMGET h a x c",
        "HGETALL h",
        "HINCRBY h a 5",
        "HINCRBYFLOAT h b 0.25",
        "HDEL h c",
        "HLEN h",
        "HEXISTS h b",
        "HSTRLEN h a",
        "SADD st a b c",
        "SISMEMBER st b",
        "SMISMEMBER st a z",
        "SCARD st",
        "SREM st a",
        "ZADD z 1 a 2.5 b 3 c",
        "ZSCORE z b",
        "ZINCRBY z 1.1 a",
        "ZRANGE z 0 -1 WITHSCORES",
        "ZRANGEBYSCORE z 2 +inf",
        "ZREVRANGE z 0 1 WITHSCORES",
        "ZRANK z c",
        "ZCOUNT z -inf +inf",
        "ZMSCORE z a nope",
        "ZPOPMIN z",
        "RPUSH l a b c d",
        "LPUSH l z",
        "LRANGE l 0 -1",
        "LINDEX l 2",
        "LPOP l 2",
        "RPOP l",
        "LLEN l",
        "LPOS l b",
        "MSET m1 1 m2 2",
        "MGET m1 m2 m3",
        "EXISTS m1 m2 m3",
        "DEL m1 m3",
        "UNLINK m2",
        "TYPE h",
        "TYPE nothing",
        "GET h",
        "HGET s2 a",
        "LPUSH h x",
        "SET k v PX 0",
        "ECHO hi",
        "PING",
        "PING msg",
        "EVAL \"return {1,2,{3,'x'}}\" 0",
        "EVAL \"return redis.call('GET',KEYS[1])\" 1 n",
        "SCRIPT LOAD \"return 1\"",
        "SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db ffff",
        "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
        "EVALSHA ffffffffffffffffffffffffffffffffffffffff 0",
        "GET",
        "SET a",
        "HSET h a",
        "ZADD z x y",
    ];
    lines.iter().map(|line| split_quoted(line)).collect()
}

/// Splits on spaces outside double quotes (enough for the script above).
fn split_quoted(line: &'static str) -> Vec<&'static str> {
    let mut words = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').expect("closing quote");
            words.push(&quoted[..end]);
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            words.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    words
}

fn run_script(conn: &mut RespConn, hello3: bool) -> Vec<Vec<u8>> {
    if hello3 {
        conn.command(&["HELLO", "3"]).expect("HELLO 3");
    }
    conn.command(&["FLUSHALL"]).expect("FLUSHALL");
    script().iter().map(|command| conn.command(command).expect("reply")).collect()
}

fn assert_same_replies(expected: &[Vec<u8>], actual: &[Vec<u8>]) {
    for ((command, want), got) in script().iter().zip(expected).zip(actual) {
        assert_eq!(show(got), show(want), "reply to {command:?} differs from Redis");
    }
    assert_eq!(expected.len(), actual.len());
}

#[test]
fn replies_match_redis_byte_for_byte_in_resp2_and_resp3() {
    let redis = RedisServer::start();
    let proxy = DynomiteProcess::redis(redis.port());
    for hello3 in [false, true] {
        let expected = run_script(&mut RespConn::connect(redis.port()).unwrap(), hello3);
        let actual = run_script(&mut proxy.connect(), hello3);
        assert_same_replies(&expected, &actual);
    }
}

#[test]
fn pipelined_replies_arrive_in_request_order() {
    let redis = RedisServer::start();
    let proxy = DynomiteProcess::redis(redis.port());
    let mut conn = proxy.connect();
    const PIPELINE: usize = 5_000;
    let mut batch = Vec::new();
    for i in 0..PIPELINE {
        batch.extend(encode_command(&["SET", &format!("p{i}"), &format!("value-{i}")]));
        batch.extend(encode_command(&["GET", &format!("p{i}")]));
        if i % 7 == 0 {
            batch.extend(encode_command(&["PING", &format!("m{i}")])); // answered by the proxy itself
        }
    }
    conn.send_raw(&batch).unwrap();
    for i in 0..PIPELINE {
        assert_eq!(show(&conn.read_reply().unwrap()), "+OK\\r\\n", "SET #{i}");
        let value = format!("value-{i}");
        assert_eq!(
            show(&conn.read_reply().unwrap()),
            format!("${}\\r\\n{value}\\r\\n", value.len()),
            "GET #{i}"
        );
        if i % 7 == 0 {
            let message = format!("m{i}");
            assert_eq!(show(&conn.read_reply().unwrap()), format!("${}\\r\\n{message}\\r\\n", message.len()));
        }
    }
}

#[test]
fn unknown_and_unsupported_commands_get_errors_and_the_connection_stays_usable() {
    let redis = RedisServer::start();
    let proxy = DynomiteProcess::redis(redis.port());
    let mut conn = proxy.connect();
    let unknown = conn.command(&["FOOBAR", "x"]).unwrap();
    assert_eq!(
        show(&unknown),
        show(&RespConn::connect(redis.port()).unwrap().command(&["FOOBAR", "x"]).unwrap())
    );
    for command in [vec!["MULTI"], vec!["SUBSCRIBE", "ch"], vec!["BLPOP", "l", "0"], vec!["SELECT", "1"]] {
        let reply = conn.command(&command).unwrap();
        assert!(reply.starts_with(b"-ERR "), "{command:?} gave {}", show(&reply));
        assert_eq!(conn.command(&["PING"]).unwrap(), b"+PONG\r\n", "connection unusable after {command:?}");
    }
    assert_eq!(conn.command(&["SELECT", "0"]).unwrap(), b"+OK\r\n");
}

#[test]
fn garbage_gets_a_protocol_error_then_the_connection_closes() {
    let redis = RedisServer::start();
    let proxy = DynomiteProcess::redis(redis.port());
    for garbage in [&b"*2\r\n$3\r\nGET\r\n:5\r\n"[..], b"*abc\r\n", b"*1\r\n$abc\r\n", b"*1\r\n$-7\r\n"] {
        let mut conn = proxy.connect();
        conn.send_raw(garbage).unwrap();
        let reply = conn.read_reply().unwrap();
        assert!(reply.starts_with(b"-ERR Protocol error"), "{} gave {}", show(garbage), show(&reply));
        assert!(conn.read_reply().is_err(), "connection should close after a protocol error");
    }
    let mut conn = proxy.connect();
    assert_eq!(conn.command(&["PING"]).unwrap(), b"+PONG\r\n", "the node survives garbage");
}

#[test]
fn inline_commands_work_like_redis_cli_over_telnet() {
    let redis = RedisServer::start();
    let proxy = DynomiteProcess::redis(redis.port());
    let mut conn = proxy.connect();
    conn.send_raw(b"SET inline \"two words\"\r\nGET inline\n").unwrap();
    assert_eq!(conn.read_reply().unwrap(), b"+OK\r\n");
    assert_eq!(conn.read_reply().unwrap(), b"$9\r\ntwo words\r\n");
}

#[test]
fn dead_datastore_gives_a_clear_error_and_the_proxy_reconnects() {
    let mut redis = RedisServer::start();
    let mut proxy = DynomiteProcess::redis(redis.port());
    let mut conn = proxy.connect();
    assert_eq!(conn.command(&["SET", "k", "v"]).unwrap(), b"+OK\r\n");
    redis.kill();
    let mut saw_refused = false;
    for _ in 0..20 {
        let reply = conn.command(&["GET", "k"]).unwrap();
        assert!(reply.starts_with(b"-ERR Storage: "), "got {}", show(&reply));
        saw_refused |= reply.starts_with(b"-ERR Storage: Datastore refused connection");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(saw_refused, "a dead datastore is reported as refusing connections");
    assert!(proxy.is_running(), "the proxy must not exit because its datastore died");
    redis.restart();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let reply = conn.command(&["SET", "k", "back"]).unwrap();
        if reply == b"+OK\r\n" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "proxy never reconnected: {}", show(&reply));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(conn.command(&["GET", "k"]).unwrap(), b"$4\r\nback\r\n");
}

#[test]
fn hello_and_client_commands_are_answered_by_the_proxy() {
    let redis = RedisServer::start();
    let proxy = DynomiteProcess::redis(redis.port());
    let mut conn = proxy.connect();
    let hello = conn.command(&["HELLO", "3", "SETNAME", "tester"]).unwrap();
    assert!(hello.starts_with(b"%"), "HELLO 3 answers a RESP3 map: {}", show(&hello));
    assert_eq!(conn.command(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]).unwrap(), b"+OK\r\n");
    assert_eq!(conn.command(&["CLIENT", "GETNAME"]).unwrap(), b"$6\r\ntester\r\n");
    assert_eq!(conn.command(&["HGETALL", "none"]).unwrap(), b"%0\r\n", "RESP3 reaches the datastore");
    assert_eq!(conn.command(&["HELLO", "4"]).unwrap(), b"-NOPROTO unsupported protocol version\r\n");
    assert_eq!(conn.command(&["RESET"]).unwrap(), b"+RESET\r\n");
    assert_eq!(conn.command(&["HGETALL", "none"]).unwrap(), b"*0\r\n", "RESET returns to RESP2");
    let info = conn.command(&["INFO"]).unwrap();
    let text = show(&info);
    assert!(text.contains("# Dynomite") && text.contains("redis_version:"), "INFO merges both: {text}");
    let count = conn.command(&["COMMAND", "COUNT"]).unwrap();
    assert!(count.starts_with(b":"), "COMMAND COUNT: {}", show(&count));
    assert_eq!(conn.command(&["QUIT"]).unwrap(), b"+OK\r\n");
    assert!(conn.read_reply().is_err(), "QUIT closes the connection");
}

#[test]
fn sigterm_stops_the_node_cleanly() {
    let redis = RedisServer::start();
    let mut proxy = DynomiteProcess::redis(redis.port());
    let status = proxy.terminate();
    assert!(status.success(), "exit status {status}");
}
