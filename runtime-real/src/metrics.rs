//! The node's latency and size histograms and its request counters, for `/info` (C Dynomite's
//! `latency_99th`, `payload_size_mean`, ...) and `/metrics` (Prometheus).
//!
//! Everything here is recorded on the hot path, so it is lock-free: a [`Histogram`] is a fixed array
//! of atomic buckets (powers of two) plus an atomic count, sum and maximum; a request costs a handful
//! of relaxed `fetch_add`s. Readers take an unsynchronised [`HistogramSnapshot`] (a request recorded
//! while it is read may be half in), which is what C's stats thread does too.
//!
//! Times come from the node's injected clock ([`crate::clock::Clock::now_us`]), never from the OS
//! directly, so the simulator stays deterministic.

use std::sync::atomic::{AtomicU64, Ordering};

use dynomite_core::command::Access;

/// Buckets of a [`Histogram`]: bucket `i < BUCKETS - 1` holds values in `(2^(i-1), 2^i]` (bucket 0
/// holds 0 and 1); the last holds everything above `2^(BUCKETS - 2)`. 2^26 µs is 67 s; 2^26 bytes is
/// 64 MiB.
pub const BUCKETS: usize = 28;

/// A lock-free histogram of `u64` values (microseconds, bytes, queue lengths).
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    sum: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

/// The index of the bucket that holds `value`: the smallest `i` with `value <= 2^i`.
pub fn bucket_index(value: u64) -> usize {
    if value <= 1 {
        return 0;
    }
    ((64 - (value - 1).leading_zeros()) as usize).min(BUCKETS - 1)
}

/// The inclusive upper bound of bucket `index`; None for the last (unbounded) bucket.
pub fn bucket_upper_bound(index: usize) -> Option<u64> {
    (index < BUCKETS - 1).then(|| 1_u64 << index)
}

impl Histogram {
    /// Records one value.
    pub fn record(&self, value: u64) {
        self.buckets[bucket_index(value)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    /// Forgets every value (`/historeset`).
    pub fn reset(&self) {
        for bucket in &self.buckets {
            bucket.store(0, Ordering::Relaxed);
        }
        self.count.store(0, Ordering::Relaxed);
        self.sum.store(0, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
    }

    /// The current counts.
    pub fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: std::array::from_fn(|index| self.buckets[index].load(Ordering::Relaxed)),
            count: self.count.load(Ordering::Relaxed),
            sum: self.sum.load(Ordering::Relaxed),
            max: self.max.load(Ordering::Relaxed),
        }
    }
}

/// A histogram's counts at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// Values per bucket (see [`BUCKETS`]).
    pub buckets: [u64; BUCKETS],
    /// Values recorded.
    pub count: u64,
    /// Their sum.
    pub sum: u64,
    /// The largest.
    pub max: u64,
}

impl HistogramSnapshot {
    /// The mean, rounded down; 0 when empty.
    pub fn mean(&self) -> u64 {
        self.sum.checked_div(self.count).unwrap_or(0)
    }

    /// The value below which a `quantile` (0..=1) of the values fall, interpolated linearly inside
    /// its bucket and never above the maximum seen; 0 when empty.
    pub fn quantile(&self, quantile: f64) -> u64 {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return 0;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut below = 0_u64;
        for (index, &in_bucket) in self.buckets.iter().enumerate() {
            if below + in_bucket >= rank {
                let Some(upper) = bucket_upper_bound(index) else { return self.max };
                let lower = if index == 0 { 0 } else { upper / 2 };
                let fraction = (rank - below) as f64 / in_bucket as f64;
                let value = lower + ((upper - lower) as f64 * fraction).round() as u64;
                return value.min(self.max);
            }
            below += in_bucket;
        }
        self.max
    }
}

/// What kind of request a client sent, for the request counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestClass {
    /// A read of data.
    Read,
    /// A write of data.
    Write,
    /// Everything else: commands the proxy answers, server administration, refused requests.
    Other,
}

impl RequestClass {
    /// Every class, in exposition order.
    pub const ALL: [RequestClass; 3] = [RequestClass::Read, RequestClass::Write, RequestClass::Other];

    /// The class of a command's access.
    pub fn of(access: Access) -> RequestClass {
        match access {
            Access::Read => RequestClass::Read,
            Access::Write => RequestClass::Write,
            Access::Admin => RequestClass::Other,
        }
    }

