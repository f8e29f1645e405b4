//! The command data, one file per Redis documentation group, and the sorted name index over it.
//!
//! The group files were generated from redis-server 7.0.15's `COMMAND` and `COMMAND DOCS` output
//! (arity, flags, ACL categories, tips, key positions, group, since) and then given Dynomite's
//! access and routing decisions; `core/tests/command_vs_redis.rs` keeps them honest.

mod bitmap;
mod cluster;
mod connection;
mod generic;
mod geo;
mod hash;
mod hyperloglog;
mod list;
mod pubsub;
mod scripting;
mod server;
mod set;
mod sorted_set;
mod stream;
mod string;
mod transactions;

use std::cmp::Ordering;
use std::sync::OnceLock;

use super::CommandSpec;

/// What the group files need in scope.
mod prelude {
    pub(super) use super::super::keys::{KeySpec, NumKeysErrors};
    pub(super) use super::super::reason;
    pub(super) use super::super::{Access, CommandSpec, Routing};
    pub(super) use super::super::{AclCategories, AclCategory, Flag, Flags, Group};
}

/// Every group's commands.
const GROUPS: [&[CommandSpec]; 16] = [
    bitmap::COMMANDS,
    cluster::COMMANDS,
    connection::COMMANDS,
    generic::COMMANDS,
    geo::COMMANDS,
    hash::COMMANDS,
    hyperloglog::COMMANDS,
    list::COMMANDS,
    pubsub::COMMANDS,
    scripting::COMMANDS,
    server::COMMANDS,
    set::COMMANDS,
    sorted_set::COMMANDS,
    stream::COMMANDS,
    string::COMMANDS,
    transactions::COMMANDS,
];

/// All top-level commands sorted by name; built once on first use.
pub(super) fn index() -> &'static [&'static CommandSpec] {
    static INDEX: OnceLock<Vec<&'static CommandSpec>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut all: Vec<&'static CommandSpec> = GROUPS.iter().flat_map(|group| group.iter()).collect();
        all.sort_by(|left, right| left.name.cmp(right.name));
        all
    })
}

/// The command named `name`, case-insensitively.
pub(super) fn find(name: &[u8]) -> Option<&'static CommandSpec> {
    let index = index();
    index
        .binary_search_by(|spec| compare_upper_case(spec.name.as_bytes(), name))
        .ok()
        .map(|found| index[found])
}

/// Orders an upper-case table name against a request name of any case, byte by byte.
fn compare_upper_case(table_name: &[u8], request_name: &[u8]) -> Ordering {
    let request_upper = request_name.iter().map(|byte| byte.to_ascii_uppercase());
    table_name.iter().copied().cmp(request_upper)
}
