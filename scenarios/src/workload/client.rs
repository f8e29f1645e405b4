//! The client loop: a client holds one or more connections (each with its own consistency level),
//! sends pipelined batches of seeded depth on them, now and then runs a cluster SCAN, fails a
//! connection over to the next node in preference order when its node is unreachable or loses a
//! request, and records one [`Operation`] per request.
//!
//! Outcome rules: an error reply is `Failed`; a request whose reply never came (timeout, connection
//! lost) is `Indeterminate`; anything else is `Ok`. Requests are not retried: a retry would be a new
//! request, and the checkers judge each request where it ran.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use dynomite_core::config::Consistency;
use dynomite_core::resp::Frame;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

use super::choice::OperationChooser;
use super::connection::{Connection, Exchange};
use crate::history::{Command, Operation, Outcome};

/// SCAN COUNT hints a scan draws from (small ones page through each node).
const SCAN_COUNTS: [u64; 3] = [5, 20, 1000];
/// Most pages of one scan (a cursor that never ends is a failure the SCAN checker reports).
const SCAN_PAGES_MAX: usize = 64;
/// Pause after no node of the preference list could be reached.
const UNREACHABLE_PAUSE_MS: u64 = 200;

/// How a client behaves towards failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Bound on connecting and on each reply (above the node's 5 s `timeout`, so the node's own
    /// verdict arrives first).
    pub request_timeout_ms: u64,
    /// Successful batches on a fallback node before trying the home node again.
    pub home_recheck_batches: usize,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy { request_timeout_ms: 6_000, home_recheck_batches: 20 }
    }
}

/// One node a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeChoice {
    /// Node index.
    pub index: usize,
    /// Its client address.
    pub address: SocketAddr,
    /// Its datacenter (0-based).
    pub datacenter: usize,
}

/// Everything one client needs.
#[derive(Debug, Clone)]
pub struct ClientPlan {
    /// The client's number (unique in the run).
    pub client: usize,
    /// One consistency level per connection the client holds.
    pub levels: Vec<Consistency>,
    /// Nodes in preference order (see [`super::preference_order`]).
    pub nodes: Vec<NodeChoice>,
    /// The client's own seed.
    pub seed: u64,
    /// Deepest pipeline batch.
    pub depth_max: usize,
    /// Most batches.
    pub batches_max: usize,
    /// Chance in percent that a turn runs a cluster SCAN instead of a batch.
    pub scan_percent: u32,
    /// Pause between batches.
    pub think_time_ms: u64,
    /// No batch is sent at or after this time (ms since `start`).
    pub deadline_ms: u64,
    /// Failure behaviour.
    pub retry: RetryPolicy,
}

/// One connection slot: which node it is on and the open connection.
struct Slot {
    level: Consistency,
    position: usize,
    connection: Option<Connection>,
    /// Connection number of the open connection.
    number: u64,
    batches: u64,
    fallback_successes: usize,
}

/// Runs the client until its batch count or deadline; returns what it recorded. `start` is the shared
/// true-time origin of every `*_ms` field.
pub async fn run_client(plan: ClientPlan, start: Instant) -> Vec<Operation> {
    assert!(!plan.nodes.is_empty() && !plan.levels.is_empty(), "a client needs nodes and connections");
    let mut chooser =
        OperationChooser::new(ChaCha8Rng::seed_from_u64(plan.seed), plan.client, plan.levels.len());
    let mut slots: Vec<Slot> = plan
        .levels
        .iter()
        .map(|level| Slot {
            level: *level,
            position: 0,
            connection: None,
            number: 0,
            batches: 0,
            fallback_successes: 0,
        })
        .collect();
    let mut connections_opened = 0u64;
    let mut scans = 0u64;
    let mut operations = Vec::new();
    for _ in 0..plan.batches_max {
        if elapsed_ms(start) >= plan.deadline_ms {
            break;
        }
        let slot_index = chooser.rng().gen_range(0..slots.len());
        let slot = &mut slots[slot_index];
        if !open(&plan, slot, &mut connections_opened).await {
            tokio::time::sleep(Duration::from_millis(UNREACHABLE_PAUSE_MS)).await;
            continue;
        }
        let node = plan.nodes[slot.position];
        let recorded = if chooser.rng().gen_range(0..100) < plan.scan_percent {
            scans += 1;
            let count = SCAN_COUNTS[chooser.rng().gen_range(0..SCAN_COUNTS.len())];
            let scan_id = ((plan.client as u64) << 32) | scans;
            scan(&plan, slot, node.index, count, scan_id, start).await
        } else {
            let depth = chooser.rng().gen_range(1..=plan.depth_max);
            let commands: Vec<Command> =
                (0..depth).map(|_| chooser.next(slot_index, slot.level, node.datacenter)).collect();
            batch(&plan, slot, node.index, commands, start).await
        };
        after_batch(&plan, slot, &recorded);
        operations.extend(recorded);
        tokio::time::sleep(Duration::from_millis(plan.think_time_ms)).await;
    }
    operations
}

