//! Server administration commands (INFO, CONFIG, FLUSHALL, SLOWLOG, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The server commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ACL", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "6.0.0")
        .subcommands(ACL_SUBCOMMANDS),
    CommandSpec::new("BGREWRITEAOF", 1, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("BGSAVE", -1, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("COMMAND", -1, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .tips(&["nondeterministic_output_order"])
        .docs(Group::Server, "2.8.13")
        .subcommands(COMMAND_SUBCOMMANDS),
    CommandSpec::new("CONFIG", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "2.0.0")
        .subcommands(CONFIG_SUBCOMMANDS),
    CommandSpec::new("DBSIZE", 1, Access::Read, KeySpec::None, Routing::ClusterWide)
        .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("DEBUG", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::DEBUG))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("FAILOVER", -1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::REPLICATION))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.2.0"),
    CommandSpec::new("FLUSHALL", -1, Access::Write, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Write]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Keyspace,
            AclCategory::Write,
            AclCategory::Slow,
            AclCategory::Dangerous,
        ]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("FLUSHDB", -1, Access::Write, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Write]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Keyspace,
            AclCategory::Write,
            AclCategory::Slow,
            AclCategory::Dangerous,
        ]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("INFO", -1, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("LASTSAVE", 1, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Fast, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("LATENCY", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "2.8.13")
        .subcommands(LATENCY_SUBCOMMANDS),
    CommandSpec::new("LOLWUT", -1, Access::Read, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Fast]))
        .docs(Group::Server, "5.0.0"),
    CommandSpec::new("MEMORY", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "4.0.0")
        .subcommands(MEMORY_SUBCOMMANDS),
    CommandSpec::new("MODULE", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "4.0.0")
        .subcommands(MODULE_SUBCOMMANDS),
    CommandSpec::new("MONITOR", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::MONITOR))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("PSYNC", -3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::REPLICATION))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading, Flag::NoMulti]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "2.8.0"),
    CommandSpec::new("REPLCONF", -1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::REPLICATION))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale, Flag::AllowBusy]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "3.0.0"),
    CommandSpec::new("REPLICAOF", 3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::REPLICATION))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Stale, Flag::NoAsyncLoading]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "5.0.0"),
    CommandSpec::new(
        "RESTORE-ASKING",
        -4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Asking]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Keyspace,
        AclCategory::Write,
        AclCategory::Slow,
        AclCategory::Dangerous,
    ]))
    .docs(Group::Server, "3.0.0"),
    CommandSpec::new("ROLE", 1, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Fast, AclCategory::Dangerous]))
        .docs(Group::Server, "2.8.12"),
    CommandSpec::new("SAVE", 1, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading, Flag::NoMulti]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("SHUTDOWN", -1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::SHUTDOWN))
        .flags(Flags::of(&[
            Flag::Admin,
            Flag::Noscript,
            Flag::Loading,
            Flag::Stale,
            Flag::NoMulti,
            Flag::AllowBusy,
        ]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("SLAVEOF", 3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::REPLICATION))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Stale, Flag::NoAsyncLoading]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("SLOWLOG", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "2.2.12")
        .subcommands(SLOWLOG_SUBCOMMANDS),
    CommandSpec::new("SWAPDB", 3, Access::Write, KeySpec::None, Routing::Unsupported(reason::DATABASES))
        .flags(Flags::of(&[Flag::Write, Flag::Fast]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Keyspace,
            AclCategory::Write,
            AclCategory::Fast,
            AclCategory::Dangerous,
        ]))
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new("SYNC", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::REPLICATION))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading, Flag::NoMulti]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "1.0.0"),
    CommandSpec::new("TIME", 1, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Server, "2.6.0"),
];

/// The `ACL` subcommands.
const ACL_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ACL|CAT", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|DELUSER", -3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|DRYRUN", -4, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "7.0.0"),
    CommandSpec::new("ACL|GENPASS", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|GETUSER", 3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|HELP", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|LIST", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|LOAD", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|LOG", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|SAVE", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|SETUSER", -3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|USERS", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "6.0.0"),
    CommandSpec::new("ACL|WHOAMI", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::ACL))
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "6.0.0"),
];

/// The `COMMAND` subcommands.
const COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("COMMAND|COUNT", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("COMMAND|DOCS", -2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .tips(&["nondeterministic_output_order"])
        .docs(Group::Server, "7.0.0"),
    CommandSpec::new("COMMAND|GETKEYS", -4, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("COMMAND|GETKEYSANDFLAGS", -4, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Server, "7.0.0"),
    CommandSpec::new("COMMAND|HELP", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Server, "5.0.0"),
    CommandSpec::new("COMMAND|INFO", -2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .tips(&["nondeterministic_output_order"])
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("COMMAND|LIST", -2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .tips(&["nondeterministic_output_order"])
        .docs(Group::Server, "7.0.0"),
];

/// The `CONFIG` subcommands.
const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("CONFIG|GET", -3, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "2.0.0"),
    CommandSpec::new("CONFIG|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "5.0.0"),
    CommandSpec::new("CONFIG|RESETSTAT", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "2.0.0"),
    CommandSpec::new(
        "CONFIG|REWRITE",
        2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CONFIG_CHANGE),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Server, "2.8.0"),
    CommandSpec::new(
        "CONFIG|SET",
        -4,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CONFIG_CHANGE),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
    .docs(Group::Server, "2.0.0"),
];

/// The `LATENCY` subcommands.
const LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("LATENCY|DOCTOR", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("LATENCY|GRAPH", 3, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("LATENCY|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("LATENCY|HISTOGRAM", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .docs(Group::Server, "7.0.0"),
    CommandSpec::new("LATENCY|HISTORY", 3, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("LATENCY|LATEST", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
        .docs(Group::Server, "2.8.13"),
    CommandSpec::new("LATENCY|RESET", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .docs(Group::Server, "2.8.13"),
];

/// The `MEMORY` subcommands.
const MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("MEMORY|DOCTOR", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new("MEMORY|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new("MEMORY|MALLOC-STATS", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new("MEMORY|PURGE", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new("MEMORY|STATS", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new(
        "MEMORY|USAGE",
        -3,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Slow]))
    .docs(Group::Server, "4.0.0"),
];

/// The `MODULE` subcommands.
const MODULE_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("MODULE|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "5.0.0"),
    CommandSpec::new("MODULE|LIST", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["nondeterministic_output_order"])
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new("MODULE|LOAD", -3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::MODULES))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "4.0.0"),
    CommandSpec::new(
        "MODULE|LOADEX",
        -3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::MODULES),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Server, "7.0.0"),
    CommandSpec::new("MODULE|UNLOAD", 3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::MODULES))
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::NoAsyncLoading]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Server, "4.0.0"),
];

/// The `SLOWLOG` subcommands.
const SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("SLOWLOG|GET", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["request_policy:all_nodes", "nondeterministic_output"])
        .docs(Group::Server, "2.2.12"),
    CommandSpec::new("SLOWLOG|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Server, "6.2.0"),
    CommandSpec::new("SLOWLOG|LEN", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"])
        .docs(Group::Server, "2.2.12"),
    CommandSpec::new("SLOWLOG|RESET", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Admin, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .docs(Group::Server, "2.2.12"),
];
