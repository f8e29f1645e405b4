//! Workload clients that behave like Netflix's Dyno client, and use the product the way applications
//! do: each lives on a client host in a datacenter, holds one or more connections (each with its own
//! consistency level), pipelines batches of seeded depth covering strings, counters, appends, expiry,
//! multi-key commands, hashes, sets and cluster SCAN, fails over to other racks (then datacenters)
//! when a node is unreachable, and records every request.
//!
//! - [`failover`]: the node preference order of one client (pure).
//! - [`choice`]: the seeded command mix, key families and unique values (pure).
//! - [`connection`]: one pipelining RESP connection over (simulated) TCP.
//! - [`client`]: the client loop that turns batches into recorded [`crate::history::Operation`]s.

pub mod choice;
pub mod client;
pub mod connection;
pub mod failover;

pub use choice::{all_keys, OperationChooser};
pub use client::{run_client, ClientPlan, NodeChoice, RetryPolicy};
pub use connection::{Connection, Exchange};
pub use failover::preference_order;
