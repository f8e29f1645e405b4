//! A client request resolved once, at the edge: the command's table entry, its access class, its
//! routing, its key positions and the token of its first key. Later code (the coordinator, the
//! remote-datacenter receiver) works from these typed fields and never looks the command up again or
//! matches on its name.
//!
//! The few commands whose handling differs inside one routing class get a typed kind here
//! ([`ClusterWideKind`], [`BroadcastKind`], [`SameNodeKind`]), computed from the table entry once.
//!
//! # Order shards
//! A pooled connection (a slot of the datastore pool, a connection of a peer link) applies its
//! requests in order; two pooled connections do not. So every pool picks a request's connection the
//! same way, from the request's *order shard*: its first key's token modulo [`ORDER_SHARD_COUNT`]
//! (shard 0 without a key), and the connection is `shard % pool size` ([`pool_slot`]). Keys of one
//! order shard take the same connection of every pool of any size up to [`CONNECTIONS_MAX`]: the local
//! datastore pool, every peer link, and the datastore pool of the replica that executes what the link
//! carried (it picks by the same shard). A multi-key request whose keys fall in different shards is
//! split so that each fragment's keys share one ([`OrderSplit`]).

use bytes::Bytes;

use crate::command::{self, Access, CommandError, CommandSpec, Group, ReplyOrder, Routing};
use crate::config::keys::CONNECTIONS_MAX;
use crate::config::{HashAlgorithm, HashTag};
use crate::ring::key_token;

/// Which cluster-wide command (over every node of the local rack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterWideKind {
    /// `SCAN`: one node at a time, with the composite cursor.
    Scan,
    /// `KEYS`: every node's keys, concatenated.
    Keys,
    /// `DBSIZE`: the nodes' counts, summed.
    DbSize,
    /// `RANDOMKEY`: the first key any node returns.
    RandomKey,
    /// Another cluster-wide command: the local datastore answers.
    Other,
}

/// Which broadcast command (to every node of the cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastKind {
    /// `SCRIPT EXISTS`: a script exists only where every node has it (flags combined).
    ScriptExists,
    /// Every other broadcast: the nodes must agree.
    Other,
}

/// Which error a same-node command whose keys span nodes gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameNodeKind {
    /// EVAL, EVALSHA, FCALL and their `_RO` forms (C Dynomite's script text).
    Script,
    /// Other commands whose keys must share a node (RENAME, SMOVE, *STORE, ...).
    Command,
}

impl SameNodeKind {
    /// The error a request gets when its keys live on different nodes.
    pub fn spanning_error(self) -> &'static str {
        match self {
            SameNodeKind::Script => "ERR Dynomite: Keys in the script cannot span multiple nodes",
            SameNodeKind::Command => "ERR Dynomite: Keys in the command cannot span multiple nodes",
        }
    }
}

/// How the key's token is computed (the ring's `hash` and `hash_tag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHasher {
    /// `hash`.
    pub algorithm: HashAlgorithm,
    /// `hash_tag`.
    pub tag: Option<HashTag>,
}

impl KeyHasher {
    /// The token of `key`.
    pub fn token(&self, key: &[u8]) -> u32 {
        key_token(key, self.algorithm, self.tag)
    }
}

/// Where a request goes and how it is handled there: [`Routing`] with the per-command differences
/// resolved into typed kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exactly one key: its replicas.
    SingleKey,
    /// Several keys that must share their replicas (EVAL, RENAME, *STORE, ...).
    SameNode(SameNodeKind),
    /// MGET, MSET, DEL, UNLINK, EXISTS, TOUCH: split by replica set, merged in key order.
    MultiKey,
    /// Over every node of the local rack.
    ClusterWide(ClusterWideKind),
    /// To every node of the cluster.
    Broadcast(BroadcastKind),
    /// No key: the local datastore answers.
    LocalDatastore,
    /// The proxy answers (PING, HELLO, CLIENT, INFO, ...).
    Proxy,
}

/// One resolved request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The command's (or subcommand's) table entry.
    pub spec: &'static CommandSpec,
    /// The whole request, the name at index 0.
    pub args: Vec<Bytes>,
    /// This request's access class ([`CommandSpec::request_access`]).
    pub access: Access,
    /// Where it goes ([`CommandSpec::request_routing`], typed).
    pub kind: Kind,
    /// Whether replicas answer the same bytes ([`CommandSpec::reply_order`]).
    pub reply_order: ReplyOrder,
    /// Argument indexes of the keys, in request order, for single-key and same-node requests (empty
    /// otherwise: the multi-key splitter reads its keys itself).
    pub key_indexes: Vec<usize>,
    /// The token of the first key: single-key, same-node and multi-key requests (None without keys).
    pub token: Option<u32>,
}

