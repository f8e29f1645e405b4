//! The node's datastore: a real Redis reached over a small pool of persistent, pipelined TCP
//! connections, or the embedded engine of `dynomite-core` in process.
//!
//! Redis connections speak our own RESP codec (no third-party client: those use real tokio internally
//! and would escape the simulator). Each connection slot is a task that owns its socket:
//! - requests arrive on a bounded channel; the slot writes them in batches and flushes after every
//!   batch (madsim's TCP buffers until `flush`);
//! - a reader task matches replies to requests in FIFO order (Redis answers in order);
//! - when the datastore is down, requests fail at once with `Storage: Datastore refused connection`
//!   and the slot reconnects on later requests with capped exponential backoff. The node never exits
//!   because its datastore died.
//!
//! Connections are kept per protocol version: a RESP3 client's requests travel over connections that
//! sent `HELLO 3`, so Redis's reply bytes are already in the client's protocol and are forwarded as
//! they are, without re-encoding.
//!
//! **Preloaded scripts** (CRDT mode, [`ScriptSet`]). Every Redis connection sends `SCRIPT LOAD` of each
//! script of the set (pipelined, in order) right after its handshake and before any request, and the
//! embedded engine loads them when it is created, so the coordinator's `EVALSHA <sha1> ...` finds them.
//! Should a script be missing anyway (someone ran `SCRIPT FLUSH`, or Redis restarted behind an open
//! connection), an `EVALSHA` of a script of the set that gets `-NOSCRIPT` is sent again as
//! `EVAL <script text> ...` on the same connection, answering the original request. The retry is
//! written when the `NOSCRIPT` reply is read, so requests that were already written behind the
//! `EVALSHA` on that connection run before it: after a `SCRIPT FLUSH`, a write may take effect after a
//! later request of the same key (the CRDT merge makes replicas agree whatever the order; a read
//! pipelined right behind the write may miss it). That is the only reordering this module allows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dynomite_core::resp::{self, Frame, FrameDecoder, Limits, Protocol};
use dynomite_core::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::clock::SharedClock;
use crate::retry::{fail_requests_for, Backoff};

/// Requests queued for one connection slot before callers wait.
const SLOT_QUEUE_MAX: usize = 1024;
/// Requests written to one Redis connection whose replies have not arrived yet.
const IN_FLIGHT_MAX: usize = 4096;
/// Bytes of requests gathered into one write before flushing.
const WRITE_BATCH_BYTES_MAX: usize = 256 * 1024;
/// First reconnect delay after a failed connect.
const RECONNECT_BACKOFF_MIN_MS: u64 = 50;
/// Cap of the reconnect delay (doubling from the minimum).
const RECONNECT_BACKOFF_MAX_MS: u64 = 2_000;
/// Time allowed for TCP connect plus the HELLO/AUTH handshake.
const CONNECT_TIMEOUT_MS: u64 = 2_000;
/// Bytes read from a socket per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// `EVAL` retries (after `NOSCRIPT`) waiting to be written on one connection.
const SCRIPT_RETRIES_MAX: usize = 1024;

/// Lua scripts every datastore connection loads before its first request, by SHA1 (hex, lowercase):
/// the CRDT scripts in CRDT mode, none otherwise. See the module docs. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct ScriptSet {
    inner: Arc<Scripts>,
}

#[derive(Debug, Default)]
struct Scripts {
    /// SHA1 → script text.
    by_sha1: BTreeMap<Bytes, Bytes>,
    /// The texts in load order.
    order: Vec<Bytes>,
}

impl ScriptSet {
    /// A set of `(sha1 hex, text)` pairs, loaded in this order.
    pub fn new(scripts: impl IntoIterator<Item = (Bytes, Bytes)>) -> ScriptSet {
        let mut set = Scripts::default();
        for (sha1, text) in scripts {
            let sha1 = Bytes::from(sha1.to_ascii_lowercase());
            if set.by_sha1.insert(sha1, text.clone()).is_none() {
                set.order.push(text);
            }
        }
        ScriptSet { inner: Arc::new(set) }
    }

