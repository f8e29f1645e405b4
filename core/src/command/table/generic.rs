//! Keyspace commands that work on any type (DEL, EXPIRE, TTL, RENAME, SCAN, SORT, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The generic commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "COPY",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Slow]))
    .docs(Group::Generic, "6.2.0"),
    CommandSpec::new(
        "DEL",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::MultiKeySplit,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Slow]))
    .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "DUMP",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "2.6.0"),
    CommandSpec::new(
        "EXISTS",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::MultiKeySplit,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
    .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "EXPIRE",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "EXPIREAT",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .docs(Group::Generic, "1.2.0"),
    CommandSpec::new(
        "EXPIRETIME",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
    .docs(Group::Generic, "7.0.0"),
    CommandSpec::new("KEYS", 2, Access::Read, KeySpec::None, Routing::ClusterWide)
        .flags(Flags::of(&[Flag::Readonly]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Keyspace,
            AclCategory::Read,
            AclCategory::Slow,
            AclCategory::Dangerous,
        ]))
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "MIGRATE",
        -6,
        Access::Write,
        KeySpec::Range { first: 3, last: 3, step: 1 },
        Routing::Unsupported(reason::MIGRATE),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Keyspace,
        AclCategory::Write,
        AclCategory::Slow,
        AclCategory::Dangerous,
    ]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "2.6.0"),
    CommandSpec::new(
        "MOVE",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::Unsupported(reason::DATABASES),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new("OBJECT", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Generic, "2.2.3")
        .subcommands(OBJECT_SUBCOMMANDS),
    CommandSpec::new(
        "PERSIST",
        2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .docs(Group::Generic, "2.2.0"),
    CommandSpec::new(
        "PEXPIRE",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .docs(Group::Generic, "2.6.0"),
    CommandSpec::new(
        "PEXPIREAT",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .docs(Group::Generic, "2.6.0"),
    CommandSpec::new(
        "PEXPIRETIME",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
    .docs(Group::Generic, "7.0.0"),
    CommandSpec::new(
        "PTTL",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "2.6.0"),
    CommandSpec::new("RANDOMKEY", 1, Access::Read, KeySpec::None, Routing::ClusterWide)
        .flags(Flags::of(&[Flag::Readonly]))
        .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Slow]))
        .tips(&["request_policy:all_shards", "nondeterministic_output"])
        .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "RENAME",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Slow]))
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "RENAMENX",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "RESTORE",
        -4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Keyspace,
        AclCategory::Write,
        AclCategory::Slow,
        AclCategory::Dangerous,
    ]))
    .docs(Group::Generic, "2.6.0"),
    CommandSpec::new("SCAN", -2, Access::Read, KeySpec::None, Routing::ClusterWide)
        .flags(Flags::of(&[Flag::Readonly]))
        .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Slow]))
        .tips(&["nondeterministic_output", "request_policy:special"])
        .docs(Group::Generic, "2.8.0"),
    CommandSpec::new("SORT", -2, Access::Write, KeySpec::Sort, Routing::SameNode)
        .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Movablekeys]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Write,
            AclCategory::Set,
            AclCategory::Sortedset,
            AclCategory::List,
            AclCategory::Slow,
            AclCategory::Dangerous,
        ]))
        .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "SORT_RO",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Read,
        AclCategory::Set,
        AclCategory::Sortedset,
        AclCategory::List,
        AclCategory::Slow,
        AclCategory::Dangerous,
    ]))
    .docs(Group::Generic, "7.0.0"),
    CommandSpec::new(
        "TOUCH",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::MultiKeySplit,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
    .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
    .docs(Group::Generic, "3.2.1"),
    CommandSpec::new(
        "TTL",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "TYPE",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Fast]))
    .docs(Group::Generic, "1.0.0"),
    CommandSpec::new(
        "UNLINK",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::MultiKeySplit,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Write, AclCategory::Fast]))
    .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
    .docs(Group::Generic, "4.0.0"),
    CommandSpec::new("WAIT", 3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::REPLICATION))
        .flags(Flags::of(&[Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .tips(&["request_policy:all_shards", "response_policy:agg_min"])
        .docs(Group::Generic, "3.0.0"),
];

/// The `OBJECT` subcommands.
const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "OBJECT|ENCODING",
        3,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "2.2.3"),
    CommandSpec::new(
        "OBJECT|FREQ",
        3,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "4.0.0"),
    CommandSpec::new("OBJECT|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Slow]))
        .docs(Group::Generic, "6.2.0"),
    CommandSpec::new(
        "OBJECT|IDLETIME",
        3,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "2.2.3"),
    CommandSpec::new(
        "OBJECT|REFCOUNT",
        3,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Keyspace, AclCategory::Read, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Generic, "2.2.3"),
];
