//! Bitmap commands (SETBIT, BITCOUNT, BITOP, BITFIELD, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The bitmap commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "BITCOUNT",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Bitmap, AclCategory::Slow]))
    .docs(Group::Bitmap, "2.6.0"),
    CommandSpec::new(
        "BITFIELD",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Bitmap, AclCategory::Slow]))
    .docs(Group::Bitmap, "3.2.0"),
    CommandSpec::new(
        "BITFIELD_RO",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Bitmap, AclCategory::Fast]))
    .docs(Group::Bitmap, "6.0.0"),
    CommandSpec::new(
        "BITOP",
        -4,
        Access::Write,
        KeySpec::Range { first: 2, last: -1, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Bitmap, AclCategory::Slow]))
    .docs(Group::Bitmap, "2.6.0"),
    CommandSpec::new(
        "BITPOS",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Bitmap, AclCategory::Slow]))
    .docs(Group::Bitmap, "2.8.7"),
    CommandSpec::new(
        "GETBIT",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Bitmap, AclCategory::Fast]))
    .docs(Group::Bitmap, "2.2.0"),
    CommandSpec::new(
        "SETBIT",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Bitmap, AclCategory::Slow]))
    .docs(Group::Bitmap, "2.2.0"),
];
