//! List commands, including the refused blocking ones.
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The list commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "BLMOVE",
        6,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::Unsupported(reason::BLOCKING),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Noscript, Flag::Blocking]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::List,
        AclCategory::Slow,
        AclCategory::Blocking,
    ]))
    .docs(Group::List, "6.2.0"),
    CommandSpec::new(
        "BLMPOP",
        -5,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: None,
            errors: NumKeysErrors::MultiPop,
        },
        Routing::Unsupported(reason::BLOCKING),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Blocking, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::List,
        AclCategory::Slow,
        AclCategory::Blocking,
    ]))
    .docs(Group::List, "7.0.0"),
    CommandSpec::new(
        "BLPOP",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -2, step: 1 },
        Routing::Unsupported(reason::BLOCKING),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Noscript, Flag::Blocking]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::List,
        AclCategory::Slow,
        AclCategory::Blocking,
    ]))
    .docs(Group::List, "2.0.0"),
    CommandSpec::new(
        "BRPOP",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -2, step: 1 },
        Routing::Unsupported(reason::BLOCKING),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Noscript, Flag::Blocking]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::List,
        AclCategory::Slow,
        AclCategory::Blocking,
    ]))
    .docs(Group::List, "2.0.0"),
    CommandSpec::new(
        "BRPOPLPUSH",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::Unsupported(reason::BLOCKING),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Noscript, Flag::Blocking]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::List,
        AclCategory::Slow,
        AclCategory::Blocking,
    ]))
    .docs(Group::List, "2.2.0"),
    CommandSpec::new(
        "LINDEX",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "LINSERT",
        5,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "2.2.0"),
    CommandSpec::new(
        "LLEN",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::List, AclCategory::Fast]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "LMOVE",
        5,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "6.2.0"),
    CommandSpec::new(
        "LMPOP",
        -4,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 1,
            first: 2,
            step: 1,
            destination: None,
            errors: NumKeysErrors::MultiPop,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "7.0.0"),
    CommandSpec::new(
        "LPOP",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Fast]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "LPOS",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "6.0.6"),
    CommandSpec::new(
        "LPUSH",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Fast]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "LPUSHX",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Fast]))
    .docs(Group::List, "2.2.0"),
    CommandSpec::new(
        "LRANGE",
        4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "LREM",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "LSET",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "LTRIM",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "RPOP",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Fast]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "RPOPLPUSH",
        3,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Slow]))
    .docs(Group::List, "1.2.0"),
    CommandSpec::new(
        "RPUSH",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Fast]))
    .docs(Group::List, "1.0.0"),
    CommandSpec::new(
        "RPUSHX",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::List, AclCategory::Fast]))
    .docs(Group::List, "2.2.0"),
];
