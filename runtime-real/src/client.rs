//! One client connection, served by one task.
//!
//! The task parses each request once with a resuming [`RequestDecoder`], dispatches it through the
//! [`Session`] (which hands everything the request does to replicas to their ordered queues before it
//! returns) and appends the reply *handle* to the connection's queue. Replies are written strictly in
//! queue order, so they leave in request order even when a pipelining client has many requests in
//! flight and the datastore answers them over different connections. Every reply that is ready is
//! batched into one write, and the batch is flushed before the task waits (for a slower reply or for
//! more input), so earlier replies are never held back by a slow one. While the head reply is not
//! ready the task keeps reading and dispatching requests, up to [`PIPELINE_DEPTH_MAX`] outstanding
//! replies: that bound is the pipeline limit, beyond which the socket is simply not read.
//!
//! An idle connection is kept lean (issue 7.7: at most 4 KiB of RSS each, measured by `ci/idle-conns`):
//! one task rather than a reader and a writer joined by a channel, a read buffer that starts small and
//! grows only while reads fill it, a write buffer and reply queue that grow with the batches. A busy
//! connection keeps what its bursts grew (so `reserve` reuses the read buffer instead of allocating a
//! large one per read); once it is quiet for [`IDLE_RELEASE_AFTER_MS`], it gives the memory back.
//!
//! The socket is divided with `tokio::io::split` rather than `TcpStream::into_split`, which madsim's
//! simulated stream does not have.
//!
//! Malformed input gets `-ERR Protocol error: ...` and then the connection closes (as in Redis: the
//! byte stream cannot be resynchronised). Nothing is dropped silently.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::resp::{self, Frame, Limits, RequestDecoder};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;

use crate::coordinator::Reply;
use crate::datastore::{DatastoreError, DatastoreReply};
use crate::metrics::{CallPlace, RequestClass, RequestOutcome};
use crate::node::NodeShared;
use crate::session::{Pending, Session};

/// Replies queued per connection before the socket is no longer read (the pipeline depth limit).
const PIPELINE_DEPTH_MAX: usize = 1024;
/// Bytes gathered before a write, when many replies are ready at once.
const WRITE_BATCH_BYTES_MAX: usize = 64 * 1024;
/// Write buffer capacity an idle connection keeps.
const WRITE_BUFFER_KEPT_BYTES_MAX: usize = 4 * 1024;
/// Smallest read (and the read buffer of an idle connection).
const READ_CHUNK_BYTES_MIN: usize = 512;
/// Largest read: reads double up to this while they fill the buffer (large requests, deep pipelines).
const READ_CHUNK_BYTES_MAX: usize = 16 * 1024;
/// Reply queue capacity an idle connection keeps.
const QUEUE_KEPT_CAPACITY_MAX: usize = 16;
/// A connection quiet for this long after a burst releases the buffers the burst grew.
const IDLE_RELEASE_AFTER_MS: u64 = 200;

/// Serves one accepted plain-text client connection until it closes.
pub async fn serve(stream: TcpStream, node: Arc<NodeShared>) {
    let peer = stream.peer_addr().ok();
    let _ = stream.set_nodelay(true);
    serve_stream(stream, peer, node).await;
}

/// Serves one admitted client connection over any byte stream (plain TCP, or TLS from
/// `client_tls_listen`) until it closes; `peer` is the client's address for `CLIENT INFO`.
pub async fn serve_stream<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: Option<SocketAddr>,
    node: Arc<NodeShared>,
) {
    let (reader, writer) = tokio::io::split(stream);
    let mut connection = Connection {
        session: Session::new(node.next_client_id(), peer),
        decoder: RequestDecoder::new(Limits::default()),
        input: BytesMut::new(),
        read_size: READ_CHUNK_BYTES_MIN,
        output: BytesMut::new(),
        queue: VecDeque::new(),
        marks: VecDeque::new(),
        head_deadline: None,
        input_open: true,
        closing: false,
        parsed_all: true,
        barrier: false,
    };
    connection.run(reader, writer, &node).await;
    node.stats.count_disconnect();
}

/// The state of one client connection.
struct Connection {
    session: Session,
    decoder: RequestDecoder,
    /// Bytes read and not yet parsed into requests.
    input: BytesMut,
    /// How many bytes the next read asks for.
    read_size: usize,
    /// Replies encoded and not yet written.
    output: BytesMut,
    /// Replies of dispatched requests, in request order.
    queue: VecDeque<Pending>,
    /// For each entry of `queue`, the request it answers (None for the close marker and protocol
    /// errors), for the request counters and the latency histogram.
    marks: VecDeque<Option<RequestMark>>,
    /// When the datastore reply at the head of the queue times out (set once the task waits for it).
    head_deadline: Option<tokio::time::Instant>,
    /// False once the client closed its side or a read failed. Requests read before that are still
    /// answered (a client may half-close after its last request), as Redis does.
    input_open: bool,
    /// True after QUIT or a protocol error: nothing more is parsed or read; the queue drains, then the
    /// connection closes.
    closing: bool,
    /// False when parsing stopped at the pipeline limit with complete requests possibly left in the input.
    parsed_all: bool,
    /// True after a request whose reply must be written before anything else is dispatched (a counter
    /// op, [`crate::counter`]): parsing waits until the queue is empty.
    barrier: bool,
}

