//! # dynomite-sim
//!
//! The seeded deterministic simulator (madsim) that runs the production node code of the `dynomite`
//! crate on simulated hosts. Not built yet: it arrives with the simulator issue. What exists today is
//! the precondition it needs, checked by the build: the node driver is written against `madsim-tokio`,
//! so this crate compiles against it both normally and with `RUSTFLAGS="--cfg madsim"`.

pub use dynomite::node::Node;
