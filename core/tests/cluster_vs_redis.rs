//! Multi-key split and merge checked against real redis-server 7.0.15 processes.
//!
//! Three servers play the three nodes of a rack: every fragment goes to its owner's server and the
//! fragment replies are merged. A fourth server receives every command whole. For a seeded random
//! sequence of MSET, MGET, DEL, UNLINK, EXISTS, TOUCH (and LPUSH, so that MGET meets a wrong-type key)
//! the merged reply must equal the single server's reply byte for byte.

use bytes::Bytes;
use dynomite_core::cluster::{merge_multi_key, split_multi_key};
use dynomite_core::resp::{parse_frame, Frame, Protocol};
use dynomite_testkit::{RedisServer, RespConn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Nodes of the simulated rack.
const NODE_COUNT: usize = 3;
/// Commands of the random sequence.
const COMMAND_COUNT: usize = 400;
/// The seed of the sequence (fixed so a failure replays).
const SEED: u64 = 0x5eed_c105;
/// Keys the sequence draws from (few, so commands overlap).
const KEYS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "{user}1", "{user}2"];

/// The owner of a key: a small deterministic hash, standing in for the token ring.
fn owner_of(key: &[u8]) -> usize {
    let hash = key.iter().fold(7u32, |hash, byte| hash.wrapping_mul(31).wrapping_add(u32::from(*byte)));
    hash as usize % NODE_COUNT
}

fn random_command(rng: &mut ChaCha8Rng) -> (&'static str, Vec<Bytes>) {
    let names = ["MSET", "MGET", "DEL", "UNLINK", "EXISTS", "TOUCH", "LPUSH"];
    let name = names[rng.gen_range(0..names.len())];
    let key_count = if name == "LPUSH" { 1 } else { rng.gen_range(1..=6) };
    let mut args = Vec::new();
    for _ in 0..key_count {
        args.push(Bytes::from_static(KEYS[rng.gen_range(0..KEYS.len())].as_bytes()));
        if name == "MSET" || name == "LPUSH" {
            args.push(Bytes::from(format!("v{}", rng.gen_range(0..100))));
        }
    }
    (name, args)
}

fn whole(name: &str, args: &[Bytes]) -> Vec<Bytes> {
    std::iter::once(Bytes::copy_from_slice(name.as_bytes())).chain(args.iter().cloned()).collect()
}

#[test]
fn split_and_merge_answer_like_one_redis() {
    let servers: Vec<RedisServer> = (0..NODE_COUNT).map(|_| RedisServer::start()).collect();
    let reference = RedisServer::start();
    let mut nodes: Vec<RespConn> =
        servers.iter().map(|server| RespConn::connect(server.port()).expect("connect")).collect();
    let mut single = RespConn::connect(reference.port()).expect("connect");
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    for step in 0..COMMAND_COUNT {
        let (name, args) = random_command(&mut rng);
        let expected = single.command(&whole(name, &args)).expect("reference reply");
        if name == "LPUSH" {
            let key = &args[0];
            nodes[owner_of(key)].command(&whole(name, &args)).expect("lpush");
            continue;
        }
        let fragments = split_multi_key(name, &args, owner_of).expect("valid command");
        let key_count = fragments.iter().map(|fragment| fragment.key_slots.len()).sum();
        let answered: Vec<_> = fragments
            .into_iter()
            .map(|fragment| {
                let raw = nodes[fragment.owner].command(&fragment.args).expect("node reply");
                let reply = parse_frame(&Bytes::from(raw)).expect("valid RESP");
                (fragment, reply)
            })
            .collect();
        let merged: Frame = merge_multi_key(name, key_count, &answered);
        let merged_bytes = merged.to_bytes(Protocol::Resp2);
        assert_eq!(
            String::from_utf8_lossy(&merged_bytes),
            String::from_utf8_lossy(&expected),
            "step {step}: {name} {args:?} (seed {SEED:#x})"
        );
    }
}
