//! Per-link latency classes drawn once from the seed, applied as a delaying stream around each peer
//! connection (the node's `peer_stream_wrapper` hook), so simulated links run the production link code.
//!
//! madsim applies one global latency to every packet; the harness sets it to the same-rack class, and
//! the wrapper adds, in each direction, the extra delay that brings a link up to its class: cross rack,
//! or the latency drawn for that pair of datacenters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dynomite::node::PeerStreamWrappers;
use dynomite::peer::stream::{PeerStream, StreamWrapper};
use dynomite_core::ring::PeerNode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::model::{datacenter_name, LatencyClasses};

/// Mixed into the simulation seed so the latency draws do not repeat another component's stream.
const LATENCY_SEED_SALT: u64 = 0x6c61_7465_6e63_7900;

/// One-way latency of every link class, with each datacenter pair's latency already drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyTable {
    classes: LatencyClasses,
    /// Keyed by the two datacenter names in sorted order.
    cross_datacenter: BTreeMap<(String, String), Duration>,
}

impl LatencyTable {
    /// Draws each datacenter pair's latency uniformly from `[cross_datacenter_min, cross_datacenter_max]`.
    pub fn draw(classes: LatencyClasses, datacenters: usize, seed: u64) -> LatencyTable {
        assert!(classes.same_rack <= classes.cross_rack, "same_rack latency above cross_rack");
        assert!(classes.cross_datacenter_min <= classes.cross_datacenter_max, "empty cross-DC range");
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ LATENCY_SEED_SALT);
        let mut cross_datacenter = BTreeMap::new();
        for first in 0..datacenters {
            for second in first + 1..datacenters {
                let latency = rng.gen_range(classes.cross_datacenter_min..=classes.cross_datacenter_max);
                cross_datacenter.insert((datacenter_name(first), datacenter_name(second)), latency);
            }
        }
        LatencyTable { classes, cross_datacenter }
    }

    /// One-way latency from a node in (`from_dc`, `from_rack`) to one in (`to_dc`, `to_rack`).
    pub fn one_way(&self, from_dc: &str, from_rack: &str, to_dc: &str, to_rack: &str) -> Duration {
        if from_dc != to_dc {
            let key = if from_dc < to_dc {
                (from_dc.to_string(), to_dc.to_string())
            } else {
                (to_dc.to_string(), from_dc.to_string())
            };
            return self.cross_datacenter.get(&key).copied().unwrap_or(self.classes.cross_datacenter_max);
        }
        if from_rack != to_rack {
            return self.classes.cross_rack;
        }
        self.classes.same_rack
    }

    /// Every drawn datacenter-pair latency (to print next to the seed).
    pub fn cross_datacenter(&self) -> &BTreeMap<(String, String), Duration> {
        &self.cross_datacenter
    }

    /// The extra one-way delay of the link from `local` to `peer` beyond madsim's global same-rack
    /// latency (zero within a rack).
    pub fn extra_delay(&self, local: &PeerNode, peer: &PeerNode) -> Duration {
        let total = self.one_way(&local.datacenter, &local.rack, &peer.datacenter, &peer.rack);
        total.saturating_sub(self.classes.same_rack)
    }

    /// The node hook: links with an extra delay get a [`delayed`] stream (both directions), the others
    /// their plain stream.
    pub fn stream_wrappers(self: &Arc<Self>) -> PeerStreamWrappers {
        let table = self.clone();
        Arc::new(move |local: &PeerNode, peer: &PeerNode| {
            let delay = table.extra_delay(local, peer);
            (!delay.is_zero()).then(|| -> StreamWrapper { Arc::new(move |stream| delayed(stream, delay)) })
        })
    }
}

/// Bytes buffered between the link and the delaying pumps.
const DELAY_BUFFER_BYTES: usize = 64 * 1024;
/// Bytes read per chunk by a pump.
const DELAY_CHUNK_BYTES: usize = 16 * 1024;

/// `stream` with every byte delivered `one_way` later in each direction, order kept. Two pumps per
/// direction (a reader stamping chunks, a writer releasing them at their time) so delay does not cut
/// bandwidth; an end of stream or error on either side ends the other side too. Must run in a task of
/// the node that owns the stream (the pumps die with its host).
pub fn delayed(stream: PeerStream, one_way: Duration) -> PeerStream {
    let (near, far) = tokio::io::duplex(DELAY_BUFFER_BYTES);
    let (far_read, far_write) = tokio::io::split(far);
    let (inner_read, inner_write) = tokio::io::split(stream);
    pump(far_read, inner_write, one_way);
    pump(inner_read, far_write, one_way);
    Box::new(near)
}

/// Moves bytes from `from` to `to`, each chunk `delay` after it was read.
fn pump<R, W>(mut from: R, mut to: W, delay: Duration)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (chunks, mut released) = mpsc::unbounded_channel::<(Instant, Bytes)>();
    tokio::spawn(async move {
        let mut buffer = vec![0u8; DELAY_CHUNK_BYTES];
        loop {
            match from.read(&mut buffer).await {
                Ok(0) | Err(_) => return, // dropping `chunks` ends the writer after the last chunk
                Ok(read) => {
                    let chunk = Bytes::copy_from_slice(&buffer[..read]);
                    if chunks.send((Instant::now() + delay, chunk)).is_err() {
                        return;
                    }
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Some((due, chunk)) = released.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() || to.flush().await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_placement_and_pairs_drawn_within_bounds_from_the_seed() {
        let classes = LatencyClasses::default();
        let table = LatencyTable::draw(classes, 3, 42);
        assert_eq!(table.one_way("dc1", "rack1", "dc1", "rack1"), classes.same_rack);
        assert_eq!(table.one_way("dc1", "rack1", "dc1", "rack2"), classes.cross_rack);
        assert_eq!(table.cross_datacenter().len(), 3, "three pairs among three datacenters");
        let forth = table.one_way("dc1", "rack1", "dc3", "rack1");
        assert_eq!(forth, table.one_way("dc3", "rack2", "dc1", "rack1"), "symmetric per pair");
        assert!(forth >= classes.cross_datacenter_min && forth <= classes.cross_datacenter_max);
        assert_eq!(table, LatencyTable::draw(classes, 3, 42), "same seed, same draws");
    }
}
