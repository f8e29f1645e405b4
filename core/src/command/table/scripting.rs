//! Lua scripting and functions (EVAL, FCALL, SCRIPT, FUNCTION).
//!
//! Arity, flags, ACL categories, tips and key positions mirror Redis 7.0.15 `COMMAND INFO`; access
//! and routing are Dynomite decisions (see the `command` module docs).

use super::prelude::*;

/// The scripting commands, sorted by name.
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "EVAL",
        -3,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: None,
            errors: NumKeysErrors::Script,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[
        Flag::Noscript,
        Flag::Stale,
        Flag::SkipMonitor,
        Flag::NoMandatoryKeys,
        Flag::Movablekeys,
    ]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
    .docs(Group::Scripting, "2.6.0"),
    CommandSpec::new(
        "EVAL_RO",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: None,
            errors: NumKeysErrors::Script,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[
        Flag::Readonly,
        Flag::Noscript,
        Flag::Stale,
        Flag::SkipMonitor,
        Flag::NoMandatoryKeys,
        Flag::Movablekeys,
    ]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
    .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new(
        "EVALSHA",
        -3,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: None,
            errors: NumKeysErrors::Script,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[
        Flag::Noscript,
        Flag::Stale,
        Flag::SkipMonitor,
        Flag::NoMandatoryKeys,
        Flag::Movablekeys,
    ]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
    .docs(Group::Scripting, "2.6.0"),
    CommandSpec::new(
        "EVALSHA_RO",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: None,
            errors: NumKeysErrors::Script,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[
        Flag::Readonly,
        Flag::Noscript,
        Flag::Stale,
        Flag::SkipMonitor,
        Flag::NoMandatoryKeys,
        Flag::Movablekeys,
    ]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
    .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new(
        "FCALL",
        -3,
        Access::Write,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: None,
            errors: NumKeysErrors::Script,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[
        Flag::Noscript,
        Flag::Stale,
        Flag::SkipMonitor,
        Flag::NoMandatoryKeys,
        Flag::Movablekeys,
    ]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
    .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new(
        "FCALL_RO",
        -3,
        Access::Read,
        KeySpec::NumKeys {
            numkeys_index: 2,
            first: 3,
            step: 1,
            destination: None,
            errors: NumKeysErrors::Script,
        },
        Routing::SameNode,
    )
    .flags(Flags::of(&[
        Flag::Readonly,
        Flag::Noscript,
        Flag::Stale,
        Flag::SkipMonitor,
        Flag::NoMandatoryKeys,
        Flag::Movablekeys,
    ]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
    .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Scripting, "7.0.0")
        .subcommands(FUNCTION_SUBCOMMANDS),
    CommandSpec::new("SCRIPT", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .acl_categories(AclCategories::of(&[AclCategory::Slow]))
        .docs(Group::Scripting, "2.6.0")
        .subcommands(SCRIPT_SUBCOMMANDS),
];

/// The `FUNCTION` subcommands.
const FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("FUNCTION|DELETE", 3, Access::Write, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Write, Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|DUMP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|FLUSH", -2, Access::Write, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Write, Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|KILL", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Noscript, Flag::AllowBusy]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|LIST", -2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["nondeterministic_output_order"])
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|LOAD", -3, Access::Write, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|RESTORE", -3, Access::Write, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Write, Flag::Denyoom, Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Write, AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .docs(Group::Scripting, "7.0.0"),
    CommandSpec::new("FUNCTION|STATS", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Noscript, Flag::AllowBusy]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .docs(Group::Scripting, "7.0.0"),
];

/// The `SCRIPT` subcommands.
const SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "SCRIPT|DEBUG",
        3,
        Access::Admin,
        KeySpec::None,
        Routing::Unsupported(reason::SCRIPT_DEBUG),
    )
    .flags(Flags::of(&[Flag::Noscript]))
    .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
    .docs(Group::Scripting, "3.2.0"),
    CommandSpec::new("SCRIPT|EXISTS", -3, Access::Admin, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_shards", "response_policy:agg_logical_and"])
        .docs(Group::Scripting, "2.6.0"),
    CommandSpec::new("SCRIPT|FLUSH", -2, Access::Admin, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Noscript]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .docs(Group::Scripting, "2.6.0"),
    CommandSpec::new("SCRIPT|HELP", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Loading, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .docs(Group::Scripting, "5.0.0"),
    CommandSpec::new("SCRIPT|KILL", 2, Access::Admin, KeySpec::None, Routing::LocalDatastore)
        .flags(Flags::of(&[Flag::Noscript, Flag::AllowBusy]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
        .docs(Group::Scripting, "2.6.0"),
    CommandSpec::new("SCRIPT|LOAD", 3, Access::Admin, KeySpec::None, Routing::Broadcast)
        .flags(Flags::of(&[Flag::Noscript, Flag::Stale]))
        .acl_categories(AclCategories::of(&[AclCategory::Slow, AclCategory::Scripting]))
        .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
        .docs(Group::Scripting, "2.6.0"),
];
