//! CRDT mode on this node (`crdt_enabled`): the hybrid logical clock that stamps writes, and the glue
//! that turns covered client writes into the CRDT Lua scripts before they are enqueued.
//!
//! - [`Crdt`]: the node's [`Hlc`] (behind a mutex: one short critical section per write), fed by the
//!   injected clock [`NodeShared::clock`](crate::node::NodeShared), and the node's stable 32-bit id
//!   ([`timestamp::node_id`] of its datacenter, rack and tokens: a replacement node with the same
//!   tokens keeps it).
//! - [`Stamp`]: one client write's timestamp. The coordinator takes **one** timestamp per client write
//!   at dispatch and rewrites every fragment of it with
//!   [`rewrite`](dynomite_core::crdt::rewrite::rewrite) before anything is enqueued; the rewritten
//!   `EVALSHA` then travels exactly as the write would have (same plan, same order contract), so every
//!   replica and every remote-datacenter forward runs the same script with the same timestamp. A
//!   remote datacenter's entry node and the peer server never stamp again; they only
//!   [`Crdt::observe`] the timestamps they see, so the node's next writes are newer.
//! - [`script_set`]: the scripts every datastore connection loads before its first request.
//!
//! Off (`crdt_enabled: false`): nothing here runs, [`NodeShared::crdt`](crate::node::NodeShared) is
//! `None`, and requests are sent byte for byte as before.

use std::sync::Mutex;

use bytes::Bytes;
use dynomite_core::config::Config;
use dynomite_core::crdt::hlc::Hlc;
use dynomite_core::crdt::timestamp::{self, Timestamp};

use crate::datastore::ScriptSet;

/// The node's CRDT state: its clock and id, and the bounds the scripts are given.
pub struct Crdt {
    node_id: u32,
    hlc: Mutex<Hlc>,
    /// `changelog_max`: length bound of the datastore change log, passed to every write script.
    changelog_max: u32,
    /// `crdt_state_elements_max`: most elements one key's state may ship for read repair.
    state_elements_max: u32,
}

impl Crdt {
    /// The CRDT state of a node with this configuration, or None when `crdt_enabled` is false.
    pub fn for_config(config: &Config) -> Option<Crdt> {
        config.crdt_enabled.then(|| {
            let node_id = timestamp::node_id(&config.datacenter, &config.rack, &config.tokens);
            Crdt {
                node_id,
                hlc: Mutex::new(Hlc::new(node_id)),
                changelog_max: config.changelog_max,
                state_elements_max: config.crdt_state_elements_max,
            }
        })
    }

    /// The node id written into this node's timestamps.
    pub fn node_id(&self) -> u32 {
        self.node_id
    }

    /// `crdt_state_elements_max`.
    pub fn state_elements_max(&self) -> u32 {
        self.state_elements_max
    }

    /// A fresh timestamp, greater than every one this node issued or observed.
    pub fn now(&self, wall_ms: u64) -> Timestamp {
        self.hlc.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).now(wall_ms)
    }

    /// Takes note of a timestamp another node issued (a replicated or forwarded write).
    pub fn observe(&self, stamp: Timestamp, wall_ms: u64) {
        self.hlc.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).observe(stamp, wall_ms);
    }

    /// The last timestamp issued or observed.
    pub fn last(&self) -> Timestamp {
        self.hlc.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).last()
    }

    /// Takes note of the timestamp carried by `args` when they are a CRDT write script's `EVALSHA`
    /// (for the peer server and a remote datacenter's entry node); other requests are ignored.
    pub fn observe_request(&self, args: &[Bytes], wall_ms: u64) {
        if let Some(stamp) = contract::timestamp_of(args) {
            self.observe(stamp, wall_ms);
        }
    }
}

/// One client write's timestamp, taken at dispatch and shared by all its fragments.
pub struct Stamp<'a> {
    crdt: &'a Crdt,
    timestamp: Timestamp,
    now_ms: u64,
    /// True once a fragment was rewritten (the timestamp is then reported in the decision).
    used: bool,
}

impl<'a> Stamp<'a> {
    /// A new timestamp for one client write at wall time `now_ms`.
    pub fn new(crdt: &'a Crdt, now_ms: u64) -> Stamp<'a> {
        Stamp { crdt, timestamp: crdt.now(now_ms), now_ms, used: false }
    }

    /// One fragment's arguments as they are sent: the CRDT script's `EVALSHA` when the write is
    /// covered, else unchanged.
    pub fn rewrite(&mut self, args: Vec<Bytes>) -> Vec<Bytes> {
        match contract::rewrite(&args, self.timestamp, self.now_ms, self.crdt.changelog_max) {
            Some(rewritten) => {
                self.used = true;
                rewritten
            }
            None => args,
        }
    }

    /// The timestamp, if any fragment was rewritten with it.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.used.then_some(self.timestamp)
    }
}

