//! Geospatial commands (GEOADD, GEOSEARCH, GEORADIUS, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The geo commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "GEOADD",
        -5,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.0"),
    CommandSpec::new(
        "GEODIST",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.0"),
    CommandSpec::new(
        "GEOHASH",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.0"),
    CommandSpec::new(
        "GEOPOS",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.0"),
    CommandSpec::new(
        "GEORADIUS",
        -6,
        Access::Write,
        KeySpec::GeoRadius { options_from: 6 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.0"),
    CommandSpec::new(
        "GEORADIUS_RO",
        -6,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.10"),
    CommandSpec::new(
        "GEORADIUSBYMEMBER",
        -5,
        Access::Write,
        KeySpec::GeoRadius { options_from: 5 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.0"),
    CommandSpec::new(
        "GEORADIUSBYMEMBER_RO",
        -5,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "3.2.10"),
    CommandSpec::new(
        "GEOSEARCH",
        -7,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "6.2.0"),
    CommandSpec::new(
        "GEOSEARCHSTORE",
        -8,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Geo, AclCategory::Slow]))
    .docs(Group::Geo, "6.2.0"),
];
