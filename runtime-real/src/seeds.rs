//! Seed providers (`dyn_seed_provider`): where the node learns its peers besides `dyn_seeds`.
//!
//! - `florida_provider` (C Dynomite's `dyn_florida.c`): an HTTP GET to a local service. The address is
//!   `DYNOMITE_FLORIDA_IP` (default `127.0.0.1`) and `DYNOMITE_FLORIDA_PORT` (default `8080`); the
//!   request is sent as written in `DYNOMITE_FLORIDA_REQUEST` (default
//!   `GET /REST/v1/admin/get_seeds HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: HTMLGET 1.0\r\n\r\n`).
//!   The answer must have status 200; its body is the seed list.
//! - `dns_provider` (C Dynomite's `dyn_dns.c`): the TXT records of `DYNOMITE_DNS_NAME` (default
//!   `_dynomite.ec2-internal`), each record's strings joined, records joined with `|` (C Dynomite kept
//!   only the last record). `DYNOMITE_DNS_TYPE` may be `TXT`; C's `A` is refused, since an address
//!   record carries no rack, datacenter or token. Ours: `DYNOMITE_DNS_SERVER=ip:port` asks that name
//!   server instead of the system's (`/etc/resolv.conf`); answers are never cached.
//!
//! The seed list format and how it combines with `dyn_seeds` live in
//! `dynomite_core::config::seed_list`. At startup the binary asks the provider until it answers
//! (retrying with a capped backoff, so a node never builds its ring without the provider's seeds), then
//! every [`SEEDS_CHECK_INTERVAL_MS`] (C's `SEEDS_CHECK_INTERVAL`; ours: `DYNOMITE_SEEDS_CHECK_INTERVAL`
//! in ms) asks again: a known place at a new address moves its link at once (a replacement node);
//! new places are logged and wait for a restart ([`watch`]).
//!
//! Production only: the DNS client runs on real tokio, so this module is not built for the simulator.

use std::net::SocketAddr;
use std::sync::Weak;
use std::time::Duration;

use dynomite_core::config::seed_list::{merge_seeds, parse_seed_list};
use dynomite_core::config::{Config, Seed, SeedProvider};
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::node::NodeShared;

/// How often the provider is asked again (C Dynomite: `SEEDS_CHECK_INTERVAL`, 30 s).
pub const SEEDS_CHECK_INTERVAL_MS: u64 = 30_000;
/// C Dynomite's default Florida address and request.
pub const FLORIDA_IP_DEFAULT: &str = "127.0.0.1";
/// C Dynomite's default Florida port.
pub const FLORIDA_PORT_DEFAULT: u16 = 8080;
/// C Dynomite's default Florida request.
pub const FLORIDA_REQUEST_DEFAULT: &str =
    "GET /REST/v1/admin/get_seeds HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: HTMLGET 1.0\r\n\r\n";
/// C Dynomite's default DNS name.
pub const DNS_NAME_DEFAULT: &str = "_dynomite.ec2-internal";
/// Longest one fetch (connect, request, answer) may take.
pub const FETCH_TIMEOUT_MS: u64 = 5_000;
/// Largest answer read from Florida.
pub const FLORIDA_RESPONSE_BYTES_MAX: usize = 1024 * 1024;

/// A provider setting that cannot be used.
#[derive(Debug, Error)]
#[error("{variable}={value:?} is not {expected}")]
pub struct SeedSourceError {
    /// The environment variable.
    pub variable: &'static str,
    /// Its value.
    pub value: String,
    /// What it accepts.
    pub expected: &'static str,
}

