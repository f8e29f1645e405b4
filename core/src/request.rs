//! A client request resolved once, at the edge: the command's table entry, its access class, its
//! routing, its key positions and the token of its first key. Later code (the coordinator, the
//! remote-datacenter receiver) works from these typed fields and never looks the command up again or
//! matches on its name.
//!
//! The few commands whose handling differs inside one routing class get a typed kind here
//! ([`ClusterWideKind`], [`BroadcastKind`], [`SameNodeKind`]), computed from the table entry once.

use bytes::Bytes;

use crate::command::{self, Access, CommandError, CommandSpec, Group, ReplyOrder, Routing};
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

    /// The datastore or peer connection shard this request takes: its token (0 without a key), so all
    /// requests of one key share one ordered connection.
    pub fn shard(&self) -> u32 {
        self.token.unwrap_or(0)
    }
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
