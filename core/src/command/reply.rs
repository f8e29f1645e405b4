//! `COMMAND`, `COMMAND COUNT|INFO|DOCS|LIST|GETKEYS|GETKEYSANDFLAGS|HELP` answered from the table, in
//! Redis 7.0's reply shapes.
//!
//! What the table lacks is sent empty, as Redis allows: key specifications (`COMMAND INFO` field 9)
//! and key flags are empty, and `COMMAND DOCS` gives `summary` (empty), `since`, `group` and the
//! subcommands, without argument descriptions (redis-cli then shows no argument hints).

use bytes::Bytes;

use super::{all_commands, lookup_full_name, resolve, AclCategory, CommandSpec};
use crate::resp::Frame;

/// Answers a `COMMAND` request; `args` is the whole request (`COMMAND`, `INFO`, `get`, ...).
pub fn command_reply(args: &[Bytes]) -> Frame {
    let spec = match resolve(args) {
        Ok(spec) => spec,
        Err(error) => return error.to_frame(),
    };
    let rest = args.get(2..).unwrap_or(&[]);
    match spec.name {
        "COMMAND" => Frame::Array(all_commands().iter().map(|spec| info_entry(spec)).collect()),
        "COMMAND|COUNT" => Frame::Integer(all_commands().len() as i64),
        "COMMAND|INFO" => info_reply(rest),
        "COMMAND|DOCS" => docs_reply(rest),
        "COMMAND|LIST" => list_reply(rest),
        "COMMAND|GETKEYS" => getkeys_reply(rest, false),
        "COMMAND|GETKEYSANDFLAGS" => getkeys_reply(rest, true),
        _ => help_reply(),
    }
}

/// `COMMAND INFO [name ...]`: every command when no name is given, null for unknown names.
fn info_reply(names: &[Bytes]) -> Frame {
    if names.is_empty() {
        return Frame::Array(all_commands().iter().map(|spec| info_entry(spec)).collect());
    }
    let entries = names.iter().map(|name| lookup_full_name(name).map(info_entry).unwrap_or(Frame::Null));
    Frame::Array(entries.collect())
}

/// One `COMMAND INFO` entry: name, arity, flags, first key, last key, step, ACL categories, tips,
/// key specifications, subcommands.
fn info_entry(spec: &CommandSpec) -> Frame {
    let (first, last, step) = spec.keys.legacy_range();
    let flags = spec.flags.iter().map(|flag| Frame::simple(flag.name())).collect();
    let categories = spec.acl_categories.iter().map(category_frame).collect();
    let tips = spec.tips.iter().map(|tip| Frame::Bulk(Bytes::from_static(tip.as_bytes()))).collect();
    let subcommands = if spec.is_container() {
        Frame::Array(spec.subcommands.iter().map(info_entry).collect())
    } else {
        Frame::Set(Vec::new())
    };
    Frame::Array(vec![
        Frame::bulk(spec.name.to_ascii_lowercase()),
        Frame::Integer(i64::from(spec.arity)),
        Frame::Set(flags),
        Frame::Integer(first),
        Frame::Integer(last),
        Frame::Integer(step),
        Frame::Set(categories),
        Frame::Set(tips),
        Frame::Set(Vec::new()),
        subcommands,
    ])
}

fn category_frame(category: AclCategory) -> Frame {
    Frame::Simple(Bytes::from(format!("@{}", category.name())))
}

/// `COMMAND DOCS [name ...]`: a map from name to docs; unknown names are left out.
fn docs_reply(names: &[Bytes]) -> Frame {
    let specs: Vec<&CommandSpec> = if names.is_empty() {
        all_commands().to_vec()
    } else {
        names.iter().filter_map(|name| lookup_full_name(name)).collect()
    };
    Frame::Map(specs.into_iter().map(docs_pair).collect())
}

