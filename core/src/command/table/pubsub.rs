//! Pub/Sub commands: all refused (a proxy connection cannot carry pushes across nodes).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The pubsub commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("PSUBSCRIBE", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Pubsub, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
        .docs(Group::Pubsub, "2.0.0"),
    CommandSpec::new("PUBLISH", 3, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Pubsub, Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Fast]))
        .docs(Group::Pubsub, "2.0.0"),
    CommandSpec::new("PUBSUB", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Pubsub, "2.8.0")
        .subcommands(PUBSUB_SUBCOMMANDS),
    CommandSpec::new("PUNSUBSCRIBE", -1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Pubsub, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
        .docs(Group::Pubsub, "2.0.0"),
    CommandSpec::new(
        "SPUBLISH",
        3,
        Access::Admin,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::Unsupported(reason::PUBSUB),
    )
    .flags(Flags::of(&[Flag::Pubsub, Flag::Loading, Flag::Stale, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Fast]))
    .docs(Group::Pubsub, "7.0.0"),
    CommandSpec::new(
        "SSUBSCRIBE",
        -2,
        Access::Admin,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::Unsupported(reason::PUBSUB),
    )
    .flags(Flags::of(&[Flag::Pubsub, Flag::Noscript, Flag::Loading, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
    .docs(Group::Pubsub, "7.0.0"),
    CommandSpec::new("SUBSCRIBE", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Pubsub, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
        .docs(Group::Pubsub, "2.0.0"),
    CommandSpec::new(
        "SUNSUBSCRIBE",
        -1,
        Access::Admin,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::Unsupported(reason::PUBSUB),
    )
    .flags(Flags::of(&[Flag::Pubsub, Flag::Noscript, Flag::Loading, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
    .docs(Group::Pubsub, "7.0.0"),
    CommandSpec::new("UNSUBSCRIBE", -1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Pubsub, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
        .docs(Group::Pubsub, "2.0.0"),
];

/// The `PUBSUB` subcommands.
const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "PUBSUB|CHANNELS",
        -2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::PUBSUB),
    )
    .flags(Flags::of(&[Flag::Pubsub, Flag::Loading, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
    .docs(Group::Pubsub, "2.8.0"),
    CommandSpec::new("PUBSUB|HELP", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Pubsub, "6.2.0"),
    CommandSpec::new("PUBSUB|NUMPAT", 2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Pubsub, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
        .docs(Group::Pubsub, "2.8.0"),
    CommandSpec::new("PUBSUB|NUMSUB", -2, Access::Admin, KeySpec::None, Routing::Unsupported(reason::PUBSUB))
        .flags(Flags::of(&[Flag::Pubsub, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
        .docs(Group::Pubsub, "2.8.0"),
    CommandSpec::new(
        "PUBSUB|SHARDCHANNELS",
        -2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::PUBSUB),
    )
    .flags(Flags::of(&[Flag::Pubsub, Flag::Loading, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
    .docs(Group::Pubsub, "7.0.0"),
    CommandSpec::new(
        "PUBSUB|SHARDNUMSUB",
        -2,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::PUBSUB),
    )
    .flags(Flags::of(&[Flag::Pubsub, Flag::Loading, Flag::Stale]))
    .acl_categories(AclCategories::of(&[AclCategory::Pubsub, AclCategory::Slow]))
    .docs(Group::Pubsub, "7.0.0"),
];
