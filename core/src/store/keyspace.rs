//! Key-level commands (DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, RANDOMKEY, FLUSH*), expiry commands
//! (EXPIRE family, TTL family, PERSIST) and the typed access helpers every other module uses.
//!
//! ## The SCAN cursor scheme
//! Keys are kept in byte order. A non-zero cursor names an entry of a bounded table that remembers
//! the last key returned; the next call continues strictly after that key. So every key present
//! for the whole scan is returned exactly once, whatever is inserted or deleted meanwhile. A cursor
//! that is unknown (never issued, or evicted because more than [`SCAN_CURSORS_MAX`] scans are open)
//! restarts from the first key: SCAN allows duplicates, never misses. COUNT bounds the keys examined
//! per call, as in Redis; MATCH and TYPE filter after examining.

use std::ops::Bound;

use bytes::Bytes;

use crate::resp::Frame;

use super::args::{self, error, integer, is, reply, SYNTAX};
use super::glob;
use super::value::{Entry, Value};
use super::{Call, Store};

/// Open SCAN cursors remembered at most; the oldest is forgotten beyond this.
pub const SCAN_CURSORS_MAX: usize = 1024;
/// Keys examined per SCAN call when COUNT is not given (Redis's default).
const SCAN_DEFAULT_COUNT: usize = 10;
/// RANDOMKEY draws at most this many expired keys before answering null.
const RANDOM_KEY_ATTEMPTS_MAX: usize = 100;

impl Store {
    /// The live entry of `key`, removing it first when its TTL has passed.
    pub(crate) fn live_entry(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        if self.keys.get(key).is_some_and(|entry| entry.is_expired(now_ms)) {
            self.keys.remove(key);
            self.statistics.expired_keys += 1;
        }
        let entry = self.keys.get_mut(key);
        if entry.is_some() {
            self.statistics.keyspace_hits += 1;
        } else {
            self.statistics.keyspace_misses += 1;
        }
        entry
    }

    /// The value of `key` if it has the type `cast` selects; WRONGTYPE if it has another type.
    pub(crate) fn typed<T>(
        &mut self,
        key: &[u8],
        now_ms: u64,
        cast: fn(&mut Value) -> Option<&mut T>,
    ) -> Result<Option<&mut T>, Frame> {
        match self.live_entry(key, now_ms) {
            None => Ok(None),
            Some(entry) => cast(&mut entry.value).map(Some).ok_or_else(|| error(args::WRONG_TYPE)),
        }
    }

    /// Runs `read` on the value of `key` (None when missing) without copying it; WRONGTYPE for
    /// another type.
    pub(crate) fn inspect<T, R>(
        &mut self,
        key: &[u8],
        now_ms: u64,
        cast: fn(&mut Value) -> Option<&mut T>,
        read: impl FnOnce(Option<&T>) -> R,
    ) -> Result<R, Frame> {
        Ok(read(self.typed(key, now_ms, cast)?.map(|value| &*value)))
    }

    /// Like [`Store::typed`], creating the key with `make()` when missing.
    pub(crate) fn typed_or_insert<T>(
        &mut self,
        key: &Bytes,
        now_ms: u64,
        cast: fn(&mut Value) -> Option<&mut T>,
        make: fn() -> Value,
    ) -> Result<&mut T, Frame> {
        if self.live_entry(key, now_ms).is_none() {
            self.keys.insert(key.clone(), Entry::new(make()));
        }
        let entry = self.keys.get_mut(key).ok_or_else(|| error(args::WRONG_TYPE))?;
        cast(&mut entry.value).ok_or_else(|| error(args::WRONG_TYPE))
    }

    /// Deletes `key` when it holds an empty collection (Redis never keeps empty collections).
    pub(crate) fn drop_if_empty(&mut self, key: &[u8]) {
        if self.keys.get(key).is_some_and(|entry| entry.value.is_empty_collection()) {
            self.keys.remove(key);
        }
    }

    /// Stores `value` under `key`, replacing any value and clearing its TTL.
    pub(crate) fn put(&mut self, key: Bytes, value: Value) {
        self.keys.insert(key, Entry::new(value));
    }

    /// Removes `key` if it is live; true when something was removed.
    pub(crate) fn remove_live(&mut self, key: &[u8], now_ms: u64) -> bool {
        self.live_entry(key, now_ms).is_some() && self.keys.remove(key).is_some()
    }

    /// Keys that hold a value with an expiry (for INFO keyspace).
    pub(crate) fn keys_with_expiry(&self) -> usize {
        self.keys.values().filter(|entry| entry.expires_at_ms.is_some()).count()
    }
}

