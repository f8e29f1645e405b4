//! Command line, compatible with C Dynomite's common flags (`-c -t -v -o -p -d`), plus `local`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Default configuration file, as in C Dynomite.
pub const DEFAULT_CONF_FILE: &str = "conf/dynomite.yml";
/// Default log verbosity: C Dynomite's LOG_NOTICE.
pub const DEFAULT_VERBOSITY: u8 = 5;
/// Highest verbosity C Dynomite accepts (LOG_PVERB).
pub const MAX_VERBOSITY: u8 = 11;

/// dynomite-rs: a Dynomite-compatible proxy that turns single-server Redis stores into one
/// sharded, replicated, multi-datacenter cluster.
#[derive(Debug, Parser)]
#[command(name = "dynomite", version, about)]
pub struct Cli {
    /// Configuration file (YAML, C Dynomite's format).
    #[arg(short = 'c', long = "conf-file", value_name = "FILE", default_value = DEFAULT_CONF_FILE)]
    pub conf_file: PathBuf,

    /// Test the configuration for syntax and semantic errors, then exit (0 valid, 1 invalid).
    #[arg(short = 't', long = "test-conf")]
    pub test_conf: bool,

    /// Log verbosity, 0 (emergencies only) to 11 (everything); 5 = notice, 7 = debug.
    #[arg(short = 'v', long = "verbosity", value_name = "N", default_value_t = DEFAULT_VERBOSITY,
          value_parser = clap::value_parser!(u8).range(0..=MAX_VERBOSITY as i64))]
    pub verbosity: u8,

    /// Write logs to this file instead of standard error.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write the process id to this file (removed on clean exit).
    #[arg(short = 'p', long = "pid-file", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,

    /// Worker threads: 1 (default) runs the node on one thread like C Dynomite, which leaves the other
    /// cores to the datastore; 0 uses one thread per core.
    #[arg(long = "threads", value_name = "N", default_value_t = 1)]
    pub threads: usize,

    /// Daemonize (C Dynomite's -d). Not supported: run under systemd or another supervisor.
    #[arg(short = 'd', long = "daemonize")]
    pub daemonize: bool,

    /// A subcommand instead of running one node from the configuration file.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Start a local cluster on loopback with the embedded datastore (no Redis needed).
    Local(crate::local::LocalArgs),
    /// Start a range repair on a node through its admin port (`/repair/start`), or show its progress.
    Repair(crate::repair::cli::RepairArgs),
    /// Print the ring as a node sees it (dc, rack, node, tokens and share, state, link latency),
    /// from its admin port (`/ring`).
    Status(crate::status::StatusArgs),
}

/// The `tracing` level for a C Dynomite verbosity number.
pub fn level_for_verbosity(verbosity: u8) -> tracing::Level {
    match verbosity {
        0..=3 => tracing::Level::ERROR,
        4 => tracing::Level::WARN,
        5 | 6 => tracing::Level::INFO,
        7 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    }
}