/// A dispatched request, remembered until its reply is queued for writing.
#[derive(Debug, Clone, Copy)]
struct RequestMark {
    /// Read, write or other.
    class: RequestClass,
    /// When it was parsed, by the node's clock (µs).
    started_us: u64,
}

/// What the head of the reply queue did.
enum Step {
    /// Its reply was appended to the output; the next one is the head now.
    Written,
    /// The connection closes here (QUIT, protocol error).
    Close,
}

impl Connection {
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        mut reader: ReadHalf<S>,
        mut writer: WriteHalf<S>,
        node: &Arc<NodeShared>,
    ) {
        loop {
            self.dispatch_parsed(node);
            // Every reply that is ready now goes into one batch, in order.
            while let Some(head) = self.queue.front_mut() {
                let output = &mut self.output;
                let reply_start = output.len();
                match poll_fn(|cx| Poll::Ready(poll_reply(head, cx, output))).await {
                    Poll::Ready(Step::Written) => self.pop_head(node, reply_start),
                    Poll::Ready(Step::Close) => {
                        let _ = write_out(&mut writer, &mut self.output).await;
                        let _ = writer.shutdown().await;
                        return;
                    }
                    Poll::Pending => break,
                }
                if self.output.len() >= WRITE_BATCH_BYTES_MAX
                    && write_out(&mut writer, &mut self.output).await.is_err()
                {
                    return;
                }
            }
            // Flush before waiting.
            if write_out(&mut writer, &mut self.output).await.is_err() {
                return;
            }
            if self.queue.is_empty() {
                if !self.parsed_all {
                    continue;
                }
                if self.closing || !self.input_open {
                    let _ = writer.shutdown().await;
                    return;
                }
                if self.holds_spare_buffers() {
                    self.read_or_release(&mut reader).await;
                } else {
                    self.read(&mut reader).await;
                }
                continue;
            }
            self.wait(&mut reader, node).await;
        }
    }

    /// Parses and dispatches every complete request in the input, up to the pipeline limit.
    fn dispatch_parsed(&mut self, node: &Arc<NodeShared>) {
        self.parsed_all = false;
        while !self.closing {
            if self.barrier && !self.queue.is_empty() {
                return; // parsed_all stays false: the next round dispatches the rest
            }
            self.barrier = false;
            if self.queue.len() >= PIPELINE_DEPTH_MAX {
                return;
            }
            match self.decoder.decode(&mut self.input) {
                Ok(Some(request)) => {
                    let started_us = node.clock.now_us();
                    let outcome = self.session.dispatch(request.args, node);
                    node.metrics.client_queue_depth.record(self.queue.len() as u64);
                    self.queue.push_back(outcome.reply);
                    self.barrier = outcome.barrier;
                    self.marks.push_back(Some(RequestMark { class: outcome.class, started_us }));
                    if outcome.close_after {
                        self.queue.push_back(Pending::Close);
                        self.marks.push_back(None);
                        self.closing = true;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    node.stats.count_protocol_error();
                    let peer = self.session.peer;
                    tracing::debug!(?peer, %error, "closing client connection after a protocol error");
                    let frame = Frame::error(format!("ERR {error}"));
                    self.queue.push_back(Pending::Frame(frame, self.session.protocol));
                    self.queue.push_back(Pending::Close);
                    self.marks.extend([None, None]);
                    self.closing = true;
                }
            }
        }
        self.parsed_all = true;
        if self.closing {
            self.input = BytesMut::new();
        }
    }

    /// True when the connection keeps buffers larger than an idle one needs (after a burst of traffic).
    fn holds_spare_buffers(&self) -> bool {
        (self.input.is_empty() && self.input.capacity() > 2 * READ_CHUNK_BYTES_MIN)
            || self.output.capacity() > WRITE_BUFFER_KEPT_BYTES_MAX
            || self.queue.capacity() > QUEUE_KEPT_CAPACITY_MAX
    }

    /// Waits for input while keeping the buffers of a burst for the next one; if the connection stays
    /// quiet for [`IDLE_RELEASE_AFTER_MS`], releases them (an idle connection costs little memory) and
    /// returns without reading.
    async fn read_or_release<S: AsyncRead>(&mut self, reader: &mut ReadHalf<S>) {
        self.input.reserve(self.read_size);
        let room = self.input.capacity() - self.input.len();
        tokio::select! {
            biased;
            read = reader.read_buf(&mut self.input) => match read {
                Ok(0) | Err(_) => self.input_open = false,
                Ok(read) => self.adapt_read_size(read, room),
            },
            () = tokio::time::sleep(Duration::from_millis(IDLE_RELEASE_AFTER_MS)) => {
                if self.input.is_empty() {
                    // The requests keep what they sliced out of the old buffer.
                    self.input = BytesMut::new();
                }
                self.output = BytesMut::new();
                self.queue = VecDeque::new();
                self.marks = VecDeque::new();
                self.read_size = READ_CHUNK_BYTES_MIN;
            }
        }
    }

    /// Drops the head of the queue, whose reply was appended to the output at `reply_start`, and
    /// counts its request.
    fn pop_head(&mut self, node: &NodeShared, reply_start: usize) {
        let head = self.queue.pop_front();
        self.head_deadline = None;
        if let Some(Some(mark)) = self.marks.pop_front() {
            let outcome = RequestOutcome::of_reply(self.output.get(reply_start).copied());
            let latency_us = node.clock.now_us().saturating_sub(mark.started_us);
            node.metrics.count_request(mark.class, outcome, latency_us);
            // The fast path (the local datastore's reply is the answer) never passes the coordinator's
            // collection, so its datastore call is timed here.
            if matches!(head, Some(Pending::Datastore(..))) {
                node.metrics.record_call(CallPlace::Datastore, None, latency_us);
            }
        }
    }

    /// Reads once from the socket; on end of input or an error, stops reading.
    async fn read<S: AsyncRead>(&mut self, reader: &mut ReadHalf<S>) {
        self.input.reserve(self.read_size);
        let room = self.input.capacity() - self.input.len();
        match reader.read_buf(&mut self.input).await {
            Ok(0) | Err(_) => self.input_open = false,
            Ok(read) => self.adapt_read_size(read, room),
        }
    }

    /// Doubles the read size while reads fill the buffer, halves it while they use a quarter or less.
    fn adapt_read_size(&mut self, read: usize, room: usize) {
        if read >= room {
            self.read_size = (self.read_size * 2).min(READ_CHUNK_BYTES_MAX);
        } else if read <= self.read_size / 4 {
            self.read_size = (self.read_size / 2).max(READ_CHUNK_BYTES_MIN);
        }
    }

    /// Waits for the head reply (or its timeout) and, while there is room in the queue, for more input.
    async fn wait<S: AsyncRead>(&mut self, reader: &mut ReadHalf<S>, node: &NodeShared) {
        let waits_for_datastore =
            matches!(self.queue.front(), Some(Pending::Datastore(DatastoreReply::Waiting(_), _)));
        // Read each time: the admin port's timeout factor changes it at runtime.
        let timeout_ms = node.timeout_ms();
        let timeout = Duration::from_millis(timeout_ms);
        let deadline = if waits_for_datastore {
            *self.head_deadline.get_or_insert_with(|| tokio::time::Instant::now() + timeout)
        } else {
            tokio::time::Instant::now() + timeout
        };
        let may_read = self.input_open && !self.closing && self.queue.len() < PIPELINE_DEPTH_MAX;
        if may_read {
            self.input.reserve(self.read_size);
        }
        let room = self.input.capacity() - self.input.len();
        let Some(head) = self.queue.front_mut() else { return };
        let output = &mut self.output;
        let reply_start = output.len();
        let input = &mut self.input;
        tokio::select! {
            biased;
            step = poll_fn(|cx| poll_reply(head, cx, output)) => match step {
                Step::Written => self.pop_head(node, reply_start),
                // The next round writes what is batched and closes.
                Step::Close => {}
            },
            () = tokio::time::sleep_until(deadline), if waits_for_datastore => {
                let protocol = match head {
                    Pending::Datastore(_, protocol) => *protocol,
                    _ => self.session.protocol,
                };
                resp::encode(&DatastoreError::Timeout { timeout_ms }.to_frame(), protocol, output);
                self.pop_head(node, reply_start);
            }
            read = reader.read_buf(input), if may_read => match read {
                Ok(0) | Err(_) => self.input_open = false,
                Ok(read) => self.adapt_read_size(read, room),
            },
        }
    }
}