impl Request {
    /// Resolves `args` against the command table. Errors (Redis's texts): empty request, unknown
    /// command or subcommand, wrong arity, keys that cannot be parsed, and a command Dynomite refuses
    /// ([`Routing::Unsupported`]).
    pub fn resolve(args: Vec<Bytes>, hasher: &KeyHasher) -> Result<Request, CommandError> {
        let spec = command::resolve(&args)?;
        let kind = match spec.request_routing(&args) {
            Routing::Unsupported(reason) => {
                return Err(CommandError::Unsupported { command: spec.name, reason });
            }
            Routing::SingleKey => Kind::SingleKey,
            Routing::SameNode => Kind::SameNode(same_node_kind(spec)),
            Routing::MultiKeySplit => Kind::MultiKey,
            Routing::ClusterWide => Kind::ClusterWide(cluster_wide_kind(spec)),
            Routing::Broadcast => Kind::Broadcast(broadcast_kind(spec)),
            Routing::LocalDatastore => Kind::LocalDatastore,
            Routing::Proxy => Kind::Proxy,
        };
        let key_indexes = match kind {
            Kind::SingleKey | Kind::SameNode(_) => spec.key_indexes(&args)?,
            _ => Vec::new(),
        };
        let first_key = match kind {
            Kind::MultiKey => args.get(1),
            _ => key_indexes.first().map(|&index| &args[index]),
        };
        let token = first_key.map(|key| hasher.token(key));
        let access = spec.request_access(&args);
        Ok(Request { spec, access, kind, reply_order: spec.reply_order(), key_indexes, token, args })
    }

    /// The order shard this request's pooled connections are chosen by ([`order_shard`] of its first
    /// key's token; 0 without a key), so all requests of one key share one ordered connection.
    pub fn shard(&self) -> u32 {
        order_shard(self.token.unwrap_or(0))
    }
}

/// Order shards: every pool size the configuration allows ([`CONNECTIONS_MAX`]) uses all of its
/// connections, and keys of one shard share a connection in every pool.
pub const ORDER_SHARD_COUNT: u32 = CONNECTIONS_MAX as u32;

/// The order shard of a key's token.
pub fn order_shard(token: u32) -> u32 {
    token % ORDER_SHARD_COUNT
}

/// The connection (0-based) a request of order shard `shard` takes in a pool of `pool_size`
/// connections. `shard` may also be the token itself: the result is the same.
pub fn pool_slot(shard: u32, pool_size: usize) -> usize {
    order_shard(shard) as usize % pool_size.max(1)
}

/// How finely a multi-key request (MGET, MSET, DEL, ...) is split for order: keys of one replica set
/// share a fragment only when their [`OrderSplit::group`] is equal, which guarantees that they take the
/// same connection of every pool whose size divides the split's modulus (the least common multiple of
/// the pool sizes given, or all [`ORDER_SHARD_COUNT`] shards, which suit every size, when that is
/// larger). With every pool at one connection the modulus is 1: no split beyond the replica sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSplit {
    modulus: u32,
}

impl OrderSplit {
    /// The split for these pool sizes (a node's `datastore_connections`, `local_peer_connections` and
    /// `remote_peer_connections`).
    pub fn for_pools(pool_sizes: impl IntoIterator<Item = usize>) -> OrderSplit {
        let mut modulus: u64 = 1;
        for size in pool_sizes {
            let size = size.max(1) as u64;
            modulus = modulus / greatest_common_divisor(modulus, size) * size;
            if modulus >= u64::from(ORDER_SHARD_COUNT) {
                return OrderSplit { modulus: ORDER_SHARD_COUNT };
            }
        }
        OrderSplit { modulus: modulus as u32 }
    }

    /// The number of groups keys fall in (1: nothing to split for order).
    pub fn modulus(self) -> u32 {
        self.modulus
    }

    /// Whether keys may need different connections (some pool has more than one).
    pub fn is_needed(self) -> bool {
        self.modulus > 1
    }

    /// The group of a key's token: keys of equal groups take one connection in every pool the split
    /// was made for.
    pub fn group(self, token: u32) -> u32 {
        order_shard(token) % self.modulus
    }
}

fn greatest_common_divisor(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The one place cluster-wide commands are told apart by name.
fn cluster_wide_kind(spec: &CommandSpec) -> ClusterWideKind {
    match spec.name {
        "SCAN" => ClusterWideKind::Scan,
        "KEYS" => ClusterWideKind::Keys,
        "DBSIZE" => ClusterWideKind::DbSize,
        "RANDOMKEY" => ClusterWideKind::RandomKey,
        _ => ClusterWideKind::Other,
    }
}

/// The one place broadcast commands are told apart by name.
fn broadcast_kind(spec: &CommandSpec) -> BroadcastKind {
    match spec.name {
        "SCRIPT|EXISTS" => BroadcastKind::ScriptExists,
        _ => BroadcastKind::Other,
    }
}

/// Scripts (by their documentation group) or other commands.
fn same_node_kind(spec: &CommandSpec) -> SameNodeKind {
    match spec.group {
        Group::Scripting => SameNodeKind::Script,
        _ => SameNodeKind::Command,
    }
}
