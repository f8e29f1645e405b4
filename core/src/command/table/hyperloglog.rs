//! HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The hyperloglog commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "PFADD",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hyperloglog, AclCategory::Fast]))
    .docs(Group::Hyperloglog, "2.8.9"),
    CommandSpec::new(
        "PFCOUNT",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Hyperloglog, AclCategory::Slow]))
    .docs(Group::Hyperloglog, "2.8.9"),
    CommandSpec::new(
        "PFDEBUG",
        3,
        Access::Write,
        KeySpec::Range { first: 2, last: 2, step: 1 },
        Routing::Unsupported(reason::DEBUG),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Admin]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::Hyperloglog,
        AclCategory::Admin,
        AclCategory::Slow,
        AclCategory::Dangerous,
    ]))
    .docs(Group::Hyperloglog, "2.8.9"),
    CommandSpec::new(
        "PFMERGE",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Hyperloglog, AclCategory::Slow]))
    .docs(Group::Hyperloglog, "2.8.9"),
    CommandSpec::new("PFSELFTEST", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::DEBUG))
        .flags(Flags::of(&[Flag::Admin]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Hyperloglog,
            AclCategory::Admin,
            AclCategory::Slow,
            AclCategory::Dangerous,
        ]))
        .docs(Group::Hyperloglog, "2.8.9"),
];
