//! The typed request: resolved once, with its kind, keys and token, so nothing later matches on names.

use bytes::Bytes;
use dynomite_core::command::{Access, ReplyOrder};
use dynomite_core::config::HashAlgorithm;
use dynomite_core::request::{
    order_shard, BroadcastKind, ClusterWideKind, KeyHasher, Kind, Request, SameNodeKind,
};
use dynomite_core::ring::key_token;

const HASHER: KeyHasher = KeyHasher { algorithm: HashAlgorithm::Murmur, tag: None };

fn resolve(words: &[&str]) -> Request {
    let args = words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect();
    match Request::resolve(args, &HASHER) {
        Ok(request) => request,
        Err(error) => panic!("{words:?} resolves: {error}"),
    }
}

fn refusal(words: &[&str]) -> String {
    let args = words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect();
    match Request::resolve(args, &HASHER) {
        Ok(request) => panic!("{words:?} must be refused, resolved as {:?}", request.kind),
        Err(error) => error.to_string(),
    }
}

fn token(key: &str) -> u32 {
    key_token(key.as_bytes(), HashAlgorithm::Murmur, None)
}

#[test]
fn single_key_requests_carry_their_key_and_token() {
    let get = resolve(&["get", "k"]);
    assert_eq!((get.kind, get.access, get.reply_order), (Kind::SingleKey, Access::Read, ReplyOrder::Defined));
    assert_eq!(
        (get.key_indexes.as_slice(), get.token, get.shard()),
        (&[1][..], Some(token("k")), order_shard(token("k")))
    );
    let set = resolve(&["SET", "k", "v"]);
    assert_eq!((set.kind, set.access), (Kind::SingleKey, Access::Write));
    assert_eq!(resolve(&["SMEMBERS", "s"]).reply_order, ReplyOrder::Unordered);
    assert_eq!(resolve(&["SRANDMEMBER", "s"]).reply_order, ReplyOrder::Random);
}

#[test]
fn same_node_requests_know_whether_they_are_scripts() {
    let eval = resolve(&["EVAL", "return 1", "2", "a", "b"]);
    assert_eq!(eval.kind, Kind::SameNode(SameNodeKind::Script));
    assert_eq!((eval.key_indexes.as_slice(), eval.token), (&[3, 4][..], Some(token("a"))));
    let keyless = resolve(&["EVAL", "return 1", "0"]);
    assert_eq!((keyless.token, keyless.shard()), (None, 0), "no key: shard 0, the local datastore runs it");
    assert_eq!(resolve(&["RENAME", "a", "b"]).kind, Kind::SameNode(SameNodeKind::Command));
}

#[test]
fn multi_key_requests_take_their_first_keys_token() {
    let mget = resolve(&["MGET", "x", "y"]);
    assert_eq!((mget.kind, mget.token), (Kind::MultiKey, Some(token("x"))));
    assert!(mget.key_indexes.is_empty(), "the splitter reads the keys itself");
}

#[test]
fn cluster_wide_and_broadcast_kinds_are_typed() {
    assert_eq!(resolve(&["SCAN", "0"]).kind, Kind::ClusterWide(ClusterWideKind::Scan));
    assert_eq!(resolve(&["KEYS", "*"]).kind, Kind::ClusterWide(ClusterWideKind::Keys));
    assert_eq!(resolve(&["DBSIZE"]).kind, Kind::ClusterWide(ClusterWideKind::DbSize));
    assert_eq!(resolve(&["RANDOMKEY"]).kind, Kind::ClusterWide(ClusterWideKind::RandomKey));
    assert_eq!(resolve(&["SCRIPT", "EXISTS", "abc"]).kind, Kind::Broadcast(BroadcastKind::ScriptExists));
    assert_eq!(resolve(&["FLUSHALL"]).kind, Kind::Broadcast(BroadcastKind::Other));
    assert_eq!(resolve(&["TIME"]).kind, Kind::LocalDatastore);
    assert_eq!(resolve(&["PING"]).kind, Kind::Proxy);
}

#[test]
fn refusals_carry_redis_texts() {
    assert!(refusal(&["NOSUCH"]).contains("unknown command"), "{}", refusal(&["NOSUCH"]));
    assert!(refusal(&["GET"]).contains("wrong number of arguments"));
    assert!(refusal(&["MULTI"]).contains("MULTI"), "{}", refusal(&["MULTI"]));
    assert!(
        refusal(&["EVAL", "return 1", "5", "a"]).contains("Number of keys"),
        "{}",
        refusal(&["EVAL", "return 1", "5", "a"])
    );
}
