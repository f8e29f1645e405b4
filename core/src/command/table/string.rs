//! String commands (GET, SET, MGET, INCR, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The string commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "APPEND",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "2.0.0"),
    CommandSpec::new(
        "DECR",
        2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "DECRBY",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "GET",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "GETDEL",
        2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "6.2.0"),
    CommandSpec::new(
        "GETEX",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "6.2.0"),
    CommandSpec::new(
        "GETRANGE",
        4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::String, AclCategory::Slow]))
    .docs(Group::String, "2.4.0"),
    CommandSpec::new(
        "GETSET",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "INCR",
        2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "INCRBY",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "INCRBYFLOAT",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "2.6.0"),
    CommandSpec::new(
        "LCS",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::String, AclCategory::Slow]))
    .docs(Group::String, "7.0.0"),
    CommandSpec::new(
        "MGET",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::MultiKeySplit,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::String, AclCategory::Fast]))
    .tips(&["request_policy:multi_shard"])
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "MSET",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 2 },
        Routing::MultiKeySplit,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Slow]))
    .tips(&["request_policy:multi_shard", "response_policy:all_succeeded"])
    .docs(Group::String, "1.0.1"),
    CommandSpec::new(
        "MSETNX",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 2 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Slow]))
    .tips(&["request_policy:multi_shard", "response_policy:agg_min"])
    .docs(Group::String, "1.0.1"),
    CommandSpec::new(
        "PSETEX",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Slow]))
    .docs(Group::String, "2.6.0"),
    CommandSpec::new(
        "SET",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Slow]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "SETEX",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Slow]))
    .docs(Group::String, "2.0.0"),
    CommandSpec::new(
        "SETNX",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "1.0.0"),
    CommandSpec::new(
        "SETRANGE",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::String, AclCategory::Slow]))
    .docs(Group::String, "2.2.0"),
    CommandSpec::new(
        "STRLEN",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::String, AclCategory::Fast]))
    .docs(Group::String, "2.2.0"),
    CommandSpec::new(
        "SUBSTR",
        4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::String, AclCategory::Slow]))
    .docs(Group::String, "1.0.0"),
];
