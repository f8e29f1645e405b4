//! `dynomite local`: a working cluster on loopback in one command, on the embedded datastore.
//!
//! For now this is one node (the multi-rack, multi-DC layout arrives with the cluster work); it prints
//! where to point `redis-cli` and stops everything on Ctrl-C.

use std::future::Future;
use std::sync::Arc;

use clap::Args;
use dynomite_core::config::Config;

use crate::clock::SystemClock;
use crate::node::Node;

/// Options of `dynomite local`.
#[derive(Debug, Clone, Args)]
pub struct LocalArgs {
    /// Client port of the first node (Dynomite's conventional client port is 8102).
    #[arg(long, default_value_t = 8102)]
    pub port: u16,
}

/// Starts the local cluster and serves until `shutdown` completes.
pub async fn run(args: LocalArgs, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let config = Config::embedded_default(args.port);
    let node = Node::bind(config, Arc::new(SystemClock)).await?;
    let address = node.client_address()?;
    println!("dynomite-rs local cluster: 1 node, embedded datastore");
    println!("{:<8} {:<10} {:<12} {:<22}", "dc", "rack", "token", "client");
    let shared = node.shared();
    let tokens = shared.config.tokens.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    println!("{:<8} {:<10} {:<12} {:<22}", shared.config.datacenter, shared.config.rack, tokens, address);
    println!("ready: redis-cli -p {}    (Ctrl-C stops the cluster)", address.port());
    node.serve(shutdown).await;
    Ok(())
}
