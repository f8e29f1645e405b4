//! Worked examples of splitting multi-key commands by owner and merging the replies.

use bytes::Bytes;
use dynomite_core::cluster::{merge_multi_key, split_multi_key, Fragment, SplitError};
use dynomite_core::resp::Frame;

fn args(words: &[&str]) -> Vec<Bytes> {
    words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
}

/// Keys starting with `a`..`m` live on node 1, the rest on node 2.
fn owner_of(key: &[u8]) -> u8 {
    if key.first().is_some_and(|byte| *byte <= b'm') {
        1
    } else {
        2
    }
}

#[test]
fn mset_keeps_pairs_together_and_fragments_follow_first_keys() {
    let fragments = split_multi_key("mset", &args(&["z", "1", "a", "2", "y", "3"]), owner_of).expect("valid");
    assert_eq!(
        fragments,
        vec![
            Fragment { owner: 2, args: args(&["MSET", "z", "1", "y", "3"]), key_slots: vec![0, 2] },
            Fragment { owner: 1, args: args(&["MSET", "a", "2"]), key_slots: vec![1] },
        ]
    );
}

#[test]
fn duplicate_keys_stay_in_their_fragment() {
    let fragments = split_multi_key("EXISTS", &args(&["k", "k", "x"]), owner_of).expect("valid");
    assert_eq!(fragments[0].args, args(&["EXISTS", "k", "k"]));
    assert_eq!(fragments[0].key_slots, vec![0, 1]);
}

#[test]
fn split_errors() {
    assert_eq!(
        split_multi_key("GET", &args(&["k"]), owner_of),
        Err(SplitError::NotMultiKey { command: "GET".to_string() })
    );
    assert_eq!(
        split_multi_key("MSET", &args(&["k", "v", "odd"]), owner_of),
        Err(SplitError::WrongArity { command: "mset".to_string(), argument_count: 3 })
    );
    assert_eq!(
        split_multi_key("DEL", &[], owner_of),
        Err(SplitError::WrongArity { command: "del".to_string(), argument_count: 0 })
    );
}

#[test]
fn mget_merges_in_key_order() {
    let fragments = split_multi_key("MGET", &args(&["z", "a", "y"]), owner_of).expect("valid");
    let replies = [Frame::Array(vec![Frame::bulk("Z"), Frame::Null]), Frame::Array(vec![Frame::bulk("A")])];
    let answered: Vec<_> = fragments.into_iter().zip(replies).collect();
    assert_eq!(
        merge_multi_key("MGET", 3, &answered),
        Frame::Array(vec![Frame::bulk("Z"), Frame::bulk("A"), Frame::Null])
    );
}

#[test]
fn counts_are_summed_and_the_first_error_wins() {
    let fragments = split_multi_key("DEL", &args(&["z", "a"]), owner_of).expect("valid");
    let counted: Vec<_> = fragments.iter().cloned().zip([Frame::Integer(1), Frame::Integer(1)]).collect();
    assert_eq!(merge_multi_key("DEL", 2, &counted), Frame::Integer(2));
    let failed: Vec<_> = fragments
        .iter()
        .cloned()
        .zip([Frame::error("ERR Peer: Peer Node is down"), Frame::error("ERR second")])
        .collect();
    assert_eq!(merge_multi_key("DEL", 2, &failed), Frame::error("ERR Peer: Peer Node is down"));
}

#[test]
fn malformed_fragment_replies_answer_an_error() {
    let fragments = split_multi_key("MGET", &args(&["z", "a"]), owner_of).expect("valid");
    let short: Vec<_> =
        fragments.iter().cloned().zip([Frame::Array(vec![]), Frame::Array(vec![Frame::Null])]).collect();
    assert!(merge_multi_key("MGET", 2, &short).is_error(), "a reply with too few values");
    let missing: Vec<_> = fragments.iter().take(1).cloned().zip([Frame::Array(vec![Frame::Null])]).collect();
    assert!(merge_multi_key("MGET", 2, &missing).is_error(), "a key no fragment answered");
    let mset: Vec<_> = fragments.iter().cloned().zip([Frame::ok(), Frame::Integer(1)]).collect();
    assert!(merge_multi_key("MSET", 2, &mset).is_error(), "MSET needs +OK from every fragment");
    assert!(merge_multi_key::<u8>("GET", 1, &[]).is_error(), "not a multi-key command");
}
