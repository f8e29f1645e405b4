//! A YAML tree that keeps every mapping entry in document order, duplicates included.
//!
//! `serde_yaml` mappings reject or silently merge repeated keys depending on the target type, so the
//! loader first reads the document into [`Node`]s, checks the shape C Dynomite requires (one pool
//! key whose value is a flat mapping), and reports unknown and repeated keys itself. Scalars are kept
//! as text, exactly like C Dynomite's libyaml loader sees them: `tokens: 12` and `tokens: '12'` are
//! the same value.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::ConfigError;
use super::keys::{closest_key, KNOWN_KEYS};

/// One YAML value, scalars as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    /// `~`, `null` or nothing at all.
    Null,
    /// Any scalar (string, number, boolean), as text.
    Scalar(String),
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping, entries in document order, repeated keys kept.
    Mapping(Vec<(Node, Node)>),
}

impl fmt::Display for Node {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Null => formatter.write_str("~"),
            Node::Scalar(text) => formatter.write_str(text),
            Node::Sequence(items) => {
                let parts: Vec<String> = items.iter().map(Node::to_string).collect();
                write!(formatter, "[{}]", parts.join(", "))
            }
            Node::Mapping(entries) => {
                let parts: Vec<String> =
                    entries.iter().map(|(key, value)| format!("{key}: {value}")).collect();
                write!(formatter, "{{{}}}", parts.join(", "))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Builds a [`Node`] from whatever the YAML parser reports.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a YAML scalar, sequence or mapping")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Scalar(value.to_string()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Scalar(value.to_string()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Scalar(value.to_string()))
    }

    fn visit_i128<E>(self, value: i128) -> Result<Node, E> {
        Ok(Node::Scalar(value.to_string()))
    }

    fn visit_u128<E>(self, value: u128) -> Result<Node, E> {
        Ok(Node::Scalar(value.to_string()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Scalar(value.to_string()))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Scalar(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::Scalar(value))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = access.next_entry::<Node, Node>()? {
            entries.push(entry);
        }
        Ok(Node::Mapping(entries))
    }
}

/// The single pool of a document: its name and its entries, checked for shape, unknown keys,
/// repeated keys and empty values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntries {
    /// The top-level key, conventionally `dyn_o_mite`.
    pub name: String,
    /// `key: value` entries in document order.
    pub entries: Vec<(String, Node)>,
}

/// Reads `text` as YAML and extracts its one pool, rejecting every shape C Dynomite rejects.
pub fn load_pool(text: &str) -> Result<PoolEntries, ConfigError> {
    let root: Node = serde_yaml::from_str(text).map_err(|error| ConfigError::from_yaml(&error))?;
    let (name, value) = single_pool(root)?;
    let entries = match value {
        Node::Mapping(entries) => entries,
        other => return Err(ConfigError::PoolNotMapping { pool: name, found: other.to_string() }),
    };
    let entries = check_entries(&name, entries)?;
    Ok(PoolEntries { name, entries })
}

/// The one `(pool name, pool value)` pair of the document.
fn single_pool(root: Node) -> Result<(String, Node), ConfigError> {
    let mut entries = match root {
        Node::Mapping(entries) if !entries.is_empty() => entries,
        _ => return Err(ConfigError::NoPool),
    };
    if entries.len() > 1 {
        let names: Vec<String> = entries.iter().map(|(key, _)| format!("'{key}'")).collect();
        return Err(ConfigError::SeveralPools { count: entries.len(), names: names.join(", ") });
    }
    let (key, value) = entries.remove(0);
    match key {
        Node::Scalar(name) if !name.is_empty() => Ok((name, value)),
        other => Err(ConfigError::InvalidPoolName { found: other.to_string() }),
    }
}

/// Checks every pool entry's key (known, not repeated, text) and value (present).
fn check_entries(pool: &str, entries: Vec<(Node, Node)>) -> Result<Vec<(String, Node)>, ConfigError> {
    let mut checked: Vec<(String, Node)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let key = match key {
            Node::Scalar(text) => text,
            other => {
                return Err(ConfigError::UnknownKey {
                    pool: pool.to_string(),
                    key: other.to_string(),
                    suggestion: None,
                })
            }
        };
        let Some(known) = KNOWN_KEYS.iter().find(|known| **known == key) else {
            let suggestion = closest_key(&key);
            return Err(ConfigError::UnknownKey { pool: pool.to_string(), key, suggestion });
        };
        if checked.iter().any(|(seen, _)| *seen == key) {
            return Err(ConfigError::DuplicateKey { pool: pool.to_string(), key });
        }
        if value == Node::Null {
            return Err(ConfigError::EmptyValue { pool: pool.to_string(), key: known });
        }
        checked.push((key, value));
    }
    Ok(checked)
}