    /// The Prometheus label value.
    pub fn name(self) -> &'static str {
        match self {
            RequestClass::Read => "read",
            RequestClass::Write => "write",
            RequestClass::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How a client request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A reply that is not an error.
    Ok,
    /// An error reply (refused, failed quorum, timeout, datastore error, ...).
    Error,
}

impl RequestOutcome {
    /// Both outcomes, in exposition order.
    pub const ALL: [RequestOutcome; 2] = [RequestOutcome::Ok, RequestOutcome::Error];

    /// The outcome of a RESP reply from its first byte (`-` and RESP3's `!` are errors).
    pub fn of_reply(first_byte: Option<u8>) -> RequestOutcome {
        match first_byte {
            Some(b'-') | Some(b'!') => RequestOutcome::Error,
            _ => RequestOutcome::Ok,
        }
    }

    /// The Prometheus label value.
    pub fn name(self) -> &'static str {
        match self {
            RequestOutcome::Ok => "ok",
            RequestOutcome::Error => "error",
        }
    }
}

/// Mean round trip to one peer, from the calls this node waited for.
#[derive(Default)]
pub struct PeerLatency {
    sum_us: AtomicU64,
    count: AtomicU64,
    last_us: AtomicU64,
}

impl PeerLatency {
    fn record(&self, latency_us: u64) {
        self.sum_us.fetch_add(latency_us, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.last_us.store(latency_us, Ordering::Relaxed);
    }

    fn reset(&self) {
        self.sum_us.store(0, Ordering::Relaxed);
        self.count.store(0, Ordering::Relaxed);
        self.last_us.store(0, Ordering::Relaxed);
    }

    /// The mean in microseconds; None before the first reply (or since `/historeset`).
    pub fn mean_us(&self) -> Option<u64> {
        let count = self.count.load(Ordering::Relaxed);
        self.sum_us.load(Ordering::Relaxed).checked_div(count)
    }

    /// The last round trip in microseconds; None before the first.
    pub fn last_us(&self) -> Option<u64> {
        (self.count.load(Ordering::Relaxed) > 0).then(|| self.last_us.load(Ordering::Relaxed))
    }
}

/// Where a replica call went, for the latency histograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPlace {
    /// The node's own datastore.
    Datastore,
    /// A peer in this node's datacenter, another rack (or the same rack).
    CrossRack,
    /// A peer in another datacenter.
    CrossDatacenter,
}

/// The node's histograms and request counters.
pub struct Metrics {
    /// Client requests, from parsing to the reply being queued for writing (µs; C's `latency_*`).
    pub client_latency_us: Histogram,
    /// Sizes of client write requests (bytes of their arguments; C's `payload_size_*`).
    pub payload_size_bytes: Histogram,
    /// Calls to the local datastore (µs; C's `server_latency`).
    pub datastore_latency_us: Histogram,
    /// Calls to peers in this datacenter (µs; C's `cross_zone_latency`).
    pub cross_rack_latency_us: Histogram,
    /// Calls to peers in other datacenters (µs; C's `cross_region_rtt`).
    pub cross_datacenter_latency_us: Histogram,
    /// Replies queued on a client connection when a request is added (C's `client_out_queue`).
    pub client_queue_depth: Histogram,
    /// Client requests by [`RequestClass`] × [`RequestOutcome`].
    requests: [[AtomicU64; 2]; 3],
    /// Requests at a quorum level whose replicas did not reach it.
    quorum_failures: AtomicU64,
    /// Round trips per peer, indexed by `NodeId`.
    peer_latency: Vec<PeerLatency>,
}

impl Metrics {
    /// Metrics for a topology of `node_count` nodes.
    pub fn new(node_count: usize) -> Metrics {
        Metrics {
            client_latency_us: Histogram::default(),
            payload_size_bytes: Histogram::default(),
            datastore_latency_us: Histogram::default(),
            cross_rack_latency_us: Histogram::default(),
            cross_datacenter_latency_us: Histogram::default(),
            client_queue_depth: Histogram::default(),
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            quorum_failures: AtomicU64::new(0),
            peer_latency: (0..node_count).map(|_| PeerLatency::default()).collect(),
        }
    }

    /// One client request answered.
    pub fn count_request(&self, class: RequestClass, outcome: RequestOutcome, latency_us: u64) {
        self.requests[class.index()][outcome as usize].fetch_add(1, Ordering::Relaxed);
        self.client_latency_us.record(latency_us);
    }

    /// Client requests of `class` that ended with `outcome`.
    pub fn requests(&self, class: RequestClass, outcome: RequestOutcome) -> u64 {
        self.requests[class.index()][outcome as usize].load(Ordering::Relaxed)
    }