/// DEL / UNLINK key...
pub(crate) fn del(store: &mut Store, call: &Call) -> Frame {
    let removed = call.args[1..].iter().filter(|key| store.remove_live(key, call.now_ms)).count();
    Frame::Integer(removed as i64)
}

/// EXISTS / TOUCH key... (a key named twice counts twice).
pub(crate) fn exists(store: &mut Store, call: &Call) -> Frame {
    let found = call.args[1..].iter().filter(|key| store.live_entry(key, call.now_ms).is_some()).count();
    Frame::Integer(found as i64)
}

/// TYPE key.
pub(crate) fn type_of(store: &mut Store, call: &Call) -> Frame {
    let name = store.live_entry(&call.args[1], call.now_ms).map_or("none", |entry| entry.value.type_name());
    Frame::simple(name)
}

/// KEYS pattern.
pub(crate) fn keys(store: &mut Store, call: &Call) -> Frame {
    let pattern = &call.args[1];
    let matching = store
        .keys
        .iter()
        .filter(|(key, entry)| !entry.is_expired(call.now_ms) && glob::matches(pattern, key))
        .map(|(key, _)| Frame::Bulk(key.clone()))
        .collect();
    Frame::Array(matching)
}

/// DBSIZE.
pub(crate) fn dbsize(store: &mut Store, _call: &Call) -> Frame {
    Frame::Integer(store.keys.len() as i64)
}

/// FLUSHALL / FLUSHDB [ASYNC|SYNC].
pub(crate) fn flush(store: &mut Store, call: &Call) -> Frame {
    match call.args {
        [_] => {}
        [_, mode] if is(mode, "async") || is(mode, "sync") => {}
        _ => return error(SYNTAX),
    }
    store.keys.clear();
    store.scan_cursors.clear();
    Frame::ok()
}

/// RENAME key newkey.
pub(crate) fn rename(store: &mut Store, call: &Call) -> Frame {
    reply(rename_generic(store, call, false))
}

/// RENAMENX key newkey.
pub(crate) fn renamenx(store: &mut Store, call: &Call) -> Frame {
    reply(rename_generic(store, call, true))
}

fn rename_generic(store: &mut Store, call: &Call, only_if_new: bool) -> Result<Frame, Frame> {
    let (source, target) = (&call.args[1], &call.args[2]);
    if store.live_entry(source, call.now_ms).is_none() {
        return Err(error("ERR no such key"));
    }
    if source == target {
        return Ok(if only_if_new { Frame::Integer(0) } else { Frame::ok() });
    }
    if only_if_new && store.live_entry(target, call.now_ms).is_some() {
        return Ok(Frame::Integer(0));
    }
    let entry = store.keys.remove(source).ok_or_else(|| error("ERR no such key"))?;
    store.keys.insert(target.clone(), entry);
    Ok(if only_if_new { Frame::Integer(1) } else { Frame::ok() })
}

/// RANDOMKEY: a key chosen by the store's seeded generator.
pub(crate) fn randomkey(store: &mut Store, call: &Call) -> Frame {
    for _ in 0..RANDOM_KEY_ATTEMPTS_MAX {
        if store.keys.is_empty() {
            return Frame::Null;
        }
        let index = store.random.below(store.keys.len());
        let Some(key) = store.keys.keys().nth(index).cloned() else { return Frame::Null };
        if store.live_entry(&key, call.now_ms).is_some() {
            return Frame::Bulk(key);
        }
    }
    Frame::Null
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
pub(crate) fn scan(store: &mut Store, call: &Call) -> Frame {
    reply(scan_generic(store, call))
}

/// Options shared by SCAN, HSCAN, SSCAN and ZSCAN.
pub(crate) struct ScanOptions {
    /// MATCH pattern.
    pub pattern: Option<Bytes>,
    /// COUNT.
    pub count: usize,
    /// TYPE filter (SCAN only).
    pub type_name: Option<Bytes>,
}

/// Parses the cursor argument like Redis's `strtoul` (a sign is accepted, `-n` wraps), or
/// `ERR invalid cursor`.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, Frame> {
    let text = std::str::from_utf8(arg).map_err(|_| error("ERR invalid cursor"))?;
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(error("ERR invalid cursor"));
    }
    let value = digits.parse::<u64>().map_err(|_| error("ERR invalid cursor"))?;
    Ok(if negative { value.wrapping_neg() } else { value })
}

