//! # dynomite-core
//!
//! Everything that decides, nothing that waits. This crate holds the protocol logic of dynomite-rs as
//! deterministic, synchronous code: the RESP codec ([`resp`]), the typed Redis command table
//! ([`command`]), the Dynomite-compatible configuration model ([`config`]) and the embedded
//! Redis-compatible datastore engine ([`store`]).
//!
//! Rules that keep it replayable in the simulator (checked by `ci/tidy`):
//! - no sockets, no async, no OS clock (`Instant::now`, `SystemTime::now`) and no OS randomness; time
//!   arrives as an argument (`now_ms`) and randomness as a seeded generator;
//! - no iteration over default-hasher `HashMap`/`HashSet` (use `BTreeMap`/`Vec`).

pub mod cluster;
pub mod command;
pub mod config;
pub mod crdt;
pub mod gossip;
pub mod mutants;
pub mod peer;
pub mod request;
pub mod resp;
pub mod ring;
pub mod store;