/// Why one fetch failed.
#[derive(Debug, Error)]
pub enum SeedFetchError {
    /// No answer within [`FETCH_TIMEOUT_MS`].
    #[error("{source_name}: no answer within {FETCH_TIMEOUT_MS} ms")]
    TimedOut {
        /// The provider asked.
        source_name: String,
    },
    /// Connection or read failure.
    #[error("{source_name}: {error}")]
    Io {
        /// The provider asked.
        source_name: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Florida answered with something other than 200 and a body.
    #[error("{source_name}: expected an HTTP 200 answer with the seed list, got {status:?}")]
    BadAnswer {
        /// The provider asked.
        source_name: String,
        /// The first line of the answer.
        status: String,
    },
    /// The DNS lookup failed.
    #[error("{source_name}: {error}")]
    Dns {
        /// The provider asked.
        source_name: String,
        /// The resolver's explanation.
        error: String,
    },
}

/// A configured seed provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedSource {
    /// Florida: `address` (`ip:port`) and the raw request bytes.
    Florida {
        /// Where the service listens.
        address: String,
        /// The request sent as is.
        request: String,
    },
    /// DNS TXT records of `name`, asked of `server` (or the system's resolvers).
    Dns {
        /// The record name.
        name: String,
        /// The name server, when `DYNOMITE_DNS_SERVER` is set.
        server: Option<SocketAddr>,
    },
}

