//! # dynomite-sim
//!
//! The seeded deterministic simulator: a madsim deployment whose node hosts run the *same* node code as
//! the `dynomite` binary (core + driver compiled with `--cfg madsim`), each next to a datastore host
//! serving the embedded engine over simulated TCP. Virtual time; per-link latency classes (same rack,
//! cross rack, cross datacenter) added by the harness; per-node clock skew through the node's clock;
//! every random choice derived from one seed.
//!
//! - [`model`]: the shape, latency classes, seed, and the placement of every node (addresses, tokens).
//! - [`latency`]: the latency table drawn from the seed and the delaying peer-stream wrapper.
//! - [`skew_clock`]: the node clock whose offset the harness sets at runtime.
//! - [`node_config`]: each node's Dynomite YAML.
//! - `harness` (madsim only): `SimCluster` — build, kill, restart, isolate, skew, heal, read replicas.
//!
//! Build and test with `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir
//! target/sim`. Without the cfg only the plain-data modules compile.

pub mod error;
pub mod latency;
pub mod model;
pub mod node_config;
pub mod skew_clock;

// The harness creates madsim hosts, kills them and clogs links: that exists only in the simulator, so
// this is the one place the crate depends on `--cfg madsim`.
#[cfg(madsim)]
mod harness;

#[cfg(madsim)]
pub use harness::{
    command_once, ClusterDecisionObserver, LinkState, NodeHooks, RespClient, SimCluster, READY_TIMEOUT_MS,
    REQUEST_TIMEOUT_MS,
};

pub use dynomite::node::Node;
pub use dynomite_core::config::Consistency;
pub use error::{ClientError, ReadyError, ReplicaReadError};
pub use model::{AntiEntropy, LatencyClasses, NodeAddress, Shape, SimConfig};
