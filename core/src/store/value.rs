//! The values a key can hold and the per-key entry (value plus optional expiry).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;

use super::sorted_set::SortedSet;

/// Fixed per-key overhead assumed by the memory estimate.
const ENTRY_OVERHEAD_BYTES: usize = 48;
/// Fixed per-element overhead assumed by the memory estimate.
const ELEMENT_OVERHEAD_BYTES: usize = 16;

/// One key's value and expiry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry, Unix milliseconds; `None` for a persistent key.
    pub expires_at_ms: Option<u64>,
}

impl Entry {
    /// A persistent entry.
    pub fn new(value: Value) -> Entry {
        Entry { value, expires_at_ms: None }
    }

    /// True when the key's TTL has passed at `now_ms` (Redis's `now > when`: a key is still alive
    /// during its expiry millisecond).
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expires_at_ms.is_some_and(|when| now_ms > when)
    }

    /// A rough size estimate for INFO memory.
    pub fn estimated_size_bytes(&self) -> usize {
        ENTRY_OVERHEAD_BYTES + self.value.estimated_size_bytes()
    }
}

/// A Redis value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// A string (also holds integers and floats in text form).
    String(Bytes),
    /// A hash; fields keep insertion order like a small Redis hash (listpack).
    Hash(OrderedHash),
    /// A set.
    Set(BTreeSet<Bytes>),
    /// A sorted set.
    SortedSet(SortedSet),
    /// A list.
    List(VecDeque<Bytes>),
}

impl Value {
    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::SortedSet(_) => "zset",
            Value::List(_) => "list",
        }
    }

    /// True for a collection with no element (Redis deletes such keys).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::String(_) => false,
            Value::Hash(hash) => hash.is_empty(),
            Value::Set(set) => set.is_empty(),
            Value::SortedSet(set) => set.is_empty(),
            Value::List(list) => list.is_empty(),
        }
    }

    fn estimated_size_bytes(&self) -> usize {
        match self {
            Value::String(text) => text.len(),
            Value::Hash(hash) => {
                hash.iter().map(|(field, value)| field.len() + value.len() + ELEMENT_OVERHEAD_BYTES).sum()
            }
            Value::Set(set) => set.iter().map(|member| member.len() + ELEMENT_OVERHEAD_BYTES).sum(),
            Value::SortedSet(set) => {
                set.iter().map(|(member, _)| member.len() + 8 + 2 * ELEMENT_OVERHEAD_BYTES).sum()
            }
            Value::List(list) => list.iter().map(|item| item.len() + ELEMENT_OVERHEAD_BYTES).sum(),
        }
    }
}

/// A map that remembers insertion order (updates keep their place), like a Redis listpack hash.
#[derive(Debug, Clone, Default)]
pub(crate) struct OrderedHash {
    /// Insertion sequence → (field, value).
    by_order: BTreeMap<u64, (Bytes, Bytes)>,
    /// Field → insertion sequence.
    by_field: BTreeMap<Bytes, u64>,
    /// Sequence number of the next new field.
    next_sequence: u64,
}

impl OrderedHash {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.by_field.len()
    }

    /// True without fields.
    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty()
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        let sequence = self.by_field.get(field)?;
        self.by_order.get(sequence).map(|(_, value)| value)
    }

    /// Sets `field`; returns true when the field is new.
    pub fn insert(&mut self, field: Bytes, value: Bytes) -> bool {
        if let Some(sequence) = self.by_field.get(&field) {
            if let Some(slot) = self.by_order.get_mut(sequence) {
                slot.1 = value;
            }
            return false;
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.by_field.insert(field.clone(), sequence);
        self.by_order.insert(sequence, (field, value));
        true
    }

    /// Removes `field`; returns true when it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.by_field.remove(field) {
            Some(sequence) => self.by_order.remove(&sequence).is_some(),
            None => false,
        }
    }

    /// Fields and values in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.by_order.values().map(|(field, value)| (field, value))
    }
}

/// Casts used by [`super::Store::typed`]: each returns the inner collection of one type.
pub(crate) mod cast {
    use std::collections::{BTreeSet, VecDeque};

    use bytes::Bytes;

    use super::{OrderedHash, SortedSet, Value};

    /// The string inside a string value.
    pub fn string(value: &mut Value) -> Option<&mut Bytes> {
        match value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The hash inside a hash value.
    pub fn hash(value: &mut Value) -> Option<&mut OrderedHash> {
        match value {
            Value::Hash(hash) => Some(hash),
            _ => None,
        }
    }

    /// The set inside a set value.
    pub fn set(value: &mut Value) -> Option<&mut BTreeSet<Bytes>> {
        match value {
            Value::Set(set) => Some(set),
            _ => None,
        }
    }

    /// The sorted set inside a zset value.
    pub fn sorted_set(value: &mut Value) -> Option<&mut SortedSet> {
        match value {
            Value::SortedSet(set) => Some(set),
            _ => None,
        }
    }

    /// The list inside a list value.
    pub fn list(value: &mut Value) -> Option<&mut VecDeque<Bytes>> {
        match value {
            Value::List(list) => Some(list),
            _ => None,
        }
    }
}
