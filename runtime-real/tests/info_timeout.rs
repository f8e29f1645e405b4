//! INFO when the datastore accepts connections but never answers: after the node's `timeout` the
//! client still gets the node's own section, with a `datastore_error` line instead of Redis's INFO.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::DynomiteProcess;

/// The `timeout` the test node is configured with (see `common`).
const NODE_TIMEOUT_MS: u64 = 2_000;

#[test]
fn info_answers_the_node_section_when_the_datastore_is_silent() {
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind a silent datastore");
    let port = silent.local_addr().expect("address").port();
    // Accept and hold every connection without ever replying.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let node = DynomiteProcess::redis(port);
    let mut connection = node.connect();
    let started = Instant::now();
    let reply = connection.command(&["INFO"]).expect("INFO reply");
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&reply);
    assert!(text.contains("# Dynomite"), "{text}");
    assert!(
        text.contains(&format!("datastore_error:Datastore did not reply within {NODE_TIMEOUT_MS} ms")),
        "{text}"
    );
    assert!(elapsed >= Duration::from_millis(NODE_TIMEOUT_MS / 2), "answered after {elapsed:?}");
    assert!(elapsed < Duration::from_millis(NODE_TIMEOUT_MS * 3), "answered after {elapsed:?}");
}