/// Appends the head reply to `out` if it is ready.
fn poll_reply(pending: &mut Pending, cx: &mut Context<'_>, out: &mut BytesMut) -> Poll<Step> {
    match pending {
        Pending::Frame(frame, protocol) => resp::encode(frame, *protocol, out),
        Pending::Datastore(DatastoreReply::Ready(frame), protocol) => resp::encode(frame, *protocol, out),
        Pending::Datastore(DatastoreReply::Waiting(receiver), protocol) => {
            let result = match Pin::new(receiver).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(result)) => result,
                Poll::Ready(Err(_)) => Err(DatastoreError::ConnectionLost),
            };
            match result {
                Ok(raw) => out.extend_from_slice(&raw),
                Err(error) => resp::encode(&error.to_frame(), *protocol, out),
            }
        }
        Pending::Later(future, protocol) => match future.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Reply::Frame(frame)) => resp::encode(&frame, *protocol, out),
            Poll::Ready(Reply::Raw(bytes)) => out.extend_from_slice(&bytes),
        },
        Pending::Close => return Poll::Ready(Step::Close),
    }
    Poll::Ready(Step::Written)
}

/// Writes and flushes what is batched.
async fn write_out<S: AsyncWrite>(socket: &mut WriteHalf<S>, out: &mut BytesMut) -> std::io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    socket.write_all(out).await?;
    out.clear();
    socket.flush().await
}