fn docs_pair(spec: &CommandSpec) -> (Frame, Frame) {
    let mut docs = vec![
        (Frame::bulk("summary"), Frame::bulk("")),
        (Frame::bulk("since"), Frame::bulk(spec.since)),
        (Frame::bulk("group"), Frame::bulk(spec.group.name())),
    ];
    if spec.is_container() {
        let subcommands = spec.subcommands.iter().map(docs_pair).collect();
        docs.push((Frame::bulk("subcommands"), Frame::Map(subcommands)));
    }
    (Frame::bulk(spec.name.to_ascii_lowercase()), Frame::Map(docs))
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]`: names, subcommands
/// included, lower case.
fn list_reply(options: &[Bytes]) -> Frame {
    let filter: Box<dyn Fn(&CommandSpec) -> bool> = match options {
        [] => Box::new(|_| true),
        [by, kind, value] if by.eq_ignore_ascii_case(b"FILTERBY") => {
            if kind.eq_ignore_ascii_case(b"MODULE") {
                Box::new(|_| false)
            } else if kind.eq_ignore_ascii_case(b"ACLCAT") {
                let category =
                    AclCategory::ALL.into_iter().find(|c| c.name().as_bytes().eq_ignore_ascii_case(value));
                Box::new(move |spec| category.is_some_and(|category| spec.acl_categories.contains(category)))
            } else if kind.eq_ignore_ascii_case(b"PATTERN") {
                let pattern = value.clone();
                Box::new(move |spec| glob_match(&pattern, spec.name.as_bytes()))
            } else {
                return Frame::error("ERR syntax error");
            }
        }
        _ => return Frame::error("ERR syntax error"),
    };
    let mut names = Vec::new();
    for spec in all_commands() {
        for candidate in std::iter::once(*spec).chain(spec.subcommands.iter()) {
            if filter(candidate) {
                names.push(Frame::bulk(candidate.name.to_ascii_lowercase()));
            }
        }
    }
    Frame::Array(names)
}

/// Case-insensitive glob with `*` (any run), `?` (any byte) and `\\` (escape), as Redis matches
/// command names; character classes are not supported. Iterative with one backtrack point, so it
/// runs in O(pattern × text) whatever the pattern.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut at_pattern, mut at_text) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while at_text < text.len() {
        match pattern.get(at_pattern) {
            Some(b'*') => {
                at_pattern += 1;
                backtrack = Some((at_pattern, at_text));
                continue;
            }
            Some(b'?') => {
                at_pattern += 1;
                at_text += 1;
                continue;
            }
            Some(&byte) => {
                let (expected, width) = match (byte, pattern.get(at_pattern + 1)) {
                    (b'\\', Some(&escaped)) => (escaped, 2),
                    _ => (byte, 1),
                };
                if expected.eq_ignore_ascii_case(&text[at_text]) {
                    at_pattern += width;
                    at_text += 1;
                    continue;
                }
            }
            None => {}
        }
        match backtrack {
            Some((star_pattern, star_text)) => {
                at_pattern = star_pattern;
                at_text = star_text + 1;
                backtrack = Some((star_pattern, star_text + 1));
            }
            None => return false,
        }
    }
    pattern[at_pattern.min(pattern.len())..].iter().all(|byte| *byte == b'*')
}

/// `COMMAND GETKEYS command arg ...` (and `GETKEYSANDFLAGS`, whose key flags we do not track and
/// leave empty).
fn getkeys_reply(request: &[Bytes], with_flags: bool) -> Frame {
    let spec = match lookup_full_name(request.first().map(|name| name.as_ref()).unwrap_or_default()) {
        Some(_) => match resolve(request) {
            Ok(spec) => spec,
            Err(_) => return Frame::error("ERR Invalid number of arguments specified for command"),
        },
        None => return Frame::error("ERR Invalid command specified"),
    };
    let indexes = match spec.key_indexes(request) {
        Ok(indexes) => indexes,
        Err(error) => return error.to_frame(),
    };
    if indexes.is_empty() {
        return Frame::error("ERR The command has no key arguments");
    }
    let keys = indexes.into_iter().filter_map(|index| request.get(index)).map(|key| {
        if with_flags {
            Frame::Array(vec![Frame::Bulk(key.clone()), Frame::Set(Vec::new())])
        } else {
            Frame::Bulk(key.clone())
        }
    });
    Frame::Array(keys.collect())
}

/// Lines of `COMMAND HELP`.
const HELP_LINES: [&str; 13] = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all commands served through Dynomite.",
    "COUNT",
    "    Return the total number of commands.",
    "GETKEYS <full-command>",
    "    Return the keys from a full command.",
    "INFO [<command-name> ...]",
    "    Return details about multiple commands (all commands when none is given).",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple commands.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    Return a list of all commands, optionally filtered.",
];

fn help_reply() -> Frame {
    Frame::Array(HELP_LINES.iter().map(|line| Frame::simple(line)).collect())
}
