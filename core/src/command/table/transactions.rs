//! Transaction commands: all refused, a transaction cannot span Dynomite nodes.
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The transactions commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("DISCARD", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::TRANSACTIONS))
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale, Flag::Fast, Flag::AllowBusy]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Transaction]))
        .docs(Group::Transactions, "2.0.0"),
    CommandSpec::new("EXEC", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::TRANSACTIONS))
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale, Flag::SkipSlowlog]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Transaction]))
        .docs(Group::Transactions, "1.2.0"),
    CommandSpec::new("MULTI", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::TRANSACTIONS))
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale, Flag::Fast, Flag::AllowBusy]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Transaction]))
        .docs(Group::Transactions, "1.2.0"),
    CommandSpec::new("UNWATCH", 1, Access::Admin, KeySpec::None, Routing::Unsupported(reason::TRANSACTIONS))
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale, Flag::Fast, Flag::AllowBusy]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Transaction]))
        .docs(Group::Transactions, "2.2.0"),
    CommandSpec::new(
        "WATCH",
        -2,
        Access::Admin,
        KeySpec::Range { first: 1, last: -1, step: 1 },
        Routing::Unsupported(reason::TRANSACTIONS),
    )
    .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale, Flag::Fast, Flag::AllowBusy]))
    .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Transaction]))
    .docs(Group::Transactions, "2.2.0"),
];
