//! # dynomite (the node)
//!
//! The production driver of dynomite-rs: tokio tasks that own the sockets and timers and feed
//! `dynomite-core`. Tokio is taken through madsim's drop-in (`madsim-tokio`), so the same code runs as
//! plain tokio in production and under the deterministic simulator when built with `--cfg madsim`.
//!
//! Layout:
//! - [`admin`]: admin HTTP on `stats_listen` (`/info`, `/cluster_describe`, consistency, ...).
//! - [`node`]: binds the listeners of one node and runs it until shutdown.
//! - [`client`]: one client connection: parses requests once, dispatches them, writes replies in
//!   request order even when the client pipelines.
//! - [`client_tls`]: the optional client TLS listener (`client_tls_listen`), reloadable on SIGHUP.
//! - [`coordinator`]: places a request on its replicas (token ring), gathers their replies at the
//!   consistency level, splits and merges multi-key commands, covers the rack for SCAN/KEYS/DBSIZE.
//! - [`crdt`]: CRDT mode: the node's hybrid logical clock and the rewrite of covered writes into the
//!   CRDT Lua scripts.
//! - [`read_repair`]: quorum reads that merge the replicas' CRDT states, answer with the merge and
//!   write it back to stale replicas.
//! - [`peer`]: links to other nodes (multiplexed, reconnecting, ejecting) and the peer listener.
//! - [`repair`]: background repair (change log and token ranges) and tombstone GC, in CRDT mode.
//! - [`session`]: commands the proxy answers itself (HELLO, CLIENT, SELECT, PING, QUIT, RESET, ...).
//! - [`datastore`]: the node's datastore: a pool of persistent connections to a real Redis, or the
//!   embedded engine of `dynomite-core`.
//! - [`embedded_server`]: the embedded engine as a stand-alone TCP datastore (the simulator's datastore
//!   hosts).
//! - [`metrics`]: lock-free latency and size histograms and request counters (`/info`, `/metrics`).
//! - [`log_level`]: the runtime log level (`/setloglevel/N`, `/loglevelup`, `/logleveldown`).
//! - `seeds`: the seed providers (`dyn_seed_provider: florida_provider | dns_provider`); production
//!   builds only.
//! - [`clock`]: the injected wall clock (the simulator skews it per node).
//! - [`retry`]: reconnect backoff and fail-fast queues shared by datastore and peer connections.
//! - [`cli`] and [`local`]: the command line and the one-command local cluster; [`status`]:
//!   `dynomite status`, the ring as a node's admin port shows it.

pub mod admin;
pub mod auth;
pub mod cli;
pub mod client;
pub mod client_tls;
pub mod clock;
pub mod coordinator;
pub mod counter;
pub mod crdt;
pub mod datastore;
pub mod embedded_server;
pub mod gossip;
pub mod local;
pub mod log_level;
pub mod metrics;
pub mod node;
pub mod peer;
pub mod read_repair;
pub mod repair;
pub mod retry;
#[cfg(not(madsim))]
pub mod seeds;
pub mod session;
pub mod status;
