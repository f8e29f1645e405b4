//! Seeds from a seed provider (`dyn_seed_provider: florida_provider | dns_provider`): the text format
//! both providers return, and how the provided seeds combine with the configured `dyn_seeds`.
//!
//! Format (C Dynomite's `dyn_florida.c` / `dyn_dns.c`): entries `host:port:rack:datacenter:tokens`
//! separated by `|` (surrounding whitespace and line breaks are ignored), e.g.
//! `10.0.0.1:8101:rack1:dc1:1383429731|10.0.0.2:8101:rack2:dc1:1383429731`. An entry that does not
//! parse is skipped and reported (C Dynomite skips it silently).
//!
//! Combining ([`merge_seeds`]): the provider's list extends the configured one. A provided seed that
//! has the datacenter, rack and tokens of a known seed *takes over* that seed (a replacement node with a
//! new address); one that names this node (its datacenter, rack and tokens, or its `dyn_listen`) is
//! left out, since providers list every node of the cluster.

use super::error::ConfigError;
use super::keys::SEEDS_MAX;
use super::scalar::Field;
use super::validate::seed;
use super::values::Seed;
use super::Config;

/// What [`parse_seed_list`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedList {
    /// The entries that parsed, in order.
    pub seeds: Vec<Seed>,
    /// Why each other entry was skipped.
    pub rejected: Vec<ConfigError>,
}

/// Parses a provider's answer; at most [`SEEDS_MAX`] entries are kept (the rest are rejected).
pub fn parse_seed_list(pool: &str, text: &str) -> SeedList {
    let field = Field { pool, key: "dyn_seed_provider" };
    let mut list = SeedList::default();
    for entry in text.split('|').map(str::trim).filter(|entry| !entry.is_empty()) {
        if list.seeds.len() >= SEEDS_MAX {
            list.rejected.push(field.invalid(entry, format!("within the first {SEEDS_MAX} seeds")));
            continue;
        }
        match seed(&field, entry) {
            Ok(seed) => list.seeds.push(seed),
            Err(error) => list.rejected.push(error),
        }
    }
    list
}

/// The configured `dyn_seeds` extended by `provided` (see the module documentation).
pub fn merge_seeds(config: &Config, provided: &[Seed]) -> Vec<Seed> {
    let mut merged = config.dyn_seeds.clone();
    for seed in provided {
        let is_local = seed.endpoint() == config.dyn_listen
            || (seed.datacenter == config.datacenter
                && seed.rack == config.rack
                && seed.tokens == config.tokens);
        if is_local {
            continue;
        }
        let same_place = |known: &Seed| {
            known.datacenter == seed.datacenter && known.rack == seed.rack && known.tokens == seed.tokens
        };
        if let Some(known) = merged.iter_mut().find(|known| same_place(known)) {
            known.host.clone_from(&seed.host);
            known.port = seed.port;
        } else if !merged.iter().any(|known| known.endpoint() == seed.endpoint()) && merged.len() < SEEDS_MAX
        {
            merged.push(seed.clone());
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_config;

    fn config(extra: &str) -> Config {
        let yaml = format!(
            "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  dyn_listen: 10.0.0.1:8101\n  rack: r1\n  datacenter: dc1\n  \
             servers:\n  - 127.0.0.1:6379:1\n  tokens: '100'\n{extra}"
        );
        parse_config(&yaml).unwrap()
    }

    fn names(seeds: &[Seed]) -> Vec<String> {
        seeds.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parses_c_dynomite_format_and_reports_bad_entries() {
        let list = parse_seed_list(
            "dyn_o_mite",
            " 10.0.0.2:8101:r2:dc1:100|\n10.0.0.3:8101:r3:dc1:100 | bad-entry | 10.0.0.4:x:r:d:1 ||",
        );
        assert_eq!(names(&list.seeds), ["10.0.0.2:8101:r2:dc1:100", "10.0.0.3:8101:r3:dc1:100"]);
        assert_eq!(list.rejected.len(), 2);
        assert!(list.rejected[0].to_string().starts_with("dyn_o_mite.dyn_seed_provider: 'bad-entry' is not"));
        assert!(parse_seed_list("p", "").seeds.is_empty());
    }

    #[test]
    fn provided_seeds_extend_take_over_and_skip_this_node() {
        let config = config("  dyn_seeds:\n  - 10.0.0.2:8101:r2:dc1:100\n");
        let provided = parse_seed_list(
            "p",
            // this node (by placement), a replacement of r2's node, a new node, this node (by address).
            "10.9.9.9:8101:r1:dc1:100|10.0.0.20:8101:r2:dc1:100|10.0.0.3:8101:r3:dc1:100|10.0.0.1:8101:r9:dc1:5",
        )
        .seeds;
        let merged = merge_seeds(&config, &provided);
        assert_eq!(names(&merged), ["10.0.0.20:8101:r2:dc1:100", "10.0.0.3:8101:r3:dc1:100"]);
        assert_eq!(merge_seeds(&config, &[]), config.dyn_seeds);
    }
}
