//! Property tests: resolving a request, finding its keys and answering COMMAND never panic, whatever
//! the arguments, and found key indexes always point inside the request.

use bytes::Bytes;
use dynomite_core::command;
use proptest::prelude::*;

/// Words that steer the parsers into their interesting branches.
const INTERESTING_WORDS: &[&str] = &[
    "GET",
    "MSET",
    "EVAL",
    "FCALL",
    "ZUNIONSTORE",
    "ZDIFF",
    "SINTERCARD",
    "LMPOP",
    "XREAD",
    "XREADGROUP",
    "SORT",
    "GEORADIUS",
    "GEORADIUSBYMEMBER",
    "SCRIPT",
    "CLIENT",
    "COMMAND",
    "INFO",
    "GETKEYS",
    "LIST",
    "FILTERBY",
    "PATTERN",
    "ACLCAT",
    "DOCS",
    "STREAMS",
    "STORE",
    "STOREDIST",
    "BLOCK",
    "COUNT",
    "GROUP",
    "NOACK",
    "LIMIT",
    "BY",
    "0",
    "1",
    "2",
    "-1",
    "99999999999999999999",
    "*",
    "\\",
    "?*",
    "",
];

fn argument() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        proptest::sample::select(INTERESTING_WORDS).prop_map(|word| Bytes::from_static(word.as_bytes())),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Bytes::from),
    ]
}

fn request() -> impl Strategy<Value = Vec<Bytes>> {
    proptest::collection::vec(argument(), 0..12)
}

proptest! {
    #[test]
    fn resolve_and_key_indexes_never_panic(args in request()) {
        if let Ok(spec) = command::resolve(&args) {
            let _ = spec.request_routing(&args);
            let _ = spec.request_access(&args);
            if let Ok(indexes) = spec.key_indexes(&args) {
                prop_assert!(indexes.iter().all(|index| *index > 0 && *index < args.len()));
            }
        }
    }

    #[test]
    fn every_spec_survives_any_arguments(index in any::<prop::sample::Index>(), tail in request()) {
        let all = command::all_commands();
        let spec = all[index.index(all.len())];
        let mut args = vec![Bytes::from_static(spec.name.as_bytes())];
        args.extend(tail);
        if let Ok(indexes) = spec.key_indexes(&args) {
            prop_assert!(indexes.iter().all(|index| *index > 0 && *index < args.len()));
        }
        let _ = spec.request_routing(&args);
        let _ = spec.request_access(&args);
    }

    #[test]
    fn command_reply_never_panics(tail in request()) {
        let mut args = vec![Bytes::from_static(b"COMMAND")];
        args.extend(tail);
        let _ = command::command_reply(&args);
    }
}
