//! The client loop: invoke an operation, try nodes in preference order with bounded retries and
//! backoff, and record one [`Operation`] per invocation.
//!
//! Outcome rules: the first success is `Ok`. Otherwise, if any attempt may have executed (sent, then
//! the connection broke or timed out) the operation is `Indeterminate`; else it is `Failed` with the
//! last error (an error reply, or no node reachable).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use dynomite_core::config::Consistency;
use dynomite_core::resp::Frame;
use tokio::time::Instant;

use super::choice::{OperationChoice, OperationChooser};
use super::connection::{Connection, Exchange};
use crate::history::{OpKind, Operation, Outcome};

/// Most doublings of the backoff pause.
const BACKOFF_DOUBLINGS_MAX: usize = 6;

/// How a client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per operation that reach a node, each on the next node in preference order.
    pub attempts_max: usize,
    /// Pause before the second attempt; doubles for each further attempt.
    pub backoff_base_ms: u64,
    /// Bound on connecting and on each request (above the node's 5 s `timeout`, so the node's own
    /// verdict arrives first).
    pub request_timeout_ms: u64,
    /// Successful operations on a fallback node before trying the home node again.
    pub home_recheck_operations: usize,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts_max: 3,
            backoff_base_ms: 50,
            request_timeout_ms: 6_000,
            home_recheck_operations: 20,
        }
    }
}

/// Everything one client needs.
#[derive(Debug, Clone)]
pub struct ClientPlan {
    /// The client's number (unique in the run).
    pub client: usize,
    /// Its level for every read and write.
    pub consistency: Consistency,
    /// Nodes `(index, client address)` in preference order (see [`super::preference_order`]).
    pub nodes: Vec<(usize, SocketAddr)>,
    /// The client's own seed.
    pub seed: u64,
    /// Percentage of reads.
    pub read_percent: u8,
    /// Hot key set size.
    pub hot_keys: usize,
    /// Most operations.
    pub operations_max: usize,
    /// Pause between operations.
    pub think_time_ms: u64,
    /// No operation is invoked at or after this time (ms since `start`).
    pub deadline_ms: u64,
    /// Retry behaviour.
    pub retry: RetryPolicy,
}

/// Runs the client until its operation count or deadline; returns what it recorded. `start` is the
/// shared true-time origin of every client's `*_ms` fields.
pub async fn run_client(plan: ClientPlan, start: Instant) -> Vec<Operation> {
    assert!(!plan.nodes.is_empty(), "a client needs nodes");
    let mut chooser = OperationChooser::new(plan.seed, plan.client, plan.read_percent, plan.hot_keys);
    let mut state = ClientState { connection: None, position: 0, fallback_successes: 0 };
    let mut operations = Vec::with_capacity(plan.operations_max);
    for sequence in 0..plan.operations_max {
        if elapsed_ms(start) >= plan.deadline_ms {
            break;
        }
        let choice = chooser.next_operation();
        operations.push(perform(&plan, &mut state, choice, sequence as u64, start).await);
        tokio::time::sleep(Duration::from_millis(plan.think_time_ms)).await;
    }
    operations
}

/// Which node the client is on and its open connection.
struct ClientState {
    connection: Option<Connection>,
    position: usize,
    fallback_successes: usize,
}

impl ClientState {
    fn fail_over(&mut self, node_count: usize) {
        self.connection = None;
        self.position = (self.position + 1) % node_count;
        self.fallback_successes = 0;
    }

    fn succeeded(&mut self, plan: &ClientPlan) {
        if self.position == 0 {
            return;
        }
        self.fallback_successes += 1;
        if self.fallback_successes >= plan.retry.home_recheck_operations {
            self.connection = None;
            self.position = 0;
            self.fallback_successes = 0;
        }
    }
}

