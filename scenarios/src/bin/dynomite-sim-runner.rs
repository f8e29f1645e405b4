//! `dynomite-sim-runner`: runs seeded chaos scenarios against the production node under madsim.
//!
//! Build it with `RUSTFLAGS="--cfg madsim" cargo build -p dynomite-scenarios --profile sim
//! --target-dir target/sim`; without the cfg it only explains how to.

use std::process::ExitCode;

use clap::Parser;
use dynomite_scenarios::cli::{execute, Command};

/// mimalloc: a simulated run allocates and frees millions of small Lua values; the choice of
/// allocator changes no outcome (trace hashes are the same), only the run time.
#[cfg(madsim)]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    execute(Command::parse())
}