impl SeedSource {
    /// The provider `dyn_seed_provider` names, set up from the environment (`variable` looks a name
    /// up); None for `simple_provider`.
    pub fn from_env(
        provider: SeedProvider,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<SeedSource>, SeedSourceError> {
        match provider {
            SeedProvider::Simple => Ok(None),
            SeedProvider::Florida => {
                let ip = variable("DYNOMITE_FLORIDA_IP").unwrap_or_else(|| FLORIDA_IP_DEFAULT.to_string());
                let port = match variable("DYNOMITE_FLORIDA_PORT") {
                    None => FLORIDA_PORT_DEFAULT,
                    Some(value) => {
                        value.trim().parse().ok().filter(|port| *port > 0).ok_or(SeedSourceError {
                            variable: "DYNOMITE_FLORIDA_PORT",
                            value,
                            expected: "a TCP port (1..=65535)",
                        })?
                    }
                };
                let ip: std::net::IpAddr = ip.trim().parse().map_err(|_| SeedSourceError {
                    variable: "DYNOMITE_FLORIDA_IP",
                    value: ip,
                    expected: "an IP address (as in C Dynomite, no host names)",
                })?;
                let address = SocketAddr::new(ip, port);
                let request = variable("DYNOMITE_FLORIDA_REQUEST")
                    .unwrap_or_else(|| FLORIDA_REQUEST_DEFAULT.to_string());
                Ok(Some(SeedSource::Florida { address: address.to_string(), request }))
            }
            SeedProvider::Dns => {
                if let Some(kind) = variable("DYNOMITE_DNS_TYPE") {
                    if !kind.trim().eq_ignore_ascii_case("TXT") {
                        return Err(SeedSourceError {
                            variable: "DYNOMITE_DNS_TYPE",
                            value: kind,
                            expected: "TXT (an A record carries no rack, datacenter or token)",
                        });
                    }
                }
                let name = variable("DYNOMITE_DNS_NAME").unwrap_or_else(|| DNS_NAME_DEFAULT.to_string());
                let server = match variable("DYNOMITE_DNS_SERVER") {
                    None => None,
                    Some(value) => Some(value.trim().parse().map_err(|_| SeedSourceError {
                        variable: "DYNOMITE_DNS_SERVER",
                        value,
                        expected: "a name server's ip:port (e.g. 10.0.0.2:53)",
                    })?),
                };
                Ok(Some(SeedSource::Dns { name: name.trim().to_string(), server }))
            }
        }
    }

    /// How the provider is named in logs and errors.
    pub fn name(&self) -> String {
        match self {
            SeedSource::Florida { address, .. } => format!("florida_provider http://{address}"),
            SeedSource::Dns { name, server: Some(server) } => format!("dns_provider TXT {name} @{server}"),
            SeedSource::Dns { name, server: None } => format!("dns_provider TXT {name}"),
        }
    }

    /// Asks the provider once for its seed list text.
    pub async fn fetch(&self) -> Result<String, SeedFetchError> {
        let source_name = self.name();
        let fetch = async {
            match self {
                SeedSource::Florida { address, request } => florida(address, request, &source_name).await,
                SeedSource::Dns { name, server } => dns(name, *server, &source_name).await,
            }
        };
        match tokio::time::timeout(Duration::from_millis(FETCH_TIMEOUT_MS), fetch).await {
            Ok(result) => result,
            Err(_) => Err(SeedFetchError::TimedOut { source_name }),
        }
    }
}

async fn florida(address: &str, request: &str, source_name: &str) -> Result<String, SeedFetchError> {
    let io = |error| SeedFetchError::Io { source_name: source_name.to_string(), error };
    let mut stream = tokio::net::TcpStream::connect(address).await.map_err(io)?;
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut answer = Vec::new();
    let mut limited = (&mut stream).take(FLORIDA_RESPONSE_BYTES_MAX as u64);
    limited.read_to_end(&mut answer).await.map_err(io)?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default().to_string();
    let ok = status.starts_with("HTTP/") && status.split_whitespace().nth(1) == Some("200");
    match answer.split_once("\r\n\r\n") {
        Some((_, body)) if ok => Ok(body.trim().to_string()),
        _ => Err(SeedFetchError::BadAnswer { source_name: source_name.to_string(), status }),
    }
}

async fn dns(name: &str, server: Option<SocketAddr>, source_name: &str) -> Result<String, SeedFetchError> {
    use hickory_resolver::config::{NameServerConfig, Protocol, ResolverConfig, ResolverOpts};
    use hickory_resolver::TokioAsyncResolver;
    let dns_error = |error: String| SeedFetchError::Dns { source_name: source_name.to_string(), error };
    let mut options = ResolverOpts::default();
    options.cache_size = 0;
    options.timeout = Duration::from_millis(FETCH_TIMEOUT_MS / 2);
    options.attempts = 1;
    let resolver = match server {
        Some(server) => {
            let mut config = ResolverConfig::new();
            config.add_name_server(NameServerConfig::new(server, Protocol::Udp));
            TokioAsyncResolver::tokio(config, options)
        }
        None => {
            let (config, _) = hickory_resolver::system_conf::read_system_conf()
                .map_err(|error| dns_error(error.to_string()))?;
            TokioAsyncResolver::tokio(config, options)
        }
    };
    let lookup = resolver.txt_lookup(name).await.map_err(|error| dns_error(error.to_string()))?;
    let records: Vec<String> = lookup
        .iter()
        .map(|record| {
            let strings: Vec<u8> = record.txt_data().iter().flat_map(|part| part.iter().copied()).collect();
            String::from_utf8_lossy(&strings).into_owned()
        })
        .collect();
    Ok(records.join("|"))
}

/// Pause after the first failed fetch at startup; doubles up to [`STARTUP_RETRY_DELAY_MAX_MS`].
const STARTUP_RETRY_DELAY_MS: u64 = 500;
/// Longest pause between two startup fetches.
const STARTUP_RETRY_DELAY_MAX_MS: u64 = 10_000;

/// The provider's seeds merged into `config.dyn_seeds`: asks until the provider answers, logging each
/// failure (a node must not build its ring without them). Entries that do not parse are logged and
/// skipped.
pub async fn startup_seeds(source: &SeedSource, config: &Config) -> Vec<Seed> {
    let mut delay_ms = STARTUP_RETRY_DELAY_MS;
    loop {
        match source.fetch().await {
            Ok(text) => {
                let provided = parsed(source, config, &text);
                let merged = merge_seeds(config, &provided);
                let seeds: Vec<String> = merged.iter().map(ToString::to_string).collect();
                tracing::info!(provider = %source.name(), seeds = %seeds.join("|"), "seeds from the seed provider");
                return merged;
            }
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = delay_ms, "seed provider did not answer; the node waits for it");
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                delay_ms = (delay_ms * 2).min(STARTUP_RETRY_DELAY_MAX_MS);
            }
        }
    }
}

fn parsed(source: &SeedSource, config: &Config, text: &str) -> Vec<Seed> {
    let list = parse_seed_list(&config.pool_name, text);
    for rejected in &list.rejected {
        tracing::warn!(provider = %source.name(), error = %rejected, "seed provider entry skipped");
    }
    list.seeds
}

