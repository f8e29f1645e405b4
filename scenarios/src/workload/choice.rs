//! What each operation of a client is: a seeded read/write mix over a small hot key set (so clients
//! collide on keys), and a unique value per write (client id + sequence) so reads can be attributed.

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One operation to invoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationChoice {
    /// `GET key`.
    Read {
        /// The key.
        key: Bytes,
    },
    /// `SET key value`.
    Write {
        /// The key.
        key: Bytes,
        /// A value no other write uses.
        value: Bytes,
    },
}

/// Draws a client's operations from its own seed.
pub struct OperationChooser {
    rng: ChaCha8Rng,
    client: usize,
    sequence: u64,
    read_percent: u8,
    hot_keys: usize,
}

impl OperationChooser {
    /// A chooser for `client`, seeded from its own sub-seed.
    pub fn new(seed: u64, client: usize, read_percent: u8, hot_keys: usize) -> OperationChooser {
        assert!(hot_keys > 0, "the hot key set is not empty");
        assert!(read_percent <= 100, "read_percent {read_percent}");
        OperationChooser { rng: ChaCha8Rng::seed_from_u64(seed), client, sequence: 0, read_percent, hot_keys }
    }

    /// The next operation.
    pub fn next_operation(&mut self) -> OperationChoice {
        self.sequence += 1;
        let key = Bytes::from(format!("key-{}", self.rng.gen_range(0..self.hot_keys)));
        if self.rng.gen_range(0..100u8) < self.read_percent {
            return OperationChoice::Read { key };
        }
        let value = Bytes::from(format!("c{}-s{}", self.client, self.sequence));
        OperationChoice::Write { key, value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_operations_and_values_are_unique() {
        let draw = |seed| {
            let mut chooser = OperationChooser::new(seed, 3, 50, 4);
            (0..50).map(|_| chooser.next_operation()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let values: Vec<Bytes> = draw(7)
            .into_iter()
            .filter_map(|op| match op {
                OperationChoice::Write { value, .. } => Some(value),
                OperationChoice::Read { .. } => None,
            })
            .collect();
        let mut unique = values.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), values.len());
        assert!(!values.is_empty() && values.len() < 50, "a mix of reads and writes");
    }
}