    /// True when there is nothing to load.
    pub fn is_empty(&self) -> bool {
        self.inner.order.is_empty()
    }

    /// The `SCRIPT LOAD` requests, in load order.
    fn load_requests(&self) -> impl Iterator<Item = [Bytes; 3]> + '_ {
        self.inner
            .order
            .iter()
            .map(|text| [Bytes::from_static(b"SCRIPT"), Bytes::from_static(b"LOAD"), text.clone()])
    }

    /// For `EVALSHA <sha1 of a script of the set> rest...`: the same request as `EVAL <text> rest...`.
    pub fn eval_fallback(&self, args: &[Bytes]) -> Option<Vec<Bytes>> {
        let [name, sha1, rest @ ..] = args else { return None };
        if !name.eq_ignore_ascii_case(b"EVALSHA") {
            return None;
        }
        let text = self.inner.by_sha1.get(&sha1.to_ascii_lowercase()[..])?;
        let mut eval = Vec::with_capacity(args.len());
        eval.push(Bytes::from_static(b"EVAL"));
        eval.push(text.clone());
        eval.extend_from_slice(rest);
        Some(eval)
    }
}

/// True when a raw reply (either protocol) is Redis's `NOSCRIPT` error.
fn is_noscript(raw: &[u8]) -> bool {
    raw.starts_with(b"-NOSCRIPT") || (raw.first() == Some(&b'!') && contains(raw, b"NOSCRIPT"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Why a datastore request failed. Shown to clients as `-ERR Storage: <text>` (C Dynomite's prefix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatastoreError {
    /// The datastore is down or refused the TCP connection (C Dynomite's text).
    #[error("Datastore refused connection")]
    Refused,
    /// The connection broke after the request was sent; it may or may not have been applied.
    #[error("Connection to datastore lost before it replied")]
    ConnectionLost,
    /// No reply within the configured `timeout`.
    #[error("Datastore did not reply within {timeout_ms} ms")]
    Timeout {
        /// The configured `timeout`.
        timeout_ms: u64,
    },
    /// The node is shutting down.
    #[error("Datastore connection is shutting down")]
    ShuttingDown,
}

impl DatastoreError {
    /// The error as the RESP error a client receives.
    pub fn to_frame(&self) -> Frame {
        Frame::error(format!("ERR Storage: {self}"))
    }
}

/// A reply that is either ready now or will come from a Redis connection.
pub enum DatastoreReply {
    /// Answered at once (embedded engine, or a request that failed fast).
    Ready(Frame),
    /// Raw reply bytes, already in the protocol of the request, arriving later.
    Waiting(oneshot::Receiver<Result<Bytes, DatastoreError>>),
}

/// Where the node keeps its data.
pub enum Datastore {
    /// A real Redis server.
    Redis(RedisPool),
    /// The embedded engine, in process.
    Embedded(EmbeddedStore),
}

impl Datastore {
    /// Queues one command (`args[0]` is its name) on the connection chosen by `shard` (the key's order
    /// shard or token, see [`pool_slot`](dynomite_core::request::pool_slot): one key's requests share
    /// one ordered connection) and returns its reply or a handle to it.
    pub fn call(&self, args: &[Bytes], protocol: Protocol, shard: u32) -> DatastoreReply {
        match self {
            Datastore::Redis(pool) => pool.call(args, protocol, shard),
            Datastore::Embedded(store) => DatastoreReply::Ready(store.execute(args, protocol)),
        }
    }

    /// A short name for logs and INFO.
    pub fn kind(&self) -> &'static str {
        match self {
            Datastore::Redis(_) => "redis",
            Datastore::Embedded(_) => "embedded",
        }
    }
}

/// The embedded engine shared by the node's client connections.
///
/// A mutex is fine here: each command is a short in-memory operation, and this is the driver, not core.
pub struct EmbeddedStore {
    /// Boxed: the engine (with its Lua state) is much larger than the Redis pool.
    store: Mutex<Box<Store>>,
    clock: SharedClock,
    scripts: ScriptSet,
}

impl EmbeddedStore {
    /// An empty store reading time from `clock`.
    pub fn new(clock: SharedClock) -> EmbeddedStore {
        EmbeddedStore::with_scripts(clock, ScriptSet::default())
    }

    /// An empty store that has loaded `scripts` (`SCRIPT LOAD` of each, in order), and runs an
    /// `EVALSHA` of one of them as `EVAL` should it answer `NOSCRIPT` (after a `SCRIPT FLUSH`).
    pub fn with_scripts(clock: SharedClock, scripts: ScriptSet) -> EmbeddedStore {
        let embedded = EmbeddedStore { store: Mutex::new(Box::new(Store::new())), clock, scripts };
        for request in embedded.scripts.load_requests() {
            if let Frame::Error(text) = embedded.execute(&request, Protocol::Resp2) {
                tracing::warn!(error = %String::from_utf8_lossy(&text), "embedded datastore: SCRIPT LOAD failed");
            }
        }
        embedded
    }

    /// Executes one command at the clock's current time.
    pub fn execute(&self, args: &[Bytes], protocol: Protocol) -> Frame {
        let now_ms = self.clock.now_ms();
        let mut store = self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let reply = store.execute(args, now_ms, protocol);
        match (&reply, self.scripts.eval_fallback(args)) {
            (Frame::Error(text), Some(eval)) if text.starts_with(b"NOSCRIPT") => {
                store.execute(&eval, now_ms, protocol)
            }
            _ => reply,
        }
    }

    /// Active expiry: removes up to `max_keys` expired keys; returns how many were removed.
    pub fn expire_some(&self, max_keys: usize) -> usize {
        let now_ms = self.clock.now_ms();
        let mut store = self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        store.expire_some(now_ms, max_keys)
    }
}

/// How to reach and log in to a Redis server.
#[derive(Debug, Clone)]
pub struct RedisTarget {
    /// `host:port` of the server.
    pub address: String,
    /// Password sent with `AUTH` (or `HELLO ... AUTH default`) on connect, if the server needs one.
    pub password: Option<String>,
    /// Connect at startup instead of on the first request (`preconnect`).
    pub preconnect: bool,
    /// Scripts each connection loads before its first request.
    pub scripts: ScriptSet,
}

/// A fixed set of connection slots per protocol version. A request takes the slot of its order shard
/// ([`pool_slot`](dynomite_core::request::pool_slot): the key's token modulo 64, modulo the pool
/// size), never the next one round-robin: Redis applies one connection's requests in order, so two
/// requests of one key keep their order only on one connection, and the keys of one multi-key
/// fragment (split by order shard, see the coordinator) travel on one connection too.
pub struct RedisPool {
    resp2: Vec<mpsc::Sender<SlotRequest>>,
    resp3: Vec<mpsc::Sender<SlotRequest>>,
    /// Round-robin position, used only by the PoolRoundRobin mutant (simulation build).
    next: AtomicUsize,
    /// The scripts the connections load (for the `NOSCRIPT` fallback).
    scripts: ScriptSet,
}

struct SlotRequest {
    encoded: Bytes,
    reply: oneshot::Sender<Result<Bytes, DatastoreError>>,
    /// The request as `EVAL`, sent instead when the `EVALSHA` answers `NOSCRIPT`.
    fallback: Option<Bytes>,
}

/// A written request awaiting its reply on one connection.
struct InFlight {
    reply: oneshot::Sender<Result<Bytes, DatastoreError>>,
    fallback: Option<Bytes>,
}

impl RedisPool {
    /// Starts `connections` slots for each protocol version (the RESP3 slots connect on first use).
    pub fn start(target: RedisTarget, connections: usize) -> RedisPool {
        let connections = connections.max(1);
        let target = Arc::new(target);
        let spawn_slots = |protocol: Protocol, preconnect: bool| {
            (0..connections)
                .map(|_| {
                    let (sender, receiver) = mpsc::channel(SLOT_QUEUE_MAX);
                    let slot = Slot { target: target.clone(), protocol, preconnect };
                    tokio::spawn(slot.run(receiver));
                    sender
                })
                .collect()
        };
        RedisPool {
            resp2: spawn_slots(Protocol::Resp2, target.preconnect),
            resp3: spawn_slots(Protocol::Resp3, false),
            next: AtomicUsize::new(0),
            scripts: target.scripts.clone(),
        }
    }

    fn call(&self, args: &[Bytes], protocol: Protocol, shard: u32) -> DatastoreReply {
        let slots = match protocol {
            Protocol::Resp2 => &self.resp2,
            Protocol::Resp3 => &self.resp3,
        };
        let index = if dynomite_core::mutant!(PoolRoundRobin) {
            // Mutant PoolRoundRobin: two requests of one key may take different connections and swap.
            self.next.fetch_add(1, Ordering::Relaxed) % slots.len()
        } else {
            dynomite_core::request::pool_slot(shard, slots.len())
        };
        let mut encoded = BytesMut::new();
        resp::encode_request(args, &mut encoded);
        let (reply, receiver) = oneshot::channel();
        let fallback = self.scripts.eval_fallback(args).map(|eval| {
            let mut encoded = BytesMut::new();
            resp::encode_request(&eval, &mut encoded);
            encoded.freeze()
        });
        match slots[index].try_send(SlotRequest { encoded: encoded.freeze(), reply, fallback }) {
            Ok(()) => DatastoreReply::Waiting(receiver),
            Err(mpsc::error::TrySendError::Full(_)) => DatastoreReply::Ready(Frame::error(
                "ERR Storage: Datastore queue is full; retry later".to_string(),
            )),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                DatastoreReply::Ready(DatastoreError::ShuttingDown.to_frame())
            }
        }
    }
}

/// One persistent connection slot: connects, reconnects, and pipelines requests.
struct Slot {
    target: Arc<RedisTarget>,
    protocol: Protocol,
    preconnect: bool,
}

impl Slot {
    async fn run(self, mut requests: mpsc::Receiver<SlotRequest>) {
        let mut backoff = Backoff::new(RECONNECT_BACKOFF_MIN_MS, RECONNECT_BACKOFF_MAX_MS);
        let mut first: Option<SlotRequest> = None;
        let mut connect_now = self.preconnect;
        loop {
            if !connect_now && first.is_none() {
                match requests.recv().await {
                    Some(request) => first = Some(request),
                    None => return,
                }
            }
            connect_now = false;
            match self.connect().await {
                Ok(stream) => {
                    if backoff.is_backing_off() {
                        tracing::info!(address = %self.target.address, "datastore connection restored");
                    }
                    backoff.reset();
                    if !pipeline(stream, first.take(), &mut requests).await {
                        return;
                    }
                    tracing::warn!(address = %self.target.address, "datastore connection lost");
                }
                Err(error) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(address = %self.target.address, %error, ?delay, "datastore connect failed");
                    if let Some(request) = first.take() {
                        let _ = request.reply.send(Err(DatastoreError::Refused));
                    }
                    let refuse = |request: SlotRequest| {
                        let _ = request.reply.send(Err(DatastoreError::Refused));
                    };
                    if !fail_requests_for(delay, &mut requests, refuse).await {
                        return;
                    }
                }
            }
        }
    }

    /// TCP connect plus the handshake that sets the protocol and logs in.
    async fn connect(&self) -> std::io::Result<TcpStream> {
        let connecting = async {
            let mut stream = TcpStream::connect(self.target.address.as_str()).await?;
            stream.set_nodelay(true)?;
            if let Some(handshake) = self.handshake() {
                let mut out = BytesMut::new();
                resp::encode_request(&handshake, &mut out);
                stream.write_all(&out).await?;
                stream.flush().await?;
                let reply = read_one_frame(&mut stream).await?;
                if let Frame::Error(text) = reply {
                    let text = String::from_utf8_lossy(&text).into_owned();
                    return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, text));
                }
            }
            self.load_scripts(&mut stream).await?;
            Ok(stream)
        };
        match tokio::time::timeout(Duration::from_millis(CONNECT_TIMEOUT_MS), connecting).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")),
        }
    }

    /// `SCRIPT LOAD` of every script of the set, pipelined in one write, before any request. A script
    /// the datastore refuses is logged; its `EVALSHA` will then fall back to `EVAL` and show the error.
    async fn load_scripts(&self, stream: &mut TcpStream) -> std::io::Result<()> {
        let scripts = &self.target.scripts;
        if scripts.is_empty() {
            return Ok(());
        }
        let mut out = BytesMut::new();
        let mut count = 0;
        for request in scripts.load_requests() {
            resp::encode_request(&request, &mut out);
            count += 1;
        }
        stream.write_all(&out).await?;
        stream.flush().await?;
        let mut buffer = BytesMut::with_capacity(1024);
        for _ in 0..count {
            if let Frame::Error(text) = read_frame(stream, &mut buffer).await? {
                tracing::warn!(
                    address = %self.target.address,
                    error = %String::from_utf8_lossy(&text),
                    "datastore refused SCRIPT LOAD"
                );
            }
        }
        Ok(())
    }

    fn handshake(&self) -> Option<Vec<Bytes>> {
        let password = self.target.password.as_deref();
        match (self.protocol, password) {
            (Protocol::Resp2, None) => None,
            (Protocol::Resp2, Some(password)) => {
                Some(vec![Bytes::from_static(b"AUTH"), Bytes::from(password.to_string())])
            }
            (Protocol::Resp3, None) => Some(vec![Bytes::from_static(b"HELLO"), Bytes::from_static(b"3")]),
            (Protocol::Resp3, Some(password)) => Some(vec![
                Bytes::from_static(b"HELLO"),
                Bytes::from_static(b"3"),
                Bytes::from_static(b"AUTH"),
                Bytes::from_static(b"default"),
                Bytes::from(password.to_string()),
            ]),
        }
    }
}

