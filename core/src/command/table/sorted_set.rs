//! Sorted set commands.
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The sorted-set commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "BZMPOP",
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
        AclCategory::Sortedset,
        AclCategory::Slow,
        AclCategory::Blocking,
    ]))
    .docs(Group::SortedSet, "7.0.0"),
    CommandSpec::new(
        "BZPOPMAX",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -2, step: 1 },
        Routing::Unsupported(reason::BLOCKING),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Noscript, Flag::Blocking, Flag::Fast]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::Sortedset,
        AclCategory::Fast,
        AclCategory::Blocking,
    ]))
    .docs(Group::SortedSet, "5.0.0"),
    CommandSpec::new(
        "BZPOPMIN",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: -2, step: 1 },
        Routing::Unsupported(reason::BLOCKING),
    )
    .flags(Flags::of(&[Flag::Write, Flag::Noscript, Flag::Blocking, Flag::Fast]))
    .acl_categories(AclCategories::of(&[
        AclCategory::Write,
        AclCategory::Sortedset,
        AclCategory::Fast,
        AclCategory::Blocking,
    ]))
    .docs(Group::SortedSet, "5.0.0"),
    CommandSpec::new(
        "ZADD",
        -4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZCARD",
        2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZCOUNT",
        4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "2.0.0"),
    CommandSpec::new(
        "ZDIFF",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 1,
            first: 2,
            step: 1,
            destination: None,
            errors: NumKeysErrors::SortedSetAlgebra,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "6.2.0"),
    CommandSpec::new(
        "ZDIFFSTORE",
        -4,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: Some(1),
            errors: NumKeysErrors::SortedSetAlgebra,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "6.2.0"),
    CommandSpec::new(
        "ZINCRBY",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZINTER",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 1,
            first: 2,
            step: 1,
            destination: None,
            errors: NumKeysErrors::SortedSetAlgebra,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "6.2.0"),
    CommandSpec::new(
        "ZINTERCARD",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 1,
            first: 2,
            step: 1,
            destination: None,
            errors: NumKeysErrors::SortedSetAlgebra,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "7.0.0"),
    CommandSpec::new(
        "ZINTERSTORE",
        -4,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: Some(1),
            errors: NumKeysErrors::SortedSetAlgebra,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "2.0.0"),
    CommandSpec::new(
        "ZLEXCOUNT",
        4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "2.8.9"),
    CommandSpec::new(
        "ZMPOP",
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
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "7.0.0"),
    CommandSpec::new(
        "ZMSCORE",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "6.2.0"),
    CommandSpec::new(
        "ZPOPMAX",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "5.0.0"),
    CommandSpec::new(
        "ZPOPMIN",
        -2,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "5.0.0"),
    CommandSpec::new(
        "ZRANDMEMBER",
        -2,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::SortedSet, "6.2.0"),
    CommandSpec::new(
        "ZRANGE",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZRANGEBYLEX",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "2.8.9"),
    CommandSpec::new(
        "ZRANGEBYSCORE",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "1.0.5"),
    CommandSpec::new(
        "ZRANGESTORE",
        -5,
        Access::Write,
        KeySpec::Range { first: 1, last: 2, step: 1 },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "6.2.0"),
    CommandSpec::new(
        "ZRANK",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "2.0.0"),
    CommandSpec::new(
        "ZREM",
        -3,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZREMRANGEBYLEX",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "2.8.9"),
    CommandSpec::new(
        "ZREMRANGEBYRANK",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "2.0.0"),
    CommandSpec::new(
        "ZREMRANGEBYSCORE",
        4,
        Access::Write,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Write]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZREVRANGE",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZREVRANGEBYLEX",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "2.8.9"),
    CommandSpec::new(
        "ZREVRANGEBYSCORE",
        -4,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "2.2.0"),
    CommandSpec::new(
        "ZREVRANK",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "2.0.0"),
    CommandSpec::new(
        "ZSCAN",
        -3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .tips(&["nondeterministic_output"])
    .docs(Group::SortedSet, "2.8.0"),
    CommandSpec::new(
        "ZSCORE",
        3,
        Access::Read,
        KeySpec::Range { first: 1, last: 1, step: 1 },
        Routing::SingleKey,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Fast]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Fast]))
    .docs(Group::SortedSet, "1.2.0"),
    CommandSpec::new(
        "ZUNION",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 1,
            first: 2,
            step: 1,
            destination: None,
            errors: NumKeysErrors::SortedSetAlgebra,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Readonly, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Read, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "6.2.0"),
    CommandSpec::new(
        "ZUNIONSTORE",
        -4,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: Some(1),
            errors: NumKeysErrors::SortedSetAlgebra,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Movablekeys]))
    .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Sortedset, AclCategory::Slow]))
    .docs(Group::SortedSet, "2.0.0"),
];
