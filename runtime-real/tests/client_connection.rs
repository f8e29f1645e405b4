//! The client connection task (runtime-real/src/client.rs) over real sockets: a pipeline deeper than the
//! connection's queue followed by a half-close is answered exactly like Redis answers it, large requests
//! arriving in many small reads decode, and ready replies are written before the task waits for a slow
//! one.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{show, DynomiteProcess};
use dynomite_testkit::{encode_command, RedisServer};

/// Requests in the deep pipeline: well over the connection's queue limit (1024).
const PIPELINE_REQUESTS: usize = 20_000;

/// Sends `bytes` on a fresh connection to `port`, half-closes, and returns everything read until EOF.
fn exchange(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("read timeout");
    let mut writer = stream.try_clone().expect("clone stream");
    let request = bytes.to_vec();
    let sender = std::thread::spawn(move || {
        writer.write_all(&request).expect("send pipeline");
        writer.shutdown(Shutdown::Write).expect("half-close");
    });
    let mut replies = Vec::new();
    stream.read_to_end(&mut replies).expect("read replies to EOF");
    sender.join().expect("sender thread");
    replies
}

/// A mix of writes and reads over a few keys, so every reply depends on the order before it.
fn mixed_pipeline() -> Vec<u8> {
    let mut bytes = Vec::new();
    for index in 0..PIPELINE_REQUESTS {
        let key = format!("pipe:{}", index % 5);
        let value = index.to_string();
        let command: Vec<&str> = match index % 6 {
            0 => vec!["SET", &key, &value],
            1 => vec!["GET", &key],
            2 => vec!["APPEND", &key, "x"],
            3 => vec!["INCR", "pipe:counter"],
            4 => vec!["DEL", &key],
            _ => vec!["PING"],
        };
        bytes.extend_from_slice(&encode_command(&command));
    }
    bytes
}

#[test]
fn a_pipeline_deeper_than_the_queue_then_a_half_close_is_answered_like_redis() {
    let redis = RedisServer::start();
    let dynomite = DynomiteProcess::redis(redis.port());
    let pipeline = mixed_pipeline();
    let through_proxy = exchange(dynomite.port, &pipeline);
    exchange(redis.port(), &encode_command(&["FLUSHALL"]));
    let direct = exchange(redis.port(), &pipeline);
    assert_eq!(through_proxy.len(), direct.len(), "reply bytes through the proxy vs direct");
    assert!(through_proxy == direct, "replies differ from Redis's");
}

#[test]
fn large_requests_in_small_reads_decode() {
    let dynomite = DynomiteProcess::embedded();
    let value = vec![b'v'; 4 * 1024 * 1024];
    let mut set = encode_command(&[b"SET".as_slice(), b"big", &value]);
    let mut mset: Vec<Vec<u8>> = vec![b"MSET".to_vec()];
    for index in 0..50_000 {
        mset.push(format!("m:{index}").into_bytes());
        mset.push(format!("{index}").into_bytes());
    }
    set.extend_from_slice(&encode_command(&mset));
    set.extend_from_slice(&encode_command(&["STRLEN", "big"]));
    set.extend_from_slice(&encode_command(&["GET", "m:49999"]));
    let mut stream = TcpStream::connect(("127.0.0.1", dynomite.port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    // Small writes so the proxy sees the requests in many reads.
    for chunk in set.chunks(64 * 1024) {
        stream.write_all(chunk).expect("send chunk");
    }
    stream.shutdown(Shutdown::Write).expect("half-close");
    let mut replies = Vec::new();
    stream.read_to_end(&mut replies).expect("read replies");
    assert_eq!(show(&replies), show(b"+OK\r\n+OK\r\n:4194304\r\n$5\r\n49999\r\n"));
}

#[test]
fn ready_replies_are_written_before_waiting_for_a_slow_one() {
    // A "datastore" that accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("address").port();
    let _acceptor = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let dynomite = DynomiteProcess::redis(silent_port);
    let mut stream = TcpStream::connect(("127.0.0.1", dynomite.port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
    let started = Instant::now();
    stream.write_all(b"PING\r\nGET k\r\nECHO after\r\n").expect("send");
    let mut first = [0u8; 7];
    stream.read_exact(&mut first).expect("first reply");
    assert_eq!(&first, b"+PONG\r\n");
    // The node's timeout is 2000 ms: the PONG must not wait for the silent datastore.
    assert!(started.elapsed() < Duration::from_millis(1500), "PONG took {:?}", started.elapsed());
    let mut rest = Vec::new();
    while !rest.ends_with(b"$5\r\nafter\r\n") {
        let mut chunk = [0u8; 256];
        let read = stream.read(&mut chunk).expect("later replies");
        assert!(read > 0, "closed early after {}", show(&rest));
        rest.extend_from_slice(&chunk[..read]);
    }
    assert!(
        show(&rest).starts_with("-ERR Storage: Datastore did not reply within 2000 ms"),
        "{}",
        show(&rest)
    );
}
