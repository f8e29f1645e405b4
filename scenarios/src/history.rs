//! What workload clients record: every operation from invocation to its outcome.
//!
//! Times are milliseconds of one clock shared by every client (the simulator's true time, never a
//! skewed node clock), so "completed before invoked" compares real time across clients.

use bytes::Bytes;
use dynomite_core::config::Consistency;

/// Whether an operation reads or writes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// A read (`GET`).
    Read,
    /// A write (`SET`, or a delete when the written value is `None`).
    Write,
}

/// How an operation ended, as the client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The node answered with success.
    Ok {
        /// For reads, the value returned (`None` = nil); `None` for writes.
        value: Option<Bytes>,
        /// Node indexes of the replicas that acknowledged, when known; empty = not known.
        acknowledged_by: Vec<usize>,
    },
    /// The node answered with an error.
    Failed {
        /// The error text.
        error: String,
    },
    /// No answer (timeout, connection lost): the operation may or may not have taken effect.
    Indeterminate {
        /// Why the outcome is unknown.
        reason: String,
    },
}

/// One client operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Unique id within the history.
    pub id: u64,
    /// The client that issued it.
    pub client: usize,
    /// Read or write.
    pub kind: OpKind,
    /// The key.
    pub key: Bytes,
    /// For writes, the value written (`None` = delete); `None` for reads.
    pub value: Option<Bytes>,
    /// The consistency level the operation ran at.
    pub consistency: Consistency,
    /// When the client sent it, in ms of the shared clock.
    pub invoked_ms: u64,
    /// When the client got its outcome, in ms of the shared clock.
    pub completed_ms: u64,
    /// The node the client talked to (the coordinator).
    pub node: usize,
    /// How it ended.
    pub outcome: Outcome,
}

impl Operation {
    /// True when the outcome is `Ok`.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok { .. })
    }

    /// The value an `Ok` read returned (`Some(None)` = nil); `None` for writes and non-`Ok` reads.
    pub fn read_value(&self) -> Option<Option<&Bytes>> {
        match (&self.kind, &self.outcome) {
            (OpKind::Read, Outcome::Ok { value, .. }) => Some(value.as_ref()),
            _ => None,
        }
    }

    /// The acknowledging replicas of an `Ok` operation, when known (non-empty).
    pub fn acknowledgements(&self) -> Option<&[usize]> {
        match &self.outcome {
            Outcome::Ok { acknowledged_by, .. } if !acknowledged_by.is_empty() => Some(acknowledged_by),
            _ => None,
        }
    }
}

/// Every operation of one run, in any order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The operations.
    pub operations: Vec<Operation>,
}

impl History {
    /// A history of these operations.
    pub fn new(operations: Vec<Operation>) -> History {
        History { operations }
    }

    /// The writes to `key`, in recorded order.
    pub fn writes_to<'a>(&'a self, key: &'a Bytes) -> impl Iterator<Item = &'a Operation> + 'a {
        self.operations
            .iter()
            .filter(move |operation| operation.kind == OpKind::Write && operation.key == *key)
    }
}
