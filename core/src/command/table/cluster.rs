//! Redis Cluster commands: all refused, Dynomite is the cluster.
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The cluster commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ASKING", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new("CLUSTER", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Cluster, "3.0.0")
        .subcommands(CLUSTER_SUBCOMMANDS),
    CommandSpec::new("READONLY", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new("READWRITE", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Cluster, "3.0.0"),
];

/// The `CLUSTER` subcommands.
const CLUSTER_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "CLUSTER|ADDSLOTS",
        -3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|ADDSLOTSRANGE",
        -4,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "7.0.0"),
    CommandSpec::new(
        "CLUSTER|BUMPEPOCH",
        2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|COUNT-FAILURE-REPORTS",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|COUNTKEYSINSLOT",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|DELSLOTS",
        -3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|DELSLOTSRANGE",
        -4,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "7.0.0"),
    CommandSpec::new(
        "CLUSTER|FAILOVER",
        -2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|FLUSHSLOTS",
        2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|FORGET",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|GETKEYSINSLOT",
        4,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new("CLUSTER|HELP", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Cluster, "5.0.0"),
    CommandSpec::new("CLUSTER|INFO", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|KEYSLOT",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new("CLUSTER|LINKS", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Cluster, "7.0.0"),
    CommandSpec::new("CLUSTER|MEET", -4, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
        .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
        .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new("CLUSTER|MYID", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new("CLUSTER|NODES", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|REPLICAS",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Cluster, "5.0.0"),
    CommandSpec::new(
        "CLUSTER|REPLICATE",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|RESET",
        -2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|SAVECONFIG",
        2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|SET-CONFIG-EPOCH",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|SETSLOT",
        -4,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale, Flag::NoAsyncLoading]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new(
        "CLUSTER|SHARDS",
        2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Cluster, "7.0.0"),
    CommandSpec::new(
        "CLUSTER|SLAVES",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::CLUSTER),
    )
    .flags(Flags::of(&[Flag::Admin, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Admin, AclCategory::Slow, AclCategory::Dangerous]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Cluster, "3.0.0"),
    CommandSpec::new("CLUSTER|SLOTS", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::CLUSTER))
        .flags(Flags::of(&[Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Cluster, "3.0.0"),
];
