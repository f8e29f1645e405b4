//! A rack that goes silent (its links clogged: no FIN, no RST, packets held) while clients run
//! DC_QUORUM requests through a node of another rack: how long are requests held?
//!
//! Each test prints p50 / p99 / max latency (simulated time) of the requests started before, during and
//! after the clog, then asserts the bound of issue 7.4: once the silent peer is detected, no DC_QUORUM
//! request waits for it, so no request is held longer than the heartbeat bound plus slack. Times are
//! madsim's virtual time only, never the machine's clock.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`:
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir target/sim --test
//! clogged_rack -- --nocapture`
#![cfg(madsim)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dynomite_sim::{Consistency, RespClient, SimCluster, SimConfig};
use tokio::time::Instant;

/// The default `peer_heartbeat_timeout` (ms): a peer link silent this long counts as not connected.
/// Written out (not imported) so this file also builds against trees that predate the key.
const HEARTBEAT_TIMEOUT_MS: u64 = 1_500;
/// Allowance on top of the bound: the liveness check period (a sixth of the bound), network round
/// trips and the client's own queueing.
const SLACK_MS: u64 = 500;
/// Concurrent clients, each one connection running one request at a time.
const CLIENTS: usize = 8;
/// Keys the clients write and read.
const KEYS: usize = 64;
/// Healthy traffic before the clog (simulated).
const WARMUP_MS: u64 = 2_000;
/// How long the rack stays silent (simulated).
const CLOG_MS: u64 = 10_000;
/// After the heal, every request started this long after it must succeed: reconnect backoff (peer
/// links at most 250 ms, datastore connections 2 s) plus slack.
const RECOVERY_MS: u64 = 3_000;
/// Traffic after the heal (simulated).
const AFTER_HEAL_MS: u64 = 4_000;
/// A client's pause after an error reply before its next request, as a real client backs off. Without
/// it, requests that fail fast come back at a rate above what one simulated datastore connection
/// serves (about one flush per simulated millisecond), and the local datastore queue, not the silent
/// rack, would decide the figures.
const ERROR_BACKOFF_MS: u64 = 10;

/// One request as a client saw it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// When it was sent, in ms since the workload started.
    started_ms: u64,
    /// How long until its reply (or the client's own timeout).
    latency_ms: u64,
    /// True when the reply was not an error.
    succeeded: bool,
}

/// Latency figures of a set of samples.
struct Summary {
    count: usize,
    failed: usize,
    p50_ms: u64,
    p99_ms: u64,
    max_ms: u64,
}

