//! The typed Redis 7.0 command table: every command's arity, key positions, read/write class, flags
//! and how Dynomite routes it.
//!
//! A request's name is turned into a [`CommandSpec`] exactly once, at the edge ([`resolve`]); from then
//! on the proxy works with the spec: [`CommandSpec::key_indexes`] says which arguments are keys (for
//! hashing to a token), [`CommandSpec::access`] whether it is replicated as a write, and
//! [`CommandSpec::routing`] where it goes. [`command_reply`] answers `COMMAND` from the same table.
//!
//! Lookup is case-insensitive and allocation-free: a binary search over the names, comparing the
//! request's bytes upper-cased on the fly (the sorted index is built once, on first use).
//!
//! Arity, flags, ACL categories, tips and the legacy first/last/step triple mirror redis-server
//! 7.0.15 (`core/tests/command_vs_redis.rs` compares them). Dynomite decisions, including the places
//! where C Dynomite was wrong:
//! - UNLINK is parsed and routed like DEL (split by owner, counts summed); TTL, PTTL, EXPIRETIME and
//!   PEXPIRETIME are reads.
//! - SUNIONSTORE, SDIFFSTORE, SINTERSTORE, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE,
//!   GEOSEARCHSTORE, BITOP, SORT ... STORE and GEORADIUS ... STORE are writes whose destination is
//!   one of their keys; all their keys must live on one node ([`Routing::SameNode`]).
//! - EVAL, EVALSHA and FCALL are writes (a script may write); their `_RO` forms are reads.
//! - SORT and GEORADIUS(BYMEMBER) are writes in the table (as in Redis) but
//!   [`CommandSpec::request_access`] makes them reads when the request has no STORE option.
//! - Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN/MAX, BLMPOP, BZMPOP) are refused:
//!   a datastore connection is shared by many clients and one blocked request would stall them all.
//!   XREAD/XREADGROUP are served without BLOCK and refused with it ([`CommandSpec::request_routing`]).
//! - Refused with a reason ([`Routing::Unsupported`]): transactions, pub/sub, MONITOR, replication
//!   commands, SHUTDOWN, DEBUG (and PFDEBUG, PFSELFTEST), Redis Cluster commands, MIGRATE, MOVE, SWAPDB,
//!   FAILOVER, ACL, module loading, SCRIPT DEBUG, and CONFIG SET/REWRITE (they would change one
//!   datastore of the cluster only; configure every datastore directly). CONFIG GET/RESETSTAT go to
//!   the local datastore.
//! - Reply order ([`CommandSpec::reply_order`]) comes from Redis 7's tips: `nondeterministic_output_order`
//!   replies (SMEMBERS, HGETALL, KEYS, ...) are compared as multisets at the quorum levels (see
//!   [`crate::cluster::canonical_reply`]); `nondeterministic_output` replies (SRANDMEMBER, SPOP, TTL,
//!   SCAN, ...) cannot be compared between replicas at all.
//! - SELECT is answered by the proxy (SELECT 0 succeeds, other databases are refused).
//! - FLUSHALL, FLUSHDB, SCRIPT LOAD/FLUSH/EXISTS and FUNCTION LOAD/DELETE/FLUSH/RESTORE go to every
//!   node ([`Routing::Broadcast`]); KEYS, SCAN, DBSIZE, RANDOMKEY go over the local rack
//!   ([`Routing::ClusterWide`]); other key-less commands are answered by the local datastore.

mod error;
mod flags;
mod keys;
pub mod reason;
mod reply;
mod table;

use bytes::Bytes;

pub use error::{CommandError, ERROR_ECHO_MAX_BYTES};
pub use flags::{AclCategories, AclCategory, Flag, Flags, Group};
pub use keys::{KeySpec, NumKeysErrors};
pub use reply::command_reply;

/// Longest command name in the table (`GEORADIUSBYMEMBER_RO`) rounded up: longer names are unknown
/// without a search.
pub const COMMAND_NAME_MAX_BYTES: usize = 32;

/// Redis 7 tip: the reply may differ between calls on the same data ([`ReplyOrder::Random`]).
pub const TIP_NONDETERMINISTIC_OUTPUT: &str = "nondeterministic_output";

/// Redis 7 tip: the reply's elements are fixed by the data, their order is not ([`ReplyOrder::Unordered`]).
pub const TIP_NONDETERMINISTIC_OUTPUT_ORDER: &str = "nondeterministic_output_order";