async fn perform(
    plan: &ClientPlan,
    state: &mut ClientState,
    choice: OperationChoice,
    sequence: u64,
    start: Instant,
) -> Operation {
    let invoked_ms = elapsed_ms(start);
    let (kind, key, value, args) = match choice {
        OperationChoice::Read { key } => {
            (OpKind::Read, key.clone(), None, vec![Bytes::from_static(b"GET"), key])
        }
        OperationChoice::Write { key, value } => {
            let args = vec![Bytes::from_static(b"SET"), key.clone(), value.clone()];
            (OpKind::Write, key, Some(value), args)
        }
    };
    let mut node = plan.nodes[state.position].0;
    let mut lost: Option<String> = None;
    let mut last_error = String::new();
    let mut outcome = None;
    // Unreachable nodes are skipped without using up an attempt (Dyno marks them down), so a client
    // whose whole rack or datacenter is gone still reaches the others; every node at most once more.
    let mut attempts = 0;
    for _ in 0..plan.retry.attempts_max + plan.nodes.len() {
        if attempts == plan.retry.attempts_max {
            break;
        }
        node = plan.nodes[state.position].0;
        match attempt_once(plan, state, kind, &args).await {
            Attempt::Done(result) => {
                state.succeeded(plan);
                outcome = Some(result);
                break;
            }
            Attempt::Unreachable(error) => last_error = error,
            Attempt::Rejected(error) => {
                last_error = error;
                attempts += 1;
                backoff(plan, attempts).await;
            }
            Attempt::Lost(reason) => {
                lost = Some(reason);
                attempts += 1;
                backoff(plan, attempts).await;
            }
        }
        state.fail_over(plan.nodes.len());
    }
    let outcome = outcome.unwrap_or_else(|| match lost {
        Some(reason) => Outcome::Indeterminate { reason },
        None => Outcome::Failed { error: last_error },
    });
    Operation {
        id: ((plan.client as u64) << 32) | sequence,
        client: plan.client,
        kind,
        key,
        value,
        consistency: plan.consistency,
        invoked_ms,
        completed_ms: elapsed_ms(start),
        node,
        outcome,
    }
}

/// Pause after the `attempts`-th failed attempt: the base, doubling each time.
async fn backoff(plan: &ClientPlan, attempts: usize) {
    let pause = plan.retry.backoff_base_ms << (attempts - 1).min(BACKOFF_DOUBLINGS_MAX);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

/// How one attempt on one node went.
enum Attempt {
    /// Success: the outcome to record.
    Done(Outcome),
    /// No connection to the node: nothing was sent.
    Unreachable(String),
    /// The node answered with an error (or an unexpected reply).
    Rejected(String),
    /// Sent, then no reply: may have executed.
    Lost(String),
}

async fn attempt_once(plan: &ClientPlan, state: &mut ClientState, kind: OpKind, args: &[Bytes]) -> Attempt {
    if state.connection.is_none() {
        let address = plan.nodes[state.position].1;
        match Connection::open(address, plan.consistency, plan.retry.request_timeout_ms).await {
            Ok(connection) => state.connection = Some(connection),
            Err(error) => return Attempt::Unreachable(error),
        }
    }
    let connection = state.connection.as_mut().expect("connection opened above");
    match connection.request(args).await {
        Exchange::Reply(frame) => interpret(kind, frame),
        Exchange::NotSent(error) => Attempt::Unreachable(error),
        Exchange::Lost(reason) => Attempt::Lost(reason),
    }
}

fn interpret(kind: OpKind, frame: Frame) -> Attempt {
    let ok = |value| Attempt::Done(Outcome::Ok { value, acknowledged_by: Vec::new() });
    match (kind, frame) {
        (OpKind::Read, Frame::Bulk(value)) => ok(Some(value)),
        (OpKind::Read, Frame::Null) => ok(None),
        (OpKind::Write, Frame::Simple(text)) if text.as_ref() == b"OK" => ok(None),
        (_, Frame::Error(error)) => Attempt::Rejected(String::from_utf8_lossy(&error).into_owned()),
        (_, other) => Attempt::Rejected(format!("unexpected reply {other:?}")),
    }
}

fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