/// Parses `[MATCH p] [COUNT n] [TYPE t]` (TYPE only when `allow_type`).
pub(crate) fn parse_scan_options(options: &[Bytes], allow_type: bool) -> Result<ScanOptions, Frame> {
    let mut parsed = ScanOptions { pattern: None, count: SCAN_DEFAULT_COUNT, type_name: None };
    let mut rest = options;
    while let [option, value, tail @ ..] = rest {
        if is(option, "match") {
            parsed.pattern = Some(value.clone());
        } else if is(option, "count") {
            let count = integer(value)?;
            parsed.count =
                usize::try_from(count).ok().filter(|count| *count >= 1).ok_or_else(|| error(SYNTAX))?;
        } else if allow_type && is(option, "type") {
            parsed.type_name = Some(value.clone());
        } else {
            return Err(error(SYNTAX));
        }
        rest = tail;
    }
    if rest.is_empty() {
        Ok(parsed)
    } else {
        Err(error(SYNTAX))
    }
}

fn scan_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let cursor = parse_cursor(&call.args[1])?;
    let options = parse_scan_options(&call.args[2..], true)?;
    let start = store.scan_cursors.remove(&cursor).map_or(Bound::Unbounded, Bound::Excluded);
    let examined: Vec<Bytes> = store
        .keys
        .range::<Bytes, _>((start, Bound::Unbounded))
        .take(options.count + 1)
        .map(|(key, _)| key.clone())
        .collect();
    let finished = examined.len() <= options.count;
    let examined = &examined[..examined.len().min(options.count)];
    let mut found = Vec::new();
    for key in examined {
        let Some(entry) = store.live_entry(key, call.now_ms) else { continue };
        let type_matches = options.type_name.as_ref().is_none_or(|name| is(name, entry.value.type_name()));
        let pattern_matches = options.pattern.as_ref().is_none_or(|pattern| glob::matches(pattern, key));
        if type_matches && pattern_matches {
            found.push(Frame::Bulk(key.clone()));
        }
    }
    let next = match (finished, examined.last()) {
        (false, Some(last)) => store.remember_cursor(last.clone()),
        _ => 0,
    };
    Ok(Frame::Array(vec![Frame::Bulk(Bytes::from(next.to_string())), Frame::Array(found)]))
}

impl Store {
    fn remember_cursor(&mut self, last_key: Bytes) -> u64 {
        while self.scan_cursors.len() >= SCAN_CURSORS_MAX {
            self.scan_cursors.pop_first();
        }
        let cursor = self.next_scan_cursor;
        self.next_scan_cursor = self.next_scan_cursor.checked_add(1).unwrap_or(1);
        self.scan_cursors.insert(cursor, last_key);
        cursor
    }
}

/// The condition flags of the EXPIRE family.
#[derive(Default, Clone, Copy)]
struct ExpireFlags {
    /// NX: only when the key has no TTL.
    only_without_ttl: bool,
    /// XX: only when the key has a TTL.
    only_with_ttl: bool,
    /// GT: only when the new expiry is later (no TTL counts as infinite).
    only_greater: bool,
    /// LT: only when the new expiry is earlier.
    only_less: bool,
}