/// Whether a command reads data, writes data, or acts on server state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Reads data: served by one replica per the read consistency.
    Read,
    /// Writes data: replicated to every rack per the write consistency.
    Write,
    /// Neither: server state, connection state, administration.
    Admin,
}

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Routing {
    /// Exactly one key: sent to the node owning it.
    SingleKey,
    /// Several independent keys (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH): split by owner, replies
    /// reassembled.
    MultiKeySplit,
    /// Several keys that must all live on one node (RENAME, SMOVE, LMOVE, EVAL, SUNIONSTORE, MSETNX, ...).
    SameNode,
    /// Answered by the proxy itself (PING, ECHO, HELLO, AUTH, CLIENT, SELECT, QUIT, RESET, COMMAND, INFO).
    Proxy,
    /// No key, answered by the local datastore (TIME, LASTSAVE, CONFIG GET, SLOWLOG, ...).
    LocalDatastore,
    /// Over every node of the local rack (KEYS, SCAN, DBSIZE, RANDOMKEY).
    ClusterWide,
    /// To every node (FLUSHALL, SCRIPT LOAD, FUNCTION LOAD, ...).
    Broadcast,
    /// Refused, with the reason shown to the client.
    Unsupported(&'static str),
}

/// Whether replicas holding the same data send the same reply bytes, from Redis 7's command tips
/// ([`CommandSpec::reply_order`]).
///
/// Redis 7 documents this per command in the tips of `COMMAND INFO` (field 8, e.g. `SMEMBERS` carries
/// `nondeterministic_output_order`); the table copies them and `core/tests/command_vs_redis.rs` checks
/// every command's tips against a real redis-server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReplyOrder {
    /// Same data, same bytes: replies can be compared byte for byte (GET, HGET, LRANGE, ZRANGE, ...).
    Defined,
    /// Same elements in an order each server chooses (`nondeterministic_output_order`: SMEMBERS,
    /// HGETALL, HKEYS, HVALS, SINTER, SUNION, SDIFF, KEYS, ...): compare replies as multisets, in the
    /// canonical order of [`crate::cluster::canonical_reply`].
    Unordered,
    /// The reply may differ even on identical data (`nondeterministic_output`: SRANDMEMBER, HRANDFIELD,
    /// ZRANDMEMBER, RANDOMKEY, SPOP, SCAN, TTL, TIME, ...): replicas cannot be expected to agree.
    Random,
}

