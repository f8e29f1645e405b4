//! The core mutation points change what they claim to change (simulation build only):
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-core --profile sim --target-dir target/sim --test mutants_core`.
//!
//! One test function on purpose: a mutant is a process-wide switch, and this file is its own process,
//! so no other test can observe it.
#![cfg(madsim)]

use bytes::Bytes;
use dynomite_core::cluster::{
    decide_all, merge_multi_key, split_multi_key, ClusterCursor, Fragment, ReplicaResult, Verdict,
};
use dynomite_core::command::{self, Access};
use dynomite_core::config::Consistency;
use dynomite_core::mutants::{activate, Mutant};
use dynomite_core::resp::Frame;

fn args(text: &str) -> Vec<Bytes> {
    text.split(' ').map(|word| Bytes::from(word.to_string())).collect()
}

fn access(text: &str) -> Access {
    let request = args(text);
    command::resolve(&request).expect("known").request_access(&request)
}

fn safe_quorum_of_two_different_replies() -> Verdict {
    let replies = [(0, ReplicaResult::Reply(Bytes::from_static(b"$1\r\na\r\n")))]
        .into_iter()
        .chain([(0, ReplicaResult::Reply(Bytes::from_static(b"$1\r\nb\r\n")))]);
    decide_all(Consistency::DcSafeQuorum, &[3], replies)
}

/// MGET a b c where a and c share owner 0 and b is owner 1; each fragment answers its keys' names.
fn mget_merge() -> Frame {
    let fragments = split_multi_key("MGET", &args("a b c"), |key| usize::from(key == b"b")).expect("splits");
    let replies: Vec<(Fragment<usize>, Frame)> = fragments
        .into_iter()
        .map(|fragment| {
            let values = fragment.args[1..].iter().map(|key| Frame::Bulk(key.clone())).collect();
            (fragment, Frame::Array(values))
        })
        .collect();
    merge_multi_key("MGET", 3, &replies)
}

fn mset_split() -> (usize, Frame) {
    let fragments =
        split_multi_key("MSET", &args("a 1 b 2"), |key| usize::from(key == b"b")).expect("splits");
    let replies: Vec<(Fragment<usize>, Frame)> =
        fragments.into_iter().map(|fragment| (fragment, Frame::ok())).collect();
    (replies.len(), merge_multi_key("MSET", 2, &replies))
}

#[test]
fn each_core_mutant_changes_its_behaviour_and_only_while_active() {
    let in_key_order = Frame::Array(vec![Frame::bulk("a"), Frame::bulk("b"), Frame::bulk("c")]);
    let finished_node_0 = ClusterCursor::START.advance(0, 3);
    let check = |active: Option<Mutant>| {
        activate(active);
        let on = |mutant| active == Some(mutant);
        assert_eq!(
            matches!(safe_quorum_of_two_different_replies(), Verdict::Reply(_)),
            on(Mutant::SafeQuorumAcceptsDifferent),
            "{active:?}: DC_SAFE_QUORUM with two different replies of three"
        );
        assert_eq!(mget_merge() != in_key_order, on(Mutant::MgetMergeFragmentOrder), "{active:?}: MGET");
        let (sent, answer) = mset_split();
        assert_eq!(sent == 1, on(Mutant::MsetDropsLastFragment), "{active:?}: MSET fragments");
        assert_eq!(answer, Frame::ok(), "{active:?}: MSET answers OK either way");
        for request in ["DEL a", "UNLINK a b"] {
            let read = access(request) == Access::Read;
            assert_eq!(read, on(Mutant::DeleteAsRead), "{active:?}: {request}");
        }
        for request in ["EXPIRE a 10", "PEXPIRE a 10"] {
            let read = access(request) == Access::Read;
            assert_eq!(read, on(Mutant::ExpireAsRead), "{active:?}: {request}");
        }
        let next = ClusterCursor::START.advance(0, 3);
        assert_eq!(next != finished_node_0, on(Mutant::ScanSkipsNode), "{active:?}: SCAN advance");
    };
    check(None);
    for mutant in [
        Mutant::SafeQuorumAcceptsDifferent,
        Mutant::MgetMergeFragmentOrder,
        Mutant::MsetDropsLastFragment,
        Mutant::DeleteAsRead,
        Mutant::ExpireAsRead,
        Mutant::ScanSkipsNode,
    ] {
        check(Some(mutant));
    }
    activate(None);
}
