//! Cluster-wide `SCAN` over the nodes of the local rack with one composite cursor.
//!
//! A rack holds every key once, so scanning each of its nodes in turn visits the whole keyspace. The
//! client sees one integer cursor (clients such as redis-py and go-redis parse it as an unsigned
//! 64-bit integer), laid out as:
//!
//! ```text
//!  63            54 53                                            0
//! +----------------+-----------------------------------------------+
//! |  node index    |  that node's own SCAN cursor                  |
//! |  (10 bits)     |  (54 bits)                                    |
//! +----------------+-----------------------------------------------+
//! ```
//!
//! `0` is node 0 with cursor 0: the start, as in Redis. When a node returns cursor 0 the scan moves on
//! to the next node with cursor 0; when the last node returns 0 the client gets 0: the end. A Redis
//! cursor never exceeds its hash table's size mask, so 54 bits cover tables of up to 2^54 buckets.

/// Bits of the composite cursor that carry the node's own cursor.
pub const NODE_CURSOR_BITS: u32 = 54;

/// Nodes one rack may have for a cluster-wide SCAN (what the upper 10 bits can name).
pub const RACK_NODES_MAX_COUNT: usize = 1 << (u64::BITS - NODE_CURSOR_BITS);

/// The largest node cursor the layout can carry.
pub const NODE_CURSOR_MAX: u64 = (1 << NODE_CURSOR_BITS) - 1;

/// Why a cursor could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not a decimal unsigned 64-bit integer; `Display` is Redis's own error line text.
    #[error("ERR invalid cursor")]
    Invalid,
    /// The cursor names a node the rack does not have (a stale cursor after the rack shrank, or a
    /// made-up one).
    #[error("ERR invalid cursor: node {node_index} is not among the rack's {node_count} nodes")]
    NodeOutOfRange {
        /// The node the cursor names.
        node_index: usize,
        /// The nodes the rack has.
        node_count: usize,
    },
    /// A node returned a cursor wider than [`NODE_CURSOR_BITS`].
    #[error("node cursor {node_cursor} does not fit in {NODE_CURSOR_BITS} bits")]
    NodeCursorTooLarge {
        /// The cursor the node returned.
        node_cursor: u64,
    },
}

/// Where a cluster-wide SCAN stands: which node of the rack, and that node's own cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterCursor {
    /// The index of the node being scanned, in the rack's token order.
    pub node_index: usize,
    /// The cursor to send to that node's SCAN.
    pub node_cursor: u64,
}

impl ClusterCursor {
    /// The cursor a scan starts from (what the client's `0` decodes to).
    pub const START: ClusterCursor = ClusterCursor { node_index: 0, node_cursor: 0 };

    /// The composite integer the client sees.
    pub fn encode(&self) -> Result<u64, CursorError> {
        if self.node_cursor > NODE_CURSOR_MAX {
            return Err(CursorError::NodeCursorTooLarge { node_cursor: self.node_cursor });
        }
        let node_index =
            u64::try_from(self.node_index).ok().filter(|&index| index < RACK_NODES_MAX_COUNT as u64);
        let Some(node_index) = node_index else {
            let node_count = RACK_NODES_MAX_COUNT;
            return Err(CursorError::NodeOutOfRange { node_index: self.node_index, node_count });
        };
        Ok(node_index << NODE_CURSOR_BITS | self.node_cursor)
    }

    /// Reads the client's cursor argument for a rack of `node_count` nodes. Accepts decimal digits only.
    pub fn decode(text: &[u8], node_count: usize) -> Result<ClusterCursor, CursorError> {
        let valid = !text.is_empty() && text.iter().all(u8::is_ascii_digit);
        let number =
            std::str::from_utf8(text).ok().filter(|_| valid).and_then(|digits| digits.parse::<u64>().ok());
        let number = number.ok_or(CursorError::Invalid)?;
        let node_index = usize::try_from(number >> NODE_CURSOR_BITS).unwrap_or(usize::MAX);
        if node_index >= node_count {
            return Err(CursorError::NodeOutOfRange { node_index, node_count });
        }
        Ok(ClusterCursor { node_index, node_cursor: number & NODE_CURSOR_MAX })
    }

    /// Where the scan goes after the current node answered `returned_cursor`: the same node again, the
    /// next node from 0, or `None` when the last node finished (the client then gets cursor 0).
    pub fn advance(&self, returned_cursor: u64, node_count: usize) -> Option<ClusterCursor> {
        if returned_cursor != 0 {
            return Some(ClusterCursor { node_index: self.node_index, node_cursor: returned_cursor });
        }
        // Mutant: finishing a node skips the one after it.
        let step = if crate::mutant!(ScanSkipsNode) { 2 } else { 1 };
        let next = self.node_index.checked_add(step).filter(|&next| next < node_count)?;
        Some(ClusterCursor { node_index: next, node_cursor: 0 })
    }

    /// The composite cursor to return to the client after the current node answered `returned_cursor`:
    /// `0` when the whole rack has been scanned.
    pub fn next_client_cursor(&self, returned_cursor: u64, node_count: usize) -> Result<u64, CursorError> {
        match self.advance(returned_cursor, node_count) {
            Some(next) => next.encode(),
            None => Ok(0),
        }
    }
}
