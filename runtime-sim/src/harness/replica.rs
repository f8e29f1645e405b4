//! Direct reads of one replica's datastore, bypassing every node: what checkers use after heal to see
//! what each replica really holds.

use bytes::Bytes;
use dynomite_core::resp::Frame;

use super::resp_client::command_once;
use super::SimCluster;
use crate::error::ReplicaReadError;

impl SimCluster {
    /// The value of `key` in node `index`'s datastore (`None` when absent). Runs from the calling task's
    /// host, so call it where that host can reach the datastore (e.g. after heal). Panics when the
    /// datastore cannot be read; see [`SimCluster::try_read_replica`].
    pub async fn read_replica(&self, index: usize, key: &[u8]) -> Option<Bytes> {
        self.try_read_replica(index, key).await.unwrap_or_else(|error| panic!("{error}"))
    }

    /// [`SimCluster::read_replica`] that reports failures instead of panicking.
    pub async fn try_read_replica(
        &self,
        index: usize,
        key: &[u8],
    ) -> Result<Option<Bytes>, ReplicaReadError> {
        let address = self.inner.placements[index].datastore_address();
        let reply = command_once(address, &[&b"GET"[..], key])
            .await
            .map_err(|source| ReplicaReadError::Client { index, source })?;
        match reply {
            Frame::Bulk(value) => Ok(Some(value)),
            Frame::Null => Ok(None),
            other => Err(ReplicaReadError::UnexpectedReply { index, reply: format!("{other:?}") }),
        }
    }

    /// Every key in node `index`'s datastore, sorted (`KEYS *`: meant for the small keyspaces of
    /// simulations). Runs from the calling task's host, like [`SimCluster::read_replica`].
    pub async fn replica_keys(&self, index: usize) -> Result<Vec<Bytes>, ReplicaReadError> {
        let address = self.inner.placements[index].datastore_address();
        let reply = command_once(address, &["KEYS", "*"])
            .await
            .map_err(|source| ReplicaReadError::Client { index, source })?;
        let Frame::Array(items) = reply else {
            return Err(ReplicaReadError::UnexpectedReply { index, reply: format!("{reply:?}") });
        };
        let mut keys = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Frame::Bulk(key) => keys.push(key),
                other => {
                    return Err(ReplicaReadError::UnexpectedReply { index, reply: format!("{other:?}") })
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}
