//! One client connection.
//!
//! Two tasks share the connection: the reader parses each request once, dispatches it through the
//! [`Session`] and queues the reply *handle* on a bounded channel; the writer
//! resolves the handles strictly in queue order, so replies leave in request order even when a
//! pipelining client has many requests in flight and the datastore answers them over different
//! connections. The bounded queue is the pipeline limit: a client that sends faster than replies drain
//! is simply not read until there is room.
//!
//! The socket is divided with `tokio::io::split` rather than `TcpStream::into_split`, which madsim's
//! simulated stream does not have.
//!
//! Malformed input gets `-ERR Protocol error: ...` and then the connection closes (as in Redis: the
//! byte stream cannot be resynchronised). Nothing is dropped silently.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::resp::{self, Frame, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::coordinator::Reply;
use crate::datastore::{DatastoreError, DatastoreReply};
use crate::node::NodeShared;
use crate::session::{Pending, Session};

/// Replies queued per connection before the reader stops reading (the pipeline depth limit).
const PIPELINE_DEPTH_MAX: usize = 1024;
/// Bytes gathered before the writer writes, when several replies are ready at once.
const WRITE_BATCH_BYTES_MAX: usize = 64 * 1024;
/// Bytes read from the socket per call.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// Serves one accepted client connection until it closes.
pub async fn serve(stream: TcpStream, node: Arc<NodeShared>) {
    let peer = stream.peer_addr().ok();
    let _ = stream.set_nodelay(true);
    let (mut read_half, write_half) = tokio::io::split(stream);
    let (replies, queue) = mpsc::channel(PIPELINE_DEPTH_MAX);
    let writer = tokio::spawn(write_replies(write_half, queue, node.timeout_ms()));
    let mut session = Session::new(node.next_client_id(), peer);
    let limits = Limits::default();
    let mut buffer = BytesMut::with_capacity(READ_CHUNK_BYTES);
    'connection: loop {
        loop {
            match resp::decode_request(&mut buffer, &limits) {
                Ok(Some(request)) => {
                    let outcome = session.dispatch(request.args, &node);
                    if replies.send(outcome.reply).await.is_err() {
                        break 'connection;
                    }
                    if outcome.close_after {
                        let _ = replies.send(Pending::Close).await;
                        break 'connection;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    node.stats.count_protocol_error();
                    tracing::debug!(?peer, %error, "closing client connection after a protocol error");
                    let frame = Frame::error(format!("ERR {error}"));
                    let _ = replies.send(Pending::Frame(frame, session.protocol)).await;
                    let _ = replies.send(Pending::Close).await;
                    break 'connection;
                }
            }
        }
        buffer.reserve(READ_CHUNK_BYTES);
        match read_half.read_buf(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    drop(replies);
    let _ = writer.await;
    node.stats.count_disconnect();
}

/// Writes replies in queue order; batches ready replies into one write and flushes before waiting.
async fn write_replies(
    mut socket: WriteHalf<TcpStream>,
    mut queue: mpsc::Receiver<Pending>,
    timeout_ms: u64,
) {
    let mut out = BytesMut::with_capacity(WRITE_BATCH_BYTES_MAX);
    while let Some(pending) = queue.recv().await {
        let mut next = Some(pending);
        while let Some(pending) = next.take() {
            let close = matches!(pending, Pending::Close);
            if close || resolve(pending, &mut out, &mut socket, timeout_ms).await.is_err() {
                let _ = flush(&mut socket, &mut out).await;
                let _ = socket.shutdown().await;
                return;
            }
            if out.len() >= WRITE_BATCH_BYTES_MAX && flush(&mut socket, &mut out).await.is_err() {
                return;
            }
            next = queue.try_recv().ok();
        }
        if flush(&mut socket, &mut out).await.is_err() {
            return;
        }
    }
}

/// Appends one reply to `out`, waiting for it if needed. Before waiting, whatever is already in `out`
/// is written, so earlier replies are not held back by a slow one.
async fn resolve(
    pending: Pending,
    out: &mut BytesMut,
    socket: &mut WriteHalf<TcpStream>,
    timeout_ms: u64,
) -> std::io::Result<()> {
    match pending {
        Pending::Frame(frame, protocol) => resp::encode(&frame, protocol, out),
        Pending::Datastore(DatastoreReply::Ready(frame), protocol) => resp::encode(&frame, protocol, out),
        Pending::Datastore(DatastoreReply::Waiting(mut receiver), protocol) => {
            let result = match receiver.try_recv() {
                Ok(result) => result,
                Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Err(DatastoreError::ConnectionLost),
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {
                    flush(socket, out).await?;
                    match tokio::time::timeout(Duration::from_millis(timeout_ms), receiver).await {
                        Ok(Ok(result)) => result,
                        Ok(Err(_)) => Err(DatastoreError::ConnectionLost),
                        Err(_) => Err(DatastoreError::Timeout { timeout_ms }),
                    }
                }
            };
            match result {
                Ok(raw) => out.extend_from_slice(&raw),
                Err(error) => resp::encode(&error.to_frame(), protocol, out),
            }
        }
        Pending::Later(future, protocol) => {
            flush(socket, out).await?;
            match future.await {
                Reply::Frame(frame) => resp::encode(&frame, protocol, out),
                Reply::Raw(bytes) => out.extend_from_slice(&bytes),
            }
        }
        Pending::Close => {}
    }
    Ok(())
}

async fn flush(socket: &mut WriteHalf<TcpStream>, out: &mut BytesMut) -> std::io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    socket.write_all(out).await?;
    out.clear();
    socket.flush().await
}