/// The scripts every datastore connection of a node with this configuration loads: the CRDT scripts
/// in CRDT mode, none otherwise.
pub fn script_set(config: &Config) -> ScriptSet {
    if !config.crdt_enabled {
        return ScriptSet::default();
    }
    ScriptSet::new(contract::scripts())
}

/// The timestamp carried by `args` when they are a CRDT write script's `EVALSHA`.
pub fn timestamp_of(args: &[Bytes]) -> Option<Timestamp> {
    contract::timestamp_of(args)
}

/// The reserved key prefix of CRDT metadata (`_dyn:m:<key>`, `_dyn:log`): hidden from KEYS, SCAN and
/// RANDOMKEY replies in CRDT mode.
pub const RESERVED_PREFIX: &[u8] = b"_dyn:";

/// True for a key the proxy keeps for itself.
pub fn is_reserved(key: &[u8]) -> bool {
    key.starts_with(RESERVED_PREFIX)
}

/// The calls into `dynomite_core::crdt` (scripts, rewrite) this module depends on, in one place.
mod contract {
    use bytes::Bytes;
    use dynomite_core::crdt::scripts::{self, ScriptName};
    use dynomite_core::crdt::timestamp::Timestamp;

    pub use dynomite_core::crdt::rewrite::rewrite;

    /// The timestamp argument of a CRDT write script's `EVALSHA`:
    /// `EVALSHA <sha1> <numkeys> <keys...> <ts> <changelog_max> <op args...>` (see `rewrite`).
    pub fn timestamp_of(args: &[Bytes]) -> Option<Timestamp> {
        let [name, sha1, numkeys, rest @ ..] = args else { return None };
        if !name.eq_ignore_ascii_case(b"EVALSHA") {
            return None;
        }
        let script = scripts::all().iter().find(|script| script.sha1.as_bytes() == sha1.as_ref())?;
        if matches!(script.name, ScriptName::State | ScriptName::Read | ScriptName::Merge | ScriptName::Gc) {
            return None;
        }
        let numkeys: usize = std::str::from_utf8(numkeys).ok()?.parse().ok()?;
        Timestamp::parse(rest.get(numkeys)?).ok()
    }

    /// `(sha1, text)` of every registered script.
    pub fn scripts() -> Vec<(Bytes, Bytes)> {
        scripts::all()
            .iter()
            .map(|script| (Bytes::from(script.sha1.clone()), Bytes::from_static(script.text.as_bytes())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
    }

    fn config(extra: &str) -> Config {
        config_in_rack("r1", extra)
    }

    fn config_in_rack(rack: &str, extra: &str) -> Config {
        let yaml = format!(
            "p:\n  listen: 127.0.0.1:1\n  data_store: embedded\n  tokens: '7'\n  rack: {rack}\n  datacenter: d1\n{extra}"
        );
        dynomite_core::config::parse_config(&yaml).expect("valid config")
    }

    #[test]
    fn off_without_crdt_enabled() {
        assert!(Crdt::for_config(&config("")).is_none());
        assert!(script_set(&config("")).is_empty());
        assert!(!script_set(&config("  crdt_enabled: true\n")).is_empty());
    }

    #[test]
    fn one_timestamp_per_write_and_observed_timestamps_are_passed() {
        let crdt = Crdt::for_config(&config("  crdt_enabled: true\n")).expect("crdt on");
        assert_eq!(crdt.node_id(), timestamp::node_id("d1", "r1", &[7]));
        let mut stamp = Stamp::new(&crdt, 1_000);
        let first = stamp.rewrite(args(&["SET", "a", "1"]));
        let second = stamp.rewrite(args(&["DEL", "b"]));
        let unchanged = stamp.rewrite(args(&["APPEND", "c", "x"]));
        assert_eq!(unchanged, args(&["APPEND", "c", "x"]));
        let issued = stamp.timestamp().expect("a fragment was rewritten");
        assert_eq!(contract::timestamp_of(&first), Some(issued));
        assert_eq!(contract::timestamp_of(&second), Some(issued));
        assert_eq!(issued.node, crdt.node_id());
        // A timestamp from another node, far ahead: the next write is newer.
        let other = Crdt::for_config(&config_in_rack("r2", "  crdt_enabled: true\n")).expect("crdt on");
        let mut ahead = Stamp::new(&other, 50_000);
        let replicated = ahead.rewrite(args(&["SET", "a", "2"]));
        crdt.observe_request(&replicated, 1_001);
        assert!(Stamp::new(&crdt, 1_002).timestamp >= ahead.timestamp);
        let mut unused = Stamp::new(&crdt, 1_003);
        unused.rewrite(args(&["LPUSH", "l", "x"]));
        assert_eq!(unused.timestamp(), None);
    }

    #[test]
    fn reserved_keys() {
        assert!(is_reserved(b"_dyn:m:k") && is_reserved(b"_dyn:log"));
        assert!(!is_reserved(b"k") && !is_reserved(b"_dyn"));
    }
}
