//! `dynomite local`: a working multi-datacenter cluster on loopback in one command.
//!
//! Every node runs in this process (one tokio runtime), each with its own listeners and datastore:
//! the embedded engine by default, or with `--redis` one `redis-server` child per node. Each rack
//! holds a full copy of the data, split across its nodes by evenly spaced tokens. Ctrl-C stops every
//! node and every child process.

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use clap::Args;
use dynomite_core::config::{parse_config, Config};

use crate::clock::SystemClock;
use crate::node::Node;

/// Largest local cluster `local` builds (nodes in all).
const LOCAL_NODES_MAX: usize = 64;
/// Client, peer and stats ports of node `i` are `port + i`, `port + PEER_PORT_OFFSET + i` and
/// `port + STATS_PORT_OFFSET + i`.
const PEER_PORT_OFFSET: u16 = 1000;
/// See [`PEER_PORT_OFFSET`].
const STATS_PORT_OFFSET: u16 = 2000;

/// Options of `dynomite local`.
#[derive(Debug, Clone, Args)]
pub struct LocalArgs {
    /// Client port of the first node; the others follow (peer ports at +1000, admin ports at +2000).
    #[arg(long, default_value_t = 8102)]
    pub port: u16,
    /// Datacenters.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=8))]
    pub dcs: u16,
    /// Racks per datacenter (each holds a full copy of the data).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=8))]
    pub racks: u16,
    /// Nodes per rack (the rack's data is split across them by token).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    pub nodes: u16,
    /// Run one redis-server per node (must be installed) instead of the embedded datastore.
    #[arg(long)]
    pub redis: bool,
    /// Read and write consistency of every node (dc_one, dc_quorum, dc_safe_quorum, dc_each_safe_quorum).
    #[arg(long, default_value = "dc_one")]
    pub consistency: String,
    /// CRDT mode on every node (`crdt_enabled: true`): timestamped writes, background repair.
    #[arg(long)]
    pub crdt: bool,
    /// Read repair on every node (`read_repairs_enabled: true`; implies `--crdt`).
    #[arg(long)]
    pub read_repairs: bool,
}

/// One planned node.
struct Planned {
    datacenter: String,
    rack: String,
    token: u32,
    client_port: u16,
    peer_port: u16,
    stats_port: u16,
}

/// Starts the local cluster and serves until `shutdown` completes.
pub async fn run(args: LocalArgs, shutdown: impl Future<Output = ()>) -> Result<(), String> {
    let plan = plan(&args)?;
    let mut redis_children = RedisChildren(Vec::new());
    let mut nodes = Vec::new();
    for (index, planned) in plan.iter().enumerate() {
        let datastore = if args.redis {
            let port = planned.client_port + STATS_PORT_OFFSET + 1000;
            redis_children.0.push(start_redis(port)?);
            format!("data_store: 0\n  servers:\n  - 127.0.0.1:{port}:1")
        } else {
            "data_store: embedded".to_string()
        };
        let config = node_config(&plan, index, &datastore, &args)?;
        let node = Node::bind(config, Arc::new(SystemClock))
            .await
            .map_err(|error| format!("node {} (port {}): {error}", index + 1, planned.client_port))?;
        nodes.push(node);
    }
    print_table(&plan, &args);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for node in nodes {
        let mut stopped = stopped.clone();
        tasks.push(tokio::spawn(node.serve(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })));
    }
    shutdown.await;
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    drop(redis_children);
    Ok(())
}

fn plan(args: &LocalArgs) -> Result<Vec<Planned>, String> {
    let total = args.dcs as usize * args.racks as usize * args.nodes as usize;
    if total > LOCAL_NODES_MAX {
        return Err(format!("local: {total} nodes requested; at most {LOCAL_NODES_MAX}"));
    }
    if args.port as usize + STATS_PORT_OFFSET as usize + 1000 + total > u16::MAX as usize {
        return Err(format!("local: --port {} leaves no room for {total} nodes' ports", args.port));
    }
    let spacing = (u32::MAX as u64 + 1) / args.nodes as u64;
    let mut plan = Vec::new();
    for dc in 0..args.dcs {
        for rack in 0..args.racks {
            for node in 0..args.nodes {
                let index = plan.len() as u16;
                plan.push(Planned {
                    datacenter: format!("dc{}", dc + 1),
                    rack: format!("rack{}", rack + 1),
                    token: (node as u64 * spacing) as u32,
                    client_port: args.port + index,
                    peer_port: args.port + PEER_PORT_OFFSET + index,
                    stats_port: args.port + STATS_PORT_OFFSET + index,
                });
            }
        }
    }
    Ok(plan)
}

/// Node `index`'s configuration, written as Dynomite YAML and validated like a user's file.
fn node_config(plan: &[Planned], index: usize, datastore: &str, args: &LocalArgs) -> Result<Config, String> {
    let me = &plan[index];
    let consistency = &args.consistency;
    let crdt = args.crdt || args.read_repairs;
    let read_repairs = args.read_repairs;
    let seeds: String = plan
        .iter()
        .enumerate()
        .filter(|(other, _)| *other != index)
        .map(|(_, peer)| {
            format!("\n  - 127.0.0.1:{}:{}:{}:{}", peer.peer_port, peer.rack, peer.datacenter, peer.token)
        })
        .collect();
    let seeds = if seeds.is_empty() { String::new() } else { format!("  dyn_seeds:{seeds}\n") };
    let yaml = format!(
        "dyn_o_mite:\n  listen: 127.0.0.1:{}\n  dyn_listen: 127.0.0.1:{}\n  stats_listen: 127.0.0.1:{}\n  \
         datacenter: {}\n  rack: {}\n  tokens: '{}'\n  {datastore}\n{seeds}  read_consistency: {consistency}\n  \
         write_consistency: {consistency}\n  crdt_enabled: {crdt}\n  read_repairs_enabled: {read_repairs}\n",
        me.client_port, me.peer_port, me.stats_port, me.datacenter, me.rack, me.token
    );
    parse_config(&yaml).map_err(|error| format!("local: node {}: {error}", index + 1))
}

fn print_table(plan: &[Planned], args: &LocalArgs) {
    let store = if args.redis { "one redis-server per node" } else { "embedded datastore" };
    println!(
        "dynomite-rs local cluster: {} DC x {} racks x {} nodes, {store}, consistency {}",
        args.dcs, args.racks, args.nodes, args.consistency
    );
    println!("{:<6} {:<7} {:>10} {:>8} {:>8} {:>8}", "dc", "rack", "token", "client", "peer", "stats");
    for node in plan {
        println!(
            "{:<6} {:<7} {:>10} {:>8} {:>8} {:>8}",
            node.datacenter, node.rack, node.token, node.client_port, node.peer_port, node.stats_port
        );
    }
    println!(
        "ready: redis-cli -p {}    (any client port works; Ctrl-C stops the cluster)",
        plan[0].client_port
    );
}

/// redis-server children, killed when dropped.
struct RedisChildren(Vec<Child>);

impl Drop for RedisChildren {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_redis(port: u16) -> Result<Child, String> {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| {
            format!(
                "local --redis: cannot start redis-server ({error}); install redis-server or drop --redis"
            )
        })?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(child);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Err(format!("local --redis: redis-server on port {port} did not start"))
}