/// Makes sure the slot has a connection, trying each node once from its position. False when none
/// could be reached.
async fn open(plan: &ClientPlan, slot: &mut Slot, opened: &mut u64) -> bool {
    if slot.connection.as_ref().is_some_and(Connection::is_usable) {
        return true;
    }
    slot.connection = None;
    for _ in 0..plan.nodes.len() {
        let node = plan.nodes[slot.position];
        if let Ok(connection) =
            Connection::open(node.address, slot.level, plan.retry.request_timeout_ms).await
        {
            *opened += 1;
            slot.number = ((plan.client as u64) << 32) | *opened;
            slot.connection = Some(connection);
            slot.batches = 0;
            return true;
        }
        fail_over(plan, slot);
    }
    false
}

fn fail_over(plan: &ClientPlan, slot: &mut Slot) {
    slot.connection = None;
    slot.position = (slot.position + 1) % plan.nodes.len();
    slot.fallback_successes = 0;
}

/// After a batch: fail over when a request was lost or every request failed; go home after enough
/// successes on a fallback node.
fn after_batch(plan: &ClientPlan, slot: &mut Slot, recorded: &[Operation]) {
    slot.batches += 1;
    let lost = recorded.iter().any(|operation| matches!(operation.outcome, Outcome::Indeterminate(_)));
    let all_failed = !recorded.is_empty() && recorded.iter().all(|operation| !operation.is_ok());
    if lost || all_failed {
        fail_over(plan, slot);
        return;
    }
    if slot.position != 0 {
        slot.fallback_successes += 1;
        if slot.fallback_successes >= plan.retry.home_recheck_batches {
            slot.connection = None;
            slot.position = 0;
            slot.fallback_successes = 0;
        }
    }
}

/// Sends `commands` as one pipeline and records them.
async fn batch(
    plan: &ClientPlan,
    slot: &mut Slot,
    node: usize,
    commands: Vec<Command>,
    start: Instant,
) -> Vec<Operation> {
    let connection = slot.connection.as_mut().expect("opened before the batch");
    let requests: Vec<Vec<Bytes>> = commands.iter().map(Command::args).collect();
    let first_sequence = connection.sent() + 1;
    let invoked_ms = elapsed_ms(start);
    let exchanges = connection.pipeline(&requests).await;
    let connection_id = connection.id();
    commands
        .into_iter()
        .zip(exchanges)
        .enumerate()
        .map(|(position, (command, exchange))| {
            let (outcome, completed) = outcome_of(exchange);
            Operation {
                id: 0,
                client: plan.client,
                connection: slot.number,
                connection_id,
                sequence: first_sequence + position as u64,
                batch: slot.batches,
                position,
                node,
                consistency: slot.level,
                command,
                invoked_ms,
                completed_ms: since(start, completed),
                outcome,
                acknowledged_by: Vec::new(),
                timestamps: Vec::new(),
            }
        })
        .collect()
}

/// Runs one cluster SCAN page by page (each page its own batch) until the cursor is 0.
async fn scan(
    plan: &ClientPlan,
    slot: &mut Slot,
    node: usize,
    count: u64,
    scan_id: u64,
    start: Instant,
) -> Vec<Operation> {
    let mut cursor = Bytes::from_static(b"0");
    let mut pages = Vec::new();
    for _ in 0..SCAN_PAGES_MAX {
        let command = Command::Scan { cursor: cursor.clone(), count, scan: scan_id };
        let page = batch(plan, slot, node, vec![command], start).await;
        slot.batches += 1;
        let next = page.first().and_then(|operation| match operation.reply() {
            Some(Frame::Array(items)) => match items.first() {
                Some(Frame::Bulk(next)) => Some(next.clone()),
                _ => None,
            },
            _ => None,
        });
        pages.extend(page);
        match next {
            Some(next) if next.as_ref() != b"0" => cursor = next,
            _ => break,
        }
    }
    pages
}

fn outcome_of(exchange: Exchange) -> (Outcome, Instant) {
    match exchange {
        Exchange::Reply(Frame::Error(error), at) => {
            (Outcome::Failed(String::from_utf8_lossy(&error).into_owned()), at)
        }
        Exchange::Reply(frame, at) => (Outcome::Ok(frame), at),
        Exchange::Lost(reason, at) => (Outcome::Indeterminate(reason), at),
    }
}

fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn since(start: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(start).as_millis()).unwrap_or(u64::MAX)
}
