//! Hash commands.
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The hash commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "HDEL",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HEXISTS",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HGET",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HGETALL",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Slow]))
    .tips(&["nondeterministic_output_order"])
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HINCRBY",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HINCRBYFLOAT",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.6.0"),
    CommandSpec::new(
        "HKEYS",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Slow]))
    .tips(&["nondeterministic_output_order"])
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HLEN",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HMGET",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HMSET",
        -4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HRANDFIELD",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Hash, "6.2.0"),
    CommandSpec::new(
        "HSCAN",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Hash, "2.8.0"),
    CommandSpec::new(
        "HSET",
        -4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HSETNX",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "2.0.0"),
    CommandSpec::new(
        "HSTRLEN",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Fast]))
    .docs(Group::Hash, "3.2.0"),
    CommandSpec::new(
        "HVALS",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hash, AclCategory::Slow]))
    .tips(&["nondeterministic_output_order"])
    .docs(Group::Hash, "2.0.0"),
];
