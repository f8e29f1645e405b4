//! Stream commands (XADD, XREAD, XGROUP, XINFO, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The stream commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "XACK",
        -4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Fast]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XADD",
        -5,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Fast]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XAUTOCLAIM",
        -6,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Fast]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Stream, "6.2.0"),
    CommandSpec::new(
        "XCLAIM",
        -6,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Fast]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XDEL",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Fast]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new("XGROUP", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Stream, "5.0.0")
        .subcommands(XGROUP_SUBCOMMANDS),
    CommandSpec::new("XINFO", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Stream, "5.0.0")
        .subcommands(XINFO_SUBCOMMANDS),
    CommandSpec::new(
        "XLEN",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Stream, AclCategory::Fast]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XPENDING",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Stream, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XRANGE",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new("XREAD", -4, Access::Read, KeySpec::Streams { group: false }, Routing::SameNode)
        .flags(Flags::of(&[Flag::Readonly, Flag::Blocking, Flag::Movablekeys]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Read,
            AclCategory::Stream,
            AclCategory::Slow,
            AclCategory::Blocking,
        ]))
        .docs(Group::Stream, "5.0.0"),
    CommandSpec::new("XREADGROUP", -7, Access::Write, KeySpec::Streams { group: true }, Routing::SameNode)
        .flags(Flags::of(&[Flag::Write, Flag::Blocking, Flag::Movablekeys]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Write,
            AclCategory::Stream,
            AclCategory::Slow,
            AclCategory::Blocking,
        ]))
        .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XREVRANGE",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XSETID",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Fast]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XTRIM",
        -4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Stream, "5.0.0"),
];

/// The `XGROUP` subcommands.
const XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "XGROUP|CREATE",
        -5,
        Access::Write,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XGROUP|CREATECONSUMER",
        5,
        Access::Write,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "6.2.0"),
    CommandSpec::new(
        "XGROUP|DELCONSUMER",
        5,
        Access::Write,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XGROUP|DESTROY",
        4,
        Access::Write,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new("XGROUP|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Stream, AclCategory::Slow]))
        .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XGROUP|SETID",
        -5,
        Access::Write,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
];

/// The `XINFO` subcommands.
const XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "XINFO|CONSUMERS",
        4,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Stream, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XINFO|GROUPS",
        3,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
    CommandSpec::new("XINFO|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Stream, AclCategory::Slow]))
        .docs(Group::Stream, "5.0.0"),
    CommandSpec::new(
        "XINFO|STREAM",
        -3,
        Access::Read,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Stream, AclCategory::Slow]))
    .docs(Group::Stream, "5.0.0"),
];