/// Reads exactly one reply frame during the handshake.
async fn read_one_frame(stream: &mut TcpStream) -> std::io::Result<Frame> {
    let mut buffer = BytesMut::with_capacity(1024);
    read_frame(stream, &mut buffer).await
}

/// Reads the next reply frame, keeping bytes of later frames in `buffer` (nothing is pipelined behind
/// the handshake and the script loads, so nothing is left over).
async fn read_frame(stream: &mut TcpStream, buffer: &mut BytesMut) -> std::io::Result<Frame> {
    let limits = Limits::default();
    loop {
        match resp::decode_frame(buffer, &limits) {
            Ok(Some((frame, _raw))) => return Ok(frame),
            Ok(None) => {}
            Err(error) => {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string()))
            }
        }
        if stream.read_buf(buffer).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// Runs one connection until it breaks (returns true: reconnect) or the pool is dropped (false).
async fn pipeline(
    stream: TcpStream,
    mut first: Option<SlotRequest>,
    requests: &mut mpsc::Receiver<SlotRequest>,
) -> bool {
    let (read_half, mut write_half) = tokio::io::split(stream);
    let (pending_sender, pending_receiver) = mpsc::channel(IN_FLIGHT_MAX);
    let (retry_sender, mut retries) = mpsc::channel(SCRIPT_RETRIES_MAX);
    let mut reader = tokio::spawn(match_replies(read_half, pending_receiver, retry_sender));
    let mut batch = BytesMut::with_capacity(16 * 1024);
    let keep_running = loop {
        let request = match first.take() {
            Some(request) => request,
            None => tokio::select! {
                biased;
                _ = &mut reader => break true,
                retry = retries.recv() => match retry {
                    Some(retry) => retry,
                    None => break true,
                },
                request = requests.recv() => match request {
                    Some(request) => request,
                    None => break false,
                },
            },
        };
        batch.clear();
        if !enqueue(request, &mut batch, &pending_sender).await {
            break true;
        }
        while batch.len() < WRITE_BATCH_BYTES_MAX {
            match requests.try_recv() {
                Ok(request) => {
                    if !enqueue(request, &mut batch, &pending_sender).await {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        if write_batch(&mut write_half, &batch).await.is_err() {
            break true;
        }
    };
    reader.abort();
    keep_running
}

/// Registers the reply slot (before the bytes go out, so a reply never beats its slot) and appends the
/// request to the batch. False when the connection's reader is gone.
async fn enqueue(request: SlotRequest, batch: &mut BytesMut, pending: &mpsc::Sender<InFlight>) -> bool {
    batch.extend_from_slice(&request.encoded);
    pending.send(InFlight { reply: request.reply, fallback: request.fallback }).await.is_ok()
}

async fn write_batch(write_half: &mut WriteHalf<TcpStream>, batch: &[u8]) -> std::io::Result<()> {
    write_half.write_all(batch).await?;
    write_half.flush().await
}

/// Reads replies and hands each to the oldest waiting request. Dropping the remaining reply slots on
/// exit tells their callers the connection was lost. A `NOSCRIPT` reply to a request with an `EVAL`
/// fallback sends the fallback back to the writer (see the module docs) instead of answering.
async fn match_replies(
    mut read_half: ReadHalf<TcpStream>,
    mut pending: mpsc::Receiver<InFlight>,
    retries: mpsc::Sender<SlotRequest>,
) {
    let mut decoder = FrameDecoder::new(Limits::default());
    let mut buffer = BytesMut::with_capacity(READ_CHUNK_BYTES);
    loop {
        loop {
            match decoder.decode_raw(&mut buffer) {
                Ok(Some(raw)) => {
                    if raw.first() == Some(&b'>') {
                        continue; // out-of-band push (we never subscribe or track): not a reply
                    }
                    match pending.recv().await {
                        Some(InFlight { reply, fallback: Some(eval) }) if is_noscript(&raw) => {
                            let retry = SlotRequest { encoded: eval, reply, fallback: None };
                            if let Err(
                                mpsc::error::TrySendError::Full(retry)
                                | mpsc::error::TrySendError::Closed(retry),
                            ) = retries.try_send(retry)
                            {
                                let _ = retry.reply.send(Ok(raw));
                            }
                        }
                        Some(InFlight { reply, .. }) => {
                            let _ = reply.send(Ok(raw));
                        }
                        None => return,
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::error!(%error, "datastore sent an unparsable reply; closing its connection");
                    return;
                }
            }
        }
        buffer.reserve(READ_CHUNK_BYTES);
        match read_half.read_buf(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
    }

    #[test]
    fn evalsha_of_a_known_script_falls_back_to_eval() {
        let set = ScriptSet::new([(Bytes::from("ABC123"), Bytes::from("return 1"))]);
        assert_eq!(
            set.eval_fallback(&args(&["evalsha", "abc123", "1", "k", "v"])),
            Some(args(&["EVAL", "return 1", "1", "k", "v"]))
        );
        assert_eq!(set.eval_fallback(&args(&["EVALSHA", "ffff", "0"])), None);
        assert_eq!(set.eval_fallback(&args(&["GET", "abc123"])), None);
        assert!(is_noscript(b"-NOSCRIPT No matching script. Please use EVAL.\r\n"));
        assert!(!is_noscript(b"-ERR other\r\n"));
    }

    #[test]
    fn embedded_store_loads_its_scripts_and_survives_a_script_flush() {
        let text = "return redis.call('SET', KEYS[1], ARGV[1])";
        let sha1 = dynomite_core::crdt::scripts::sha1_hex(text);
        let set = ScriptSet::new([(Bytes::from(sha1.clone()), Bytes::from(text))]);
        let store = EmbeddedStore::with_scripts(Arc::new(SystemClock), set);
        let evalsha = args(&["EVALSHA", &sha1, "1", "k", "v1"]);
        assert_eq!(store.execute(&evalsha, Protocol::Resp2), Frame::ok());
        assert_eq!(store.execute(&args(&["SCRIPT", "FLUSH"]), Protocol::Resp2), Frame::ok());
        let evalsha = args(&["EVALSHA", &sha1, "1", "k", "v2"]);
        assert_eq!(store.execute(&evalsha, Protocol::Resp2), Frame::ok());
        assert_eq!(store.execute(&args(&["GET", "k"]), Protocol::Resp2), Frame::Bulk(Bytes::from("v2")));
    }
}
