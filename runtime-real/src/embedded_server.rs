//! The embedded engine served over TCP as a stand-alone datastore: a small Redis-compatible server.
//!
//! A node normally runs the embedded engine in process. The simulator instead gives each node a
//! separate datastore host (so a node can die while its data survives, or both die together), and that
//! host runs this server; a node reaches it exactly as it reaches a real Redis (`data_store: 0`).
//! Replies are in the connection's protocol (`HELLO 3` switches it), in request order.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dynomite_core::resp::{self, Frame, Limits, Protocol, RequestDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::datastore::EmbeddedStore;

/// Bytes read per call.
const READ_CHUNK_BYTES: usize = 16 * 1024;
/// How often active expiry runs.
const ACTIVE_EXPIRY_INTERVAL_MS: u64 = 100;
/// Keys active expiry may remove per run.
const ACTIVE_EXPIRY_KEYS_MAX: usize = 200;
/// Pause after a failed accept.
const ACCEPT_RETRY_DELAY_MS: u64 = 50;

/// Serves `store` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, store: Arc<EmbeddedStore>, shutdown: impl Future<Output = ()>) {
    let expiry_store = store.clone();
    let expiry = tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(ACTIVE_EXPIRY_INTERVAL_MS));
        loop {
            interval.tick().await;
            expiry_store.expire_some(ACTIVE_EXPIRY_KEYS_MAX);
        }
    });
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, store.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "embedded datastore accept failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_DELAY_MS)).await;
                }
            },
        }
    }
    expiry.abort();
}

async fn serve_connection(mut stream: TcpStream, store: Arc<EmbeddedStore>) {
    let _ = stream.set_nodelay(true);
    let mut decoder = RequestDecoder::new(Limits::default());
    let mut protocol = Protocol::Resp2;
    let mut input = BytesMut::with_capacity(READ_CHUNK_BYTES);
    let mut output = BytesMut::with_capacity(READ_CHUNK_BYTES);
    loop {
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(request)) => {
                    let reply = answer(&store, &request.args, &mut protocol);
                    resp::encode(&reply, protocol, &mut output);
                }
                Ok(None) => break,
                Err(error) => {
                    resp::encode(&Frame::error(format!("ERR {error}")), protocol, &mut output);
                    let _ = stream.write_all(&output).await;
                    let _ = stream.flush().await;
                    return;
                }
            }
        }
        if !output.is_empty() {
            if stream.write_all(&output).await.is_err() || stream.flush().await.is_err() {
                return;
            }
            output.clear();
        }
        input.reserve(READ_CHUNK_BYTES);
        match stream.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// `HELLO` switches the connection's protocol (the engine itself has no connection state); everything
/// else goes to the engine.
fn answer(store: &EmbeddedStore, args: &[Bytes], protocol: &mut Protocol) -> Frame {
    if args[0].eq_ignore_ascii_case(b"HELLO") {
        match args.get(1).map(|version| version.as_ref()) {
            Some(b"3") => *protocol = Protocol::Resp3,
            Some(b"2") => *protocol = Protocol::Resp2,
            None => {}
            Some(_) => return Frame::error("NOPROTO unsupported protocol version"),
        }
        return Frame::Map(vec![
            (Frame::bulk("server"), Frame::bulk("dynomite-embedded")),
            (Frame::bulk("proto"), Frame::Integer(protocol.version())),
        ]);
    }
    store.execute(args, *protocol)
}
