//! Server commands: PING, ECHO, INFO, TIME, COMMAND (COUNT and a minimal listing), SELECT 0.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::resp::Frame;

use super::args::{self, error, integer, is};
use super::{table, Call, Store};

/// PING [message].
pub(crate) fn ping(_store: &mut Store, call: &Call) -> Frame {
    match &call.args[1..] {
        [] => Frame::simple("PONG"),
        [message] => Frame::Bulk(message.clone()),
        _ => args::wrong_arity("ping"),
    }
}

/// ECHO message.
pub(crate) fn echo(_store: &mut Store, call: &Call) -> Frame {
    Frame::Bulk(call.args[1].clone())
}

/// TIME: the injected clock as [seconds, microseconds].
pub(crate) fn time(_store: &mut Store, call: &Call) -> Frame {
    let seconds = call.now_ms / 1000;
    let micros = (call.now_ms % 1000) * 1000;
    Frame::Array(vec![
        Frame::Bulk(Bytes::from(seconds.to_string())),
        Frame::Bulk(Bytes::from(micros.to_string())),
    ])
}

/// SELECT index: only database 0 exists.
pub(crate) fn select(_store: &mut Store, call: &Call) -> Frame {
    match integer(&call.args[1]) {
        Err(_) => error(args::NOT_INTEGER),
        Ok(0) => Frame::ok(),
        Ok(_) => error("ERR DB index is out of range"),
    }
}

/// COMMAND [COUNT]: COUNT is supported; the bare form lists names only.
pub(crate) fn command(_store: &mut Store, call: &Call) -> Frame {
    match &call.args[1..] {
        [sub] if is(sub, "count") => Frame::Integer(table::count() as i64),
        [] => Frame::Array(table::names().map(Frame::bulk).collect()),
        _ => {
            let sub = String::from_utf8_lossy(&call.args[1]).to_ascii_uppercase();
            Frame::error(format!("ERR COMMAND {sub} is not supported by the embedded datastore"))
        }
    }
}

/// INFO [section...]: Redis-like text with server, clients, memory, stats and keyspace sections.
pub(crate) fn info(store: &mut Store, call: &Call) -> Frame {
    let wanted: Vec<String> =
        call.args[1..].iter().map(|arg| String::from_utf8_lossy(arg).to_ascii_lowercase()).collect();
    let include = |name: &str| {
        wanted.is_empty()
            || wanted.iter().any(|section| {
                section == name || section == "all" || section == "everything" || section == "default"
            })
    };
    let mut text = String::new();
    if include("server") {
        let _ = write!(
            text,
            "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nserver_name:dynomite-embedded\r\nuptime_in_seconds:0\r\n\r\n"
        );
    }
    if include("clients") {
        let _ = write!(text, "# Clients\r\nconnected_clients:1\r\n\r\n");
    }
    if include("memory") {
        let used = store.used_memory_bytes();
        let _ = write!(text, "# Memory\r\nused_memory:{used}\r\nused_memory_human:{used}B\r\n\r\n");
    }
    if include("stats") {
        let stats = &store.statistics;
        let _ = write!(
            text,
            "# Stats\r\ntotal_commands_processed:{}\r\nexpired_keys:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\n\r\n",
            stats.commands_processed, stats.expired_keys, stats.keyspace_hits, stats.keyspace_misses
        );
    }
    if include("keyspace") {
        let _ = write!(text, "# Keyspace\r\n");
        if !store.is_empty() {
            let _ =
                write!(text, "db0:keys={},expires={},avg_ttl=0\r\n", store.len(), store.keys_with_expiry());
        }
    }
    let text = text.trim_end_matches("\r\n").to_string() + "\r\n";
    Frame::Verbatim { format: *b"txt", text: Bytes::from(text) }
}
