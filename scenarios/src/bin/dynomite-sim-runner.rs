//! `dynomite-sim-runner`: runs seeded chaos scenarios against the production node under madsim.
//!
//! Build it with `RUSTFLAGS="--cfg madsim" cargo build -p dynomite-scenarios --profile sim
//! --target-dir target/sim`; without the cfg it only explains how to.

use std::process::ExitCode;

use clap::Parser;
use dynomite_scenarios::cli::{execute, Command};

fn main() -> ExitCode {
    execute(Command::parse())
}