    /// One request at a quorum level that failed.
    pub fn count_quorum_failure(&self) {
        self.quorum_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests at a quorum level that failed, since start.
    pub fn quorum_failures(&self) -> u64 {
        self.quorum_failures.load(Ordering::Relaxed)
    }

    /// One replica call answered after `latency_us`; `peer` is the node called (None: the datastore).
    pub fn record_call(&self, place: CallPlace, peer: Option<usize>, latency_us: u64) {
        match place {
            CallPlace::Datastore => self.datastore_latency_us.record(latency_us),
            CallPlace::CrossRack => self.cross_rack_latency_us.record(latency_us),
            CallPlace::CrossDatacenter => self.cross_datacenter_latency_us.record(latency_us),
        }
        if let Some(latency) = peer.and_then(|index| self.peer_latency.get(index)) {
            latency.record(latency_us);
        }
    }

    /// Round trips to the node with this index.
    pub fn peer_latency(&self, index: usize) -> Option<&PeerLatency> {
        self.peer_latency.get(index)
    }

    /// `/historeset`: empties every histogram and peer latency (the counters keep counting, as in C).
    pub fn reset_histograms(&self) {
        for histogram in self.histograms() {
            histogram.1.reset();
        }
        for latency in &self.peer_latency {
            latency.reset();
        }
    }

    /// Every histogram with its Prometheus name stem and help text.
    pub fn histograms(&self) -> [(&'static str, &Histogram, &'static str); 6] {
        [
            ("client_request_latency_us", &self.client_latency_us, "Client requests, parse to reply"),
            ("client_write_payload_bytes", &self.payload_size_bytes, "Sizes of client write requests"),
            ("datastore_latency_us", &self.datastore_latency_us, "Calls to the local datastore"),
            ("cross_rack_latency_us", &self.cross_rack_latency_us, "Calls to peers in this datacenter"),
            ("cross_dc_latency_us", &self.cross_datacenter_latency_us, "Calls to peers in other datacenters"),
            ("client_queue_depth", &self.client_queue_depth, "Replies queued on a client connection"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        // value -> bucket: 0 and 1 share bucket 0 (<= 1); 2 is <= 2^1; 3 and 4 are <= 2^2; 5 is <= 2^3.
        for (value, index) in [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1024, 10), (1025, 11)] {
            assert_eq!(bucket_index(value), index, "{value}");
        }
        assert_eq!(bucket_index(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket_upper_bound(10), Some(1024));
        assert_eq!(bucket_upper_bound(BUCKETS - 1), None);
    }

    #[test]
    fn quantiles_interpolate_and_never_pass_the_maximum() {
        let histogram = Histogram::default();
        assert_eq!(histogram.snapshot().quantile(0.99), 0, "empty");
        for value in 1..=100 {
            histogram.record(value * 10); // 10 .. 1000
        }
        let snapshot = histogram.snapshot();
        assert_eq!((snapshot.count, snapshot.max, snapshot.mean()), (100, 1000, 505));
        // The 95th value is 950: bucket (512, 1024] holds 49 values (520..=1000) after 51 below.
        let p95 = snapshot.quantile(0.95);
        assert!((900..=1000).contains(&p95), "{p95}");
        assert_eq!(snapshot.quantile(1.0), 1000, "capped at the maximum");
        histogram.reset();
        assert_eq!(histogram.snapshot().count, 0);
    }

    #[test]
    fn requests_count_by_class_and_outcome() {
        let metrics = Metrics::new(3);
        metrics.count_request(RequestClass::Write, RequestOutcome::Ok, 5);
        metrics.count_request(RequestClass::Write, RequestOutcome::Error, 5);
        metrics.count_request(RequestClass::Read, RequestOutcome::Ok, 5);
        assert_eq!(metrics.requests(RequestClass::Write, RequestOutcome::Ok), 1);
        assert_eq!(metrics.requests(RequestClass::Write, RequestOutcome::Error), 1);
        assert_eq!(metrics.requests(RequestClass::Other, RequestOutcome::Ok), 0);
        assert_eq!(RequestOutcome::of_reply(Some(b'-')), RequestOutcome::Error);
        assert_eq!(RequestOutcome::of_reply(Some(b'+')), RequestOutcome::Ok);
        metrics.record_call(CallPlace::CrossRack, Some(2), 40);
        assert_eq!(metrics.peer_latency(2).unwrap().mean_us(), Some(40));
        metrics.reset_histograms();
        assert_eq!(metrics.peer_latency(2).unwrap().mean_us(), None);
        assert_eq!(metrics.requests(RequestClass::Read, RequestOutcome::Ok), 1, "counters stay");
    }
}