/// One command (or subcommand) of the table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CommandSpec {
    /// Upper-case name; subcommands are `CONTAINER|SUB`, e.g. `SCRIPT|LOAD`.
    pub name: &'static str,
    /// Redis arity, counting the name (and the subcommand); negative means "at least -arity".
    pub arity: i32,
    /// Read, write or admin.
    pub access: Access,
    /// Where the keys are.
    pub keys: KeySpec,
    /// Where the request goes.
    pub routing: Routing,
    /// Redis command flags.
    pub flags: Flags,
    /// Redis ACL categories.
    pub acl_categories: AclCategories,
    /// Redis command tips (`nondeterministic_output`, `request_policy:all_shards`, ...).
    pub tips: &'static [&'static str],
    /// Documentation group.
    pub group: Group,
    /// Redis version that introduced the command.
    pub since: &'static str,
    /// Subcommands of a container command (SCRIPT, CLIENT, ...); empty otherwise.
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A spec without flags, categories, tips or subcommands (const builder for the table).
    pub const fn new(
        name: &'static str,
        arity: i32,
        access: Access,
        keys: KeySpec,
        routing: Routing,
    ) -> Self {
        CommandSpec {
            name,
            arity,
            access,
            keys,
            routing,
            flags: Flags::EMPTY,
            acl_categories: AclCategories::EMPTY,
            tips: &[],
            group: Group::Generic,
            since: "",
            subcommands: &[],
        }
    }

    /// Sets the flags.
    pub const fn flags(mut self, flags: Flags) -> Self {
        self.flags = flags;
        self
    }

    /// Sets the ACL categories.
    pub const fn acl_categories(mut self, categories: AclCategories) -> Self {
        self.acl_categories = categories;
        self
    }

    /// Sets the tips.
    pub const fn tips(mut self, tips: &'static [&'static str]) -> Self {
        self.tips = tips;
        self
    }

    /// Sets the documentation group and the introducing version.
    pub const fn docs(mut self, group: Group, since: &'static str) -> Self {
        self.group = group;
        self.since = since;
        self
    }

    /// Sets the subcommands.
    pub const fn subcommands(mut self, subcommands: &'static [CommandSpec]) -> Self {
        self.subcommands = subcommands;
        self
    }

    /// Whether replicas with the same data answer the same bytes, from the Redis 7 tips:
    /// `nondeterministic_output` makes the reply [`ReplyOrder::Random`] (it wins when a command had
    /// both), `nondeterministic_output_order` makes it [`ReplyOrder::Unordered`], no such tip
    /// [`ReplyOrder::Defined`].
    pub fn reply_order(&self) -> ReplyOrder {
        if self.tips.contains(&TIP_NONDETERMINISTIC_OUTPUT) {
            ReplyOrder::Random
        } else if self.tips.contains(&TIP_NONDETERMINISTIC_OUTPUT_ORDER) {
            ReplyOrder::Unordered
        } else {
            ReplyOrder::Defined
        }
    }

    /// True for container commands (SCRIPT, CLIENT, CONFIG, ...), whose second argument names a
    /// subcommand.
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }

    /// True when `count` arguments (including the name) fit the arity.
    pub fn accepts_argument_count(&self, count: usize) -> bool {
        let arity = self.arity.unsigned_abs() as usize;
        if self.arity < 0 {
            count >= arity
        } else {
            count == arity
        }
    }

    /// Argument indexes of the keys of `args` (the whole request, name at index 0), in request order,
    /// the destination of `*STORE` commands included. Errors with Redis's texts when the key count
    /// or the options cannot be parsed, or when `args` does not fit the arity.
    pub fn key_indexes(&self, args: &[Bytes]) -> Result<Vec<usize>, CommandError> {
        self.check_arity(args.len())?;
        Ok(self.keys.find(self.name, args)?.indexes)
    }

    /// The routing of this particular request: [`CommandSpec::routing`], except that XREAD and
    /// XREADGROUP with BLOCK are refused (a blocked request would stall a shared datastore
    /// connection). Requests whose keys cannot be parsed keep the table routing; `key_indexes`
    /// reports their error.
    pub fn request_routing(&self, args: &[Bytes]) -> Routing {
        if let KeySpec::Streams { .. } = self.keys {
            if self.keys.find(self.name, args).map(|found| found.blocking).unwrap_or(false) {
                return Routing::Unsupported(reason::BLOCKING_STREAM_READ);
            }
        }
        self.routing
    }

    /// The access class of this particular request: [`CommandSpec::access`], except that SORT and
    /// GEORADIUS(BYMEMBER) without a STORE/STOREDIST destination only read.
    pub fn request_access(&self, args: &[Bytes]) -> Access {
        if crate::mutant!(DeleteAsRead) && matches!(self.name, "DEL" | "UNLINK") {
            return Access::Read;
        }
        if crate::mutant!(ExpireAsRead) && matches!(self.name, "EXPIRE" | "PEXPIRE") {
            return Access::Read;
        }
        match self.keys {
            KeySpec::Sort | KeySpec::GeoRadius { .. } => match self.keys.find(self.name, args) {
                Ok(found) if found.indexes.len() == 1 => Access::Read,
                _ => self.access,
            },
            _ => self.access,
        }
    }

    fn check_arity(&self, count: usize) -> Result<(), CommandError> {
        if self.accepts_argument_count(count) {
            Ok(())
        } else {
            Err(CommandError::WrongArity { command: self.name })
        }
    }

    /// The subcommand named `name` (case-insensitive), e.g. `load` for `SCRIPT`.
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        let prefix_length = self.name.len() + 1;
        self.subcommands.iter().find(|sub| {
            sub.name.as_bytes().get(prefix_length..).is_some_and(|own| own.eq_ignore_ascii_case(name))
        })
    }
}

/// The top-level command named `name`, compared case-insensitively, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > COMMAND_NAME_MAX_BYTES {
        return None;
    }
    table::find(name)
}

/// A command or subcommand by its full name: `get`, `script|load` (as COMMAND INFO/DOCS accept it).
pub fn lookup_full_name(name: &[u8]) -> Option<&'static CommandSpec> {
    match name.iter().position(|byte| *byte == b'|') {
        None => lookup(name),
        Some(bar) => lookup(&name[..bar])?.subcommand(&name[bar + 1..]),
    }
}

/// Every top-level command, sorted by name.
pub fn all_commands() -> &'static [&'static CommandSpec] {
    table::index()
}

/// Resolves a request: `args[0]` names the command and, for a container command with at least two
/// arguments, `args[1]` the subcommand; then checks the arity. Errors carry Redis 7's exact texts.
pub fn resolve(args: &[Bytes]) -> Result<&'static CommandSpec, CommandError> {
    let Some(name) = args.first() else {
        return Err(CommandError::EmptyRequest);
    };
    let Some(command) = lookup(name) else {
        let echoed = args[1..].iter().take(error::ECHOED_ARGUMENTS_MAX).cloned().collect();
        return Err(CommandError::UnknownCommand { name: name.clone(), args: echoed });
    };
    let spec = match args.get(1) {
        Some(sub) if command.is_container() => command.subcommand(sub).ok_or_else(|| {
            CommandError::UnknownSubcommand { container: command.name, subcommand: sub.clone() }
        })?,
        _ => command,
    };
    spec.check_arity(args.len())?;
    Ok(spec)
}
