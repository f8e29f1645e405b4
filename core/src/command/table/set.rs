//! Set commands.
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The set commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "SADD",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Set, AclCategory::Fast]))
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SCARD",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Fast]))
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SDIFF",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Slow]))
    .tips(&["nondeterministic_output_order"])
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SDIFFSTORE",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Set, AclCategory::Slow]))
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SINTER",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Slow]))
    .tips(&["nondeterministic_output_order"])
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SINTERCARD",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 1,
            first: 2,
            step: 1,
            destination: None,
            errors: NumKeysErrors::SetCardinality,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Slow]))
    .docs(Group::Set, "7.0.0"),
    CommandSpec::new(
        "SINTERSTORE",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Set, AclCategory::Slow]))
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SISMEMBER",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Fast]))
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SMEMBERS",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Slow]))
    .tips(&["nondeterministic_output_order"])
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SMISMEMBER",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Fast]))
    .docs(Group::Set, "6.2.0"),
    CommandSpec::new(
        "SMOVE",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Set, AclCategory::Fast]))
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SPOP",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Set, AclCategory::Fast]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SRANDMEMBER",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SREM",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Set, AclCategory::Fast]))
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SSCAN",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::Set, "2.8.0"),
    CommandSpec::new(
        "SUNION",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Set, AclCategory::Slow]))
    .tips(&["nondeterministic_output_order"])
    .docs(Group::Set, "1.0.0"),
    CommandSpec::new(
        "SUNIONSTORE",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Set, AclCategory::Slow]))
    .docs(Group::Set, "1.0.0"),
];