/// `DYNOMITE_SEEDS_CHECK_INTERVAL` (ours): ms between two checks of the provider, default
/// [`SEEDS_CHECK_INTERVAL_MS`] (C's fixed 30 s), 100 ms to 1 hour.
pub fn check_interval_ms(variable: impl Fn(&str) -> Option<String>) -> Result<u64, SeedSourceError> {
    match variable("DYNOMITE_SEEDS_CHECK_INTERVAL") {
        None => Ok(SEEDS_CHECK_INTERVAL_MS),
        Some(value) => value
            .trim()
            .parse()
            .ok()
            .filter(|interval| (SEEDS_CHECK_INTERVAL_MIN_MS..=SEEDS_CHECK_INTERVAL_MAX_MS).contains(interval))
            .ok_or(SeedSourceError {
                variable: "DYNOMITE_SEEDS_CHECK_INTERVAL",
                value,
                expected: "a number of milliseconds from 100 to 3600000",
            }),
    }
}

/// Shortest `DYNOMITE_SEEDS_CHECK_INTERVAL`.
pub const SEEDS_CHECK_INTERVAL_MIN_MS: u64 = 100;
/// Longest `DYNOMITE_SEEDS_CHECK_INTERVAL`.
pub const SEEDS_CHECK_INTERVAL_MAX_MS: u64 = 3_600_000;

/// Asks the provider every `interval_ms` and applies what changed to the running node:
/// - a place on the ring (datacenter, rack, tokens) the node knows, at a new address: a replacement
///   node took it over, so the link to that place moves to the new address at once (with gossip on,
///   gossip's view moves too; the replacement's own gossip would have moved it as well);
/// - a place the node does not know (a new node, new tokens): the ring is built at startup, so it is
///   logged, and takes effect when this node restarts (C Dynomite's runtime ring changes are not
///   supported);
/// - a place missing from the list: nothing (a provider that forgets a node does not remove it).
///
/// Stops when the node is gone.
pub async fn watch(source: SeedSource, config: Config, node: Weak<NodeShared>, interval_ms: u64) {
    let mut reported_new: Vec<Seed> = Vec::new();
    loop {
        tokio::time::sleep(Duration::from_millis(interval_ms)).await;
        let text = match source.fetch().await {
            Ok(text) => text,
            Err(error) => {
                tracing::debug!(%error, "seed provider did not answer; asking again later");
                continue;
            }
        };
        let Some(node) = node.upgrade() else { return };
        let provided = merge_seeds(&config, &parsed(&source, &config, &text));
        let mut new_places = Vec::new();
        for seed in provided {
            match relocate(&node, &seed) {
                Placement::Known => {}
                Placement::Moved { from } => tracing::warn!(
                    provider = %source.name(),
                    %from,
                    to = %seed,
                    "seed provider: a node took over this place on the ring; its link moves to the new address"
                ),
                Placement::Unknown => new_places.push(seed),
            }
        }
        if !new_places.is_empty() && new_places != reported_new {
            let listed: Vec<String> = new_places.iter().map(ToString::to_string).collect();
            tracing::warn!(
                provider = %source.name(),
                new = %listed.join("|"),
                "the seed provider lists places (datacenter, rack, tokens) not on this node's ring; the ring \
                 is built at startup, so restart this node to add them"
            );
            reported_new = new_places;
        }
    }
}

/// What a provided seed means for the running node.
#[derive(Debug, PartialEq, Eq)]
enum Placement {
    /// The node's own place, or a peer's at the address the link already uses.
    Known,
    /// A peer's place at a new address: the link moved from `from`.
    Moved {
        /// The address the link used.
        from: String,
    },
    /// A place not on this node's ring.
    Unknown,
}

/// Moves the link of `seed`'s place to `seed`'s address when it differs.
fn relocate(node: &NodeShared, seed: &Seed) -> Placement {
    // The node's own place is never in the list (`merge_seeds` leaves it out).
    let Some(link) = node.peer_at(&seed.datacenter, &seed.rack, &seed.tokens) else {
        return Placement::Unknown;
    };
    let address = format!("{}:{}", seed.host, seed.port);
    let from = link.address();
    if from == address {
        return Placement::Known;
    }
    match &node.gossip {
        Some(gossip) => {
            if !gossip.relocate(node, &seed.datacenter, &seed.rack, &seed.tokens, &address) {
                return Placement::Known;
            }
        }
        None => link.move_to(&address),
    }
    Placement::Moved { from }
}
