//! Connection commands, mostly answered by the proxy itself (PING, HELLO, AUTH, CLIENT, SELECT, ...).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The connection commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("AUTH", -2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[
            Flag::Noscript,
            Flag::Loading,
            Flag::Stale,
            Flag::Fast,
            Flag::NoAuth,
            Flag::AllowBusy,
        ]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Connection, "1.0.0"),
    CommandSpec::new("CLIENT", -2, Access::Admin, KeySpec::None, Routing::Proxy)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Connection, "2.4.0")
        .subcommands(CLIENT_SUBCOMMANDS),
    CommandSpec::new("ECHO", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Connection, "1.0.0"),
    CommandSpec::new("HELLO", -1, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[
            Flag::Noscript,
            Flag::Loading,
            Flag::Stale,
            Flag::Fast,
            Flag::NoAuth,
            Flag::AllowBusy,
        ]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Connection, "6.0.0"),
    CommandSpec::new("PING", -1, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Connection, "1.0.0"),
    CommandSpec::new("QUIT", -1, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[
            Flag::Noscript,
            Flag::Loading,
            Flag::Stale,
            Flag::Fast,
            Flag::NoAuth,
            Flag::AllowBusy,
        ]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Connection, "1.0.0"),
    CommandSpec::new("RESET", 1, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[
            Flag::Noscript,
            Flag::Loading,
            Flag::Stale,
            Flag::Fast,
            Flag::NoAuth,
            Flag::AllowBusy,
        ]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Connection, "6.2.0"),
    CommandSpec::new("SELECT", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale, Flag::Fast]))
        .acl_categories(AclCategories::of(&[AclCategory::Fast, AclCategory::Connection]))
        .docs(Group::Connection, "1.0.0"),
];

/// The `CLIENT` subcommands.
const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("CLIENT|CACHING", 3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "6.0.0"),
    CommandSpec::new("CLIENT|GETNAME", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "2.6.9"),
    CommandSpec::new("CLIENT|GETREDIR", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "6.0.0"),
    CommandSpec::new("CLIENT|HELP", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "5.0.0"),
    CommandSpec::new("CLIENT|ID", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "5.0.0"),
    CommandSpec::new("CLIENT|INFO", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Connection, "6.2.0"),
    CommandSpec::new("CLIENT|KILL", -3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Admin,
            AclCategory::Slow,
            AclCategory::Dangerous,
            AclCategory::Connection,
        ]))
        .docs(Group::Connection, "2.4.0"),
    CommandSpec::new("CLIENT|LIST", -2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Admin,
            AclCategory::Slow,
            AclCategory::Dangerous,
            AclCategory::Connection,
        ]))
        .tips(&["nondeterministic_output"])
        .docs(Group::Connection, "2.4.0"),
    CommandSpec::new("CLIENT|NO-EVICT", 3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Admin,
            AclCategory::Slow,
            AclCategory::Dangerous,
            AclCategory::Connection,
        ]))
        .docs(Group::Connection, "7.0.0"),
    CommandSpec::new("CLIENT|PAUSE", -3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Admin,
            AclCategory::Slow,
            AclCategory::Dangerous,
            AclCategory::Connection,
        ]))
        .docs(Group::Connection, "2.9.50"),
    CommandSpec::new("CLIENT|REPLY", 3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "3.2.0"),
    // Redis 7.2 added CLIENT SETINFO; redis-py 5+ sends it on connect, so the proxy answers it even
    // though the Redis 7.0 command set it otherwise mirrors does not have it.
    CommandSpec::new("CLIENT|SETINFO", 4, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "7.2.0"),
    CommandSpec::new("CLIENT|SETNAME", 3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "2.6.9"),
    CommandSpec::new("CLIENT|TRACKING", -3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "6.0.0"),
    CommandSpec::new("CLIENT|TRACKINGINFO", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Connection]))
        .docs(Group::Connection, "6.2.0"),
    CommandSpec::new("CLIENT|UNBLOCK", -3, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Admin,
            AclCategory::Slow,
            AclCategory::Dangerous,
            AclCategory::Connection,
        ]))
        .docs(Group::Connection, "5.0.0"),
    CommandSpec::new("CLIENT|UNPAUSE", 2, Access::Admin, KeySpec::None, Routing::Proxy)
        .flags(Flags::of(&[Flag::Admin, Flag::Noscript, Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[
            AclCategory::Admin,
            AclCategory::Slow,
            AclCategory::Dangerous,
            AclCategory::Connection,
        ]))
        .docs(Group::Connection, "6.2.0"),
];
