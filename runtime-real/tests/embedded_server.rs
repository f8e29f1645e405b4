//! The embedded engine served over TCP answers like Redis, in RESP2 and after `HELLO 3` in RESP3.

use std::sync::Arc;

use dynomite::clock::SystemClock;
use dynomite::datastore::EmbeddedStore;
use dynomite_testkit::RespConn;

fn start_server() -> u16 {
    let (port_sender, port_receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            port_sender.send(listener.local_addr().unwrap().port()).unwrap();
            let store = Arc::new(EmbeddedStore::new(Arc::new(SystemClock)));
            dynomite::embedded_server::serve(listener, store, std::future::pending()).await;
        });
    });
    port_receiver.recv().unwrap()
}

#[test]
fn serves_commands_in_both_protocols() {
    let port = start_server();
    let mut conn = RespConn::connect(port).unwrap();
    assert_eq!(conn.command(&["SET", "k", "v"]).unwrap(), b"+OK\r\n");
    assert_eq!(conn.command(&["HSET", "h", "a", "1"]).unwrap(), b":1\r\n");
    assert_eq!(conn.command(&["HGETALL", "h"]).unwrap(), b"*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    conn.command(&["HELLO", "3"]).unwrap();
    assert_eq!(conn.command(&["HGETALL", "h"]).unwrap(), b"%1\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(conn.command(&["GET", "missing"]).unwrap(), b"_\r\n");
}

#[test]
fn pipelined_requests_are_answered_in_order_and_garbage_closes() {
    let port = start_server();
    let mut conn = RespConn::connect(port).unwrap();
    let mut batch = Vec::new();
    for _ in 0..200 {
        batch.extend(dynomite_testkit::encode_command(&["INCR", "counter"]));
    }
    conn.send_raw(&batch).unwrap();
    for i in 1..=200 {
        assert_eq!(conn.read_reply().unwrap(), format!(":{i}\r\n").into_bytes());
    }
    conn.send_raw(b"*1\r\n$x\r\n").unwrap();
    assert!(conn.read_reply().unwrap().starts_with(b"-ERR Protocol error"));
    assert!(conn.read_reply().is_err());
}