impl Summary {
    fn of<'a>(samples: impl Iterator<Item = &'a Sample>) -> Summary {
        let samples: Vec<&Sample> = samples.collect();
        let mut latencies: Vec<u64> = samples.iter().map(|sample| sample.latency_ms).collect();
        latencies.sort_unstable();
        let percentile = |fraction: f64| -> u64 {
            if latencies.is_empty() {
                return 0;
            }
            let rank = ((fraction * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
            latencies[rank - 1]
        };
        Summary {
            count: samples.len(),
            failed: samples.iter().filter(|sample| !sample.succeeded).count(),
            p50_ms: percentile(0.50),
            p99_ms: percentile(0.99),
            max_ms: latencies.last().copied().unwrap_or(0),
        }
    }

    fn line(&self, label: &str) -> String {
        format!(
            "{label:<34} requests {:>6}  failed {:>6}  p50 {:>5} ms  p99 {:>5} ms  max {:>5} ms",
            self.count, self.failed, self.p50_ms, self.p99_ms, self.max_ms
        )
    }
}

/// Runs the workload on `datacenters × racks × 1` at DC_QUORUM, silences the last rack of datacenter 1
/// for [`CLOG_MS`], and returns every sample.
fn run(datacenters: usize, racks: usize, seed: u64) -> Vec<Sample> {
    let config = SimConfig {
        read_consistency: Consistency::DcQuorum,
        write_consistency: Consistency::DcQuorum,
        ..SimConfig::new(datacenters, racks, 1, seed)
    };
    config.runtime().block_on(async move {
        let cluster = SimCluster::start(config).await;
        let client_host = cluster.client_host("clients", 0);
        client_host.spawn(workload(cluster, racks)).await.expect("workload panicked")
    })
}

async fn workload(cluster: SimCluster, racks: usize) -> Vec<Sample> {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let begin = Instant::now();
    let stop_at = begin + Duration::from_millis(WARMUP_MS + CLOG_MS + AFTER_HEAL_MS);
    let coordinator = cluster.nodes()[cluster.rack_members(0, 0)[0]].client;
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let samples = samples.clone();
        clients.push(tokio::spawn(async move {
            let mut connection = RespClient::connect(coordinator).await.expect("client connects");
            let mut operation = client;
            while Instant::now() < stop_at {
                let key = format!("key{}", operation % KEYS);
                let started = Instant::now();
                let reply = if operation % 2 == 0 {
                    connection.command(&["SET", key.as_str(), "value"]).await
                } else {
                    connection.command(&["GET", key.as_str()]).await
                };
                let sample = Sample {
                    started_ms: (started - begin).as_millis() as u64,
                    latency_ms: started.elapsed().as_millis() as u64,
                    succeeded: matches!(&reply, Ok(frame) if !frame.is_error()),
                };
                samples.lock().expect("samples lock").push(sample);
                if !sample.succeeded {
                    tokio::time::sleep(Duration::from_millis(ERROR_BACKOFF_MS)).await;
                }
                if reply.is_err() {
                    // A client-side timeout or a closed connection: start over on a new connection.
                    match RespClient::connect(coordinator).await {
                        Ok(fresh) => connection = fresh,
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
                operation += CLIENTS;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(WARMUP_MS)).await;
    cluster.isolate_rack(0, racks - 1);
    tokio::time::sleep(Duration::from_millis(CLOG_MS)).await;
    cluster.heal();
    for client in clients {
        client.await.expect("client task");
    }
    let samples = samples.lock().expect("samples lock").clone();
    samples
}

/// Prints the figures and returns the requests held longer than the heartbeat bound plus slack.
fn report(name: &str, samples: &[Sample]) -> Vec<Sample> {
    let clog_start = WARMUP_MS;
    let clog_end = WARMUP_MS + CLOG_MS;
    let detected = clog_start + HEARTBEAT_TIMEOUT_MS + SLACK_MS;
    let before = Summary::of(samples.iter().filter(|sample| sample.started_ms < clog_start));
    let during =
        Summary::of(samples.iter().filter(|sample| (clog_start..clog_end).contains(&sample.started_ms)));
    let after_detection =
        Summary::of(samples.iter().filter(|sample| (detected..clog_end).contains(&sample.started_ms)));
    let after_heal = Summary::of(samples.iter().filter(|sample| sample.started_ms >= clog_end));
    println!("{name}: one rack silent for {CLOG_MS} ms, {CLIENTS} clients at DC_QUORUM");
    println!("  {}", before.line("before the clog"));
    println!("  {}", during.line("during the clog"));
    println!("  {}", after_detection.line("during, started after detection"));
    println!("  {}", after_heal.line("after the heal"));
    assert!(
        before.count > 0 && during.count > 0 && after_heal.count > 0,
        "{name}: the workload ran throughout"
    );
    samples.iter().filter(|sample| sample.latency_ms > HEARTBEAT_TIMEOUT_MS + SLACK_MS).copied().collect()
}

/// Prints the figures and checks the bound.
fn report_and_check(name: &str, samples: &[Sample]) {
    let held = report(name, samples);
    assert!(
        held.is_empty(),
        "{name}: {} requests held longer than {} + {} ms, e.g. {:?}",
        held.len(),
        HEARTBEAT_TIMEOUT_MS,
        SLACK_MS,
        &held[..held.len().min(5)]
    );
    let clog_end = WARMUP_MS + CLOG_MS;
    let late_failures = samples
        .iter()
        .filter(|sample| sample.started_ms >= clog_end + RECOVERY_MS && !sample.succeeded)
        .count();
    assert_eq!(late_failures, 0, "{name}: requests still failing {RECOVERY_MS} ms after the heal");
}

/// One test, run in sequence: the mutant switch is process-wide, so nothing else may run while the
/// HeartbeatIgnored mutant is on.
#[test]
fn a_silent_rack_holds_no_dc_quorum_request_past_the_heartbeat_bound() {
    // Three racks: the quorum never needs the silent one.
    report_and_check("1 DC x 3 racks", &run(1, 3, 41));
    // Two racks: the quorum needs it, so requests fail fast instead of waiting out the timeout.
    report_and_check("1 DC x 2 racks", &run(1, 2, 42));
    // The HeartbeatIgnored mutant (the silent link is never declared dead) must break the bound: the
    // mutant gate's sweeps run three racks per datacenter, where no quorum waits for one silent rack,
    // so this is where that mutant is caught.
    dynomite_core::mutants::activate(Some(dynomite_core::mutants::Mutant::HeartbeatIgnored));
    let held = report("1 DC x 2 racks, mutant heartbeat-ignored", &run(1, 2, 42));
    dynomite_core::mutants::activate(None);
    assert!(!held.is_empty(), "the heartbeat-ignored mutant held no request past the bound: not caught");
    println!("  heartbeat-ignored: {} requests held past the bound (caught)", held.len());
}
