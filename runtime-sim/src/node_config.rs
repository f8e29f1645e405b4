//! Each simulated node's configuration, written as Dynomite YAML and validated like a user's file.
//!
//! Every node listens on 0.0.0.0 with the fixed ports of [`crate::model`] on its own simulated IP, lists
//! every other node in `dyn_seeds`, uses its datastore host as a Redis server (`data_store: 0`), and
//! gossips.

use dynomite_core::config::{parse_config, Config, ConfigError};

use crate::model::{Placement, SimConfig, CLIENT_PORT, PEER_PORT, STATS_PORT};

/// The simulated cluster's `peer_secret`: every link runs the production handshake with proofs (the
/// scenarios' stranger guesses another).
pub const SIM_PEER_SECRET: &str = "simulated-cluster-secret";

/// Every simulated node gossips (`enable_gossip`), with rounds short against the scenarios' fault
/// episodes, so failure detection and down marks act in every chaos run.
pub const SIM_GOSSIP_INTERVAL_MS: u64 = 250;
/// `gossip_down_after` of the simulated nodes: like `peer_heartbeat_timeout`'s default, six rounds.
pub const SIM_GOSSIP_DOWN_AFTER_MS: u64 = 1_500;

/// Node `index`'s configuration within `placements`.
pub fn node_config(
    simulation: &SimConfig,
    placements: &[Placement],
    index: usize,
) -> Result<Config, ConfigError> {
    parse_config(&node_yaml(simulation, placements, index))
}

/// The YAML text behind [`node_config`].
pub fn node_yaml(simulation: &SimConfig, placements: &[Placement], index: usize) -> String {
    let me = &placements[index];
    let seeds: String = placements
        .iter()
        .filter(|other| other.address.index != index)
        .map(|peer| {
            format!(
                "\n  - {}:{}:{}:{}",
                peer.peer_address(),
                peer.address.rack,
                peer.address.datacenter,
                join_tokens(&peer.address.tokens)
            )
        })
        .collect();
    let seeds = if seeds.is_empty() { String::new() } else { format!("  dyn_seeds:{seeds}\n") };
    format!(
        "dyn_o_mite:\n  listen: 0.0.0.0:{CLIENT_PORT}\n  dyn_listen: 0.0.0.0:{PEER_PORT}\n  \
         stats_listen: 0.0.0.0:{STATS_PORT}\n  datacenter: {}\n  rack: {}\n  tokens: '{}'\n  \
         data_store: 0\n  servers:\n  - {}:1\n{seeds}  read_consistency: {}\n  write_consistency: {}\n  \
         datastore_connections: {}\n  local_peer_connections: {}\n  remote_peer_connections: {}\n  \
         peer_secret: {SIM_PEER_SECRET}\n  enable_gossip: true\n  gos_interval: {SIM_GOSSIP_INTERVAL_MS}\n  \
         gossip_down_after: {SIM_GOSSIP_DOWN_AFTER_MS}\n{}",
        me.address.datacenter,
        me.address.rack,
        join_tokens(&me.address.tokens),
        me.datastore_address(),
        simulation.read_consistency.config_name(),
        simulation.write_consistency.config_name(),
        simulation.datastore_connections,
        simulation.local_peer_connections,
        simulation.remote_peer_connections,
        simulation.anti_entropy.map(|knobs| knobs.yaml()).unwrap_or_default(),
    )
}

fn join_tokens(tokens: &[u32]) -> String {
    tokens.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan;

    #[test]
    fn every_node_config_validates_and_seeds_all_others() {
        let simulation = SimConfig::new(2, 3, 2, 1);
        let placements = plan(&simulation.shape);
        for index in 0..placements.len() {
            let yaml = node_yaml(&simulation, &placements, index);
            let config = node_config(&simulation, &placements, index)
                .unwrap_or_else(|error| panic!("node {index}: {error}\n{yaml}"));
            assert_eq!(config.dyn_seeds.len(), placements.len() - 1, "{yaml}");
        }
    }
}
