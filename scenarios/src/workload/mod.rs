//! Workload clients that behave like Netflix's Dyno client: each lives on a client host in a
//! datacenter, prefers a node of its home rack, fails over to the other racks (then other datacenters)
//! on error or timeout with bounded retries and backoff, and records every operation it invokes.
//!
//! - [`failover`]: the node preference order of one client (pure).
//! - [`choice`]: the seeded read/write mix, hot keys and unique values (pure).
//! - [`connection`]: one RESP connection over (simulated) TCP that tells "not sent" from "lost".
//! - [`client`]: the client loop that turns attempts into recorded [`crate::history::Operation`]s.

pub mod choice;
pub mod client;
pub mod connection;
pub mod failover;

pub use choice::{OperationChoice, OperationChooser};
pub use client::{run_client, ClientPlan, RetryPolicy};
pub use connection::{Connection, Exchange};
pub use failover::preference_order;