fn parse_expire_flags(options: &[Bytes]) -> Result<ExpireFlags, Frame> {
    let mut flags = ExpireFlags::default();
    for option in options {
        if is(option, "nx") {
            flags.only_without_ttl = true;
        } else if is(option, "xx") {
            flags.only_with_ttl = true;
        } else if is(option, "gt") {
            flags.only_greater = true;
        } else if is(option, "lt") {
            flags.only_less = true;
        } else {
            return Err(Frame::error(format!("ERR Unsupported option {}", String::from_utf8_lossy(option))));
        }
    }
    if flags.only_without_ttl && (flags.only_with_ttl || flags.only_greater || flags.only_less) {
        return Err(error("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if flags.only_greater && flags.only_less {
        return Err(error("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(flags)
}

/// EXPIRE key seconds [NX|XX|GT|LT].
pub(crate) fn expire(store: &mut Store, call: &Call) -> Frame {
    reply(expire_generic(store, call, 1000, true, "expire"))
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT].
pub(crate) fn pexpire(store: &mut Store, call: &Call) -> Frame {
    reply(expire_generic(store, call, 1, true, "pexpire"))
}

/// EXPIREAT key unix-seconds [NX|XX|GT|LT].
pub(crate) fn expireat(store: &mut Store, call: &Call) -> Frame {
    reply(expire_generic(store, call, 1000, false, "expireat"))
}

/// PEXPIREAT key unix-milliseconds [NX|XX|GT|LT].
pub(crate) fn pexpireat(store: &mut Store, call: &Call) -> Frame {
    reply(expire_generic(store, call, 1, false, "pexpireat"))
}

/// The absolute expiry in ms for an EXPIRE-family amount, or Redis's invalid-expire error.
pub(crate) fn absolute_expiry_ms(
    amount: i64,
    unit_ms: i64,
    relative: bool,
    now_ms: u64,
    name: &str,
) -> Result<i64, Frame> {
    let invalid = || Frame::error(format!("ERR invalid expire time in '{name}' command"));
    let mut when = amount.checked_mul(unit_ms).ok_or_else(invalid)?;
    if relative {
        when = when.checked_add(i64::try_from(now_ms).map_err(|_| invalid())?).ok_or_else(invalid)?;
    }
    Ok(when)
}

fn expire_generic(
    store: &mut Store,
    call: &Call,
    unit_ms: i64,
    relative: bool,
    name: &str,
) -> Result<Frame, Frame> {
    let flags = parse_expire_flags(&call.args[3..])?;
    let amount = integer(&call.args[2])?;
    let when = absolute_expiry_ms(amount, unit_ms, relative, call.now_ms, name)?;
    let key = &call.args[1];
    let Some(entry) = store.live_entry(key, call.now_ms) else { return Ok(Frame::Integer(0)) };
    let current = entry.expires_at_ms.map(|at| i64::try_from(at).unwrap_or(i64::MAX));
    let refused = match current {
        Some(current) => {
            flags.only_without_ttl
                || (flags.only_greater && when <= current)
                || (flags.only_less && when >= current)
        }
        None => flags.only_with_ttl || flags.only_greater,
    };
    if refused {
        return Ok(Frame::Integer(0));
    }
    if when <= i64::try_from(call.now_ms).unwrap_or(i64::MAX) {
        store.keys.remove(key);
    } else {
        entry.expires_at_ms = u64::try_from(when).ok();
    }
    Ok(Frame::Integer(1))
}

/// The reply of TTL-family commands: -2 missing, -1 persistent, else `render(expiry)`.
fn ttl_generic(store: &mut Store, call: &Call, render: fn(u64, u64) -> i64) -> Frame {
    match store.live_entry(&call.args[1], call.now_ms) {
        None => Frame::Integer(-2),
        Some(Entry { expires_at_ms: None, .. }) => Frame::Integer(-1),
        Some(Entry { expires_at_ms: Some(at), .. }) => Frame::Integer(render(*at, call.now_ms)),
    }
}

fn remaining_ms(at: u64, now_ms: u64) -> i64 {
    i64::try_from(at.saturating_sub(now_ms)).unwrap_or(i64::MAX)
}

/// TTL key (seconds, rounded like Redis).
pub(crate) fn ttl(store: &mut Store, call: &Call) -> Frame {
    ttl_generic(store, call, |at, now| (remaining_ms(at, now).saturating_add(500)) / 1000)
}

/// PTTL key.
pub(crate) fn pttl(store: &mut Store, call: &Call) -> Frame {
    ttl_generic(store, call, remaining_ms)
}

/// EXPIRETIME key (absolute Unix seconds).
pub(crate) fn expiretime(store: &mut Store, call: &Call) -> Frame {
    ttl_generic(store, call, |at, _| i64::try_from(at / 1000).unwrap_or(i64::MAX))
}

/// PEXPIRETIME key (absolute Unix ms).
pub(crate) fn pexpiretime(store: &mut Store, call: &Call) -> Frame {
    ttl_generic(store, call, |at, _| i64::try_from(at).unwrap_or(i64::MAX))
}

/// PERSIST key.
pub(crate) fn persist(store: &mut Store, call: &Call) -> Frame {
    match store.live_entry(&call.args[1], call.now_ms) {
        Some(entry) if entry.expires_at_ms.is_some() => {
            entry.expires_at_ms = None;
            Frame::Integer(1)
        }
        _ => Frame::Integer(0),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0").ok(), Some(0));
        assert_eq!(parse_cursor(b"+7").ok(), Some(7));
        assert_eq!(parse_cursor(b"-1").ok(), Some(u64::MAX));
        assert!(parse_cursor(b"abc").is_err());
        assert!(parse_cursor(b"1 ").is_err());
        assert!(parse_cursor(b"99999999999999999999999").is_err());
    }
}
