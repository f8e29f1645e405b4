//! String commands: SET (all options), GET, GETSET, GETDEL, GETEX, SETNX, SETEX, PSETEX, MGET, MSET,
//! MSETNX, the INCR family, INCRBYFLOAT, APPEND, STRLEN, GETRANGE/SUBSTR and SETRANGE.

use bytes::{Bytes, BytesMut};

use crate::resp::Frame;

use super::args::{self, error, integer, is, reply, NOT_INTEGER, OVERFLOW, SYNTAX};
use super::keyspace::absolute_expiry_ms;
use super::numbers::{self, FloatSum};
use super::value::{cast, Value};
use super::{Call, Store};

/// Largest string value, like Redis's `proto-max-bulk-len` default (512 MiB).
pub(crate) const STRING_MAX_BYTES: usize = 512 * 1024 * 1024;
const TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// What SET and GETEX do to the TTL.
#[derive(Clone, Copy, PartialEq)]
enum Expiry {
    /// Clear it (SET) / leave it (GETEX without options).
    Unchanged,
    /// Keep the old TTL (SET KEEPTTL).
    Keep,
    /// Remove it (GETEX PERSIST).
    Persist,
    /// Set this absolute expiry, Unix ms.
    At(i64),
}

/// Parsed SET / GETEX options (Redis's `parseExtendedStringArgumentsOrReply`).
struct SetOptions {
    /// NX.
    only_if_missing: bool,
    /// XX.
    only_if_present: bool,
    /// GET: reply the old value.
    return_old: bool,
    /// EX/PX/EXAT/PXAT/KEEPTTL/PERSIST.
    expiry: Expiry,
}

/// Which command's options are being parsed.
#[derive(Clone, Copy, PartialEq)]
enum OptionsOf {
    /// SET: NX, XX, GET, KEEPTTL and the expiry options.
    Set,
    /// GETEX: PERSIST and the expiry options.
    GetEx,
}

impl Store {
    /// The string at `key`, WRONGTYPE for another type.
    fn string_at(&mut self, key: &[u8], now_ms: u64) -> Result<Option<Bytes>, Frame> {
        Ok(self.typed(key, now_ms, cast::string)?.map(|text| text.clone()))
    }

    /// Replaces the string at `key`, keeping the TTL.
    fn overwrite_string(&mut self, key: &Bytes, value: Bytes) {
        match self.keys.get_mut(key) {
            Some(entry) => entry.value = Value::String(value),
            None => self.put(key.clone(), Value::String(value)),
        }
    }

    fn apply_expiry(&mut self, key: &[u8], expiry: Expiry, now_ms: u64) {
        let Some(entry) = self.keys.get_mut(key) else { return };
        match expiry {
            Expiry::Unchanged | Expiry::Keep => {}
            Expiry::Persist => entry.expires_at_ms = None,
            Expiry::At(when) => {
                if when <= i64::try_from(now_ms).unwrap_or(i64::MAX) {
                    self.keys.remove(key);
                } else {
                    entry.expires_at_ms = u64::try_from(when).ok();
                }
            }
        }
    }
}

/// Parses one expiry option (`EX`, `PX`, `EXAT`, `PXAT`) with its amount; `None` if not one.
fn parse_expiry(option: &[u8], amount: &[u8], now_ms: u64, name: &str) -> Option<Result<Expiry, Frame>> {
    let (unit_ms, relative) = match () {
        _ if is(option, "ex") => (1000, true),
        _ if is(option, "px") => (1, true),
        _ if is(option, "exat") => (1000, false),
        _ if is(option, "pxat") => (1, false),
        _ => return None,
    };
    let parsed = integer(amount).and_then(|amount| {
        if amount <= 0 {
            return Err(Frame::error(format!("ERR invalid expire time in '{name}' command")));
        }
        absolute_expiry_ms(amount, unit_ms, relative, now_ms, name).map(Expiry::At)
    });
    Some(parsed)
}

/// Parses the options; like Redis, the expiry amount is validated only after every option parsed.
fn parse_set_options(options: &[Bytes], now_ms: u64, of: OptionsOf) -> Result<SetOptions, Frame> {
    let mut parsed = SetOptions {
        only_if_missing: false,
        only_if_present: false,
        return_old: false,
        expiry: Expiry::Unchanged,
    };
    let mut timed: Option<(&Bytes, &Bytes)> = None;
    let mut index = 0;
    while let Some(option) = options.get(index) {
        let no_expiry_yet = timed.is_none() && matches!(parsed.expiry, Expiry::Unchanged);
        let keeps_or_persists = matches!(parsed.expiry, Expiry::Keep | Expiry::Persist);
        let is_set = of == OptionsOf::Set;
        if is_set && is(option, "nx") && !parsed.only_if_present {
            parsed.only_if_missing = true;
        } else if is_set && is(option, "xx") && !parsed.only_if_missing {
            parsed.only_if_present = true;
        } else if is_set && is(option, "get") {
            parsed.return_old = true;
        } else if is_set && is(option, "keepttl") && (no_expiry_yet || keeps_or_persists) {
            parsed.expiry = Expiry::Keep;
        } else if !is_set && is(option, "persist") && (no_expiry_yet || keeps_or_persists) {
            parsed.expiry = Expiry::Persist;
        } else if let (Some(amount), true) = (options.get(index + 1), may_time(option, timed, parsed.expiry))
        {
            timed = Some((option, amount));
            index += 1;
        } else {
            return Err(error(SYNTAX));
        }
        index += 1;
    }
    if let Some((option, amount)) = timed {
        let name = if of == OptionsOf::Set { "set" } else { "getex" };
        parsed.expiry = parse_expiry(option, amount, now_ms, name).ok_or_else(|| error(SYNTAX))??;
    }
    Ok(parsed)
}

/// True when `option` is EX/PX/EXAT/PXAT and no other expiry option came before (Redis lets the
/// same one repeat, the last amount wins).
fn may_time(option: &[u8], timed: Option<(&Bytes, &Bytes)>, expiry: Expiry) -> bool {
    let is_timed = ["ex", "px", "exat", "pxat"].iter().any(|name| is(option, name));
    let compatible = timed.is_none_or(|(previous, _)| previous.eq_ignore_ascii_case(option));
    is_timed && compatible && expiry == Expiry::Unchanged
}

/// SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL].
pub(crate) fn set(store: &mut Store, call: &Call) -> Frame {
    reply(set_generic(store, call))
}

fn set_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let options = parse_set_options(&call.args[3..], call.now_ms, OptionsOf::Set)?;
    let key = &call.args[1];
    let old = if options.return_old { store.string_at(key, call.now_ms)? } else { None };
    let exists = store.live_entry(key, call.now_ms).is_some();
    let old_reply = || if options.return_old { args::optional_bulk(old.as_ref()) } else { Frame::ok() };
    if (options.only_if_missing && exists) || (options.only_if_present && !exists) {
        return Ok(if options.return_old { args::optional_bulk(old.as_ref()) } else { Frame::Null });
    }
    let kept_expiry = store.keys.get(key).and_then(|entry| entry.expires_at_ms);
    store.put(key.clone(), Value::String(call.args[2].clone()));
    if options.expiry == Expiry::Keep {
        if let Some(entry) = store.keys.get_mut(key) {
            entry.expires_at_ms = kept_expiry;
        }
    }
    store.apply_expiry(key, options.expiry, call.now_ms);
    Ok(old_reply())
}

/// GET key.
pub(crate) fn get(store: &mut Store, call: &Call) -> Frame {
    reply(store.string_at(&call.args[1], call.now_ms).map(|value| args::optional_bulk(value.as_ref())))
}

/// GETSET key value.
pub(crate) fn getset(store: &mut Store, call: &Call) -> Frame {
    reply(store.string_at(&call.args[1], call.now_ms).map(|old| {
        store.put(call.args[1].clone(), Value::String(call.args[2].clone()));
        args::optional_bulk(old.as_ref())
    }))
}

/// GETDEL key.
pub(crate) fn getdel(store: &mut Store, call: &Call) -> Frame {
    reply(store.string_at(&call.args[1], call.now_ms).map(|old| {
        if old.is_some() {
            store.keys.remove(&call.args[1]);
        }
        args::optional_bulk(old.as_ref())
    }))
}

/// GETEX key [EX|PX|EXAT|PXAT n|PERSIST].
pub(crate) fn getex(store: &mut Store, call: &Call) -> Frame {
    reply(getex_generic(store, call))
}

fn getex_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let expiry = parse_set_options(&call.args[2..], call.now_ms, OptionsOf::GetEx)?.expiry;
    let value = store.string_at(&call.args[1], call.now_ms)?;
    if value.is_some() {
        store.apply_expiry(&call.args[1], expiry, call.now_ms);
    }
    Ok(args::optional_bulk(value.as_ref()))
}

/// SETNX key value.
pub(crate) fn setnx(store: &mut Store, call: &Call) -> Frame {
    if store.live_entry(&call.args[1], call.now_ms).is_some() {
        return Frame::Integer(0);
    }
    store.put(call.args[1].clone(), Value::String(call.args[2].clone()));
    Frame::Integer(1)
}

fn setex_generic(store: &mut Store, call: &Call, unit_ms: i64, name: &str) -> Result<Frame, Frame> {
    let amount = integer(&call.args[2])?;
    if amount <= 0 {
        return Err(Frame::error(format!("ERR invalid expire time in '{name}' command")));
    }
    let when = absolute_expiry_ms(amount, unit_ms, true, call.now_ms, name)?;
    store.put(call.args[1].clone(), Value::String(call.args[3].clone()));
    store.apply_expiry(&call.args[1], Expiry::At(when), call.now_ms);
    Ok(Frame::ok())
}

/// SETEX key seconds value.
pub(crate) fn setex(store: &mut Store, call: &Call) -> Frame {
    reply(setex_generic(store, call, 1000, "setex"))
}

/// PSETEX key milliseconds value.
pub(crate) fn psetex(store: &mut Store, call: &Call) -> Frame {
    reply(setex_generic(store, call, 1, "psetex"))
}

/// MGET key...: non-strings read as null.
pub(crate) fn mget(store: &mut Store, call: &Call) -> Frame {
    let values = call.args[1..]
        .iter()
        .map(|key| match store.string_at(key, call.now_ms) {
            Ok(Some(value)) => Frame::Bulk(value),
            _ => Frame::Null,
        })
        .collect();
    Frame::Array(values)
}

/// MSET key value [key value ...].
pub(crate) fn mset(store: &mut Store, call: &Call) -> Frame {
    if call.args.len().is_multiple_of(2) {
        return args::wrong_arity("mset");
    }
    for pair in call.args[1..].chunks_exact(2) {
        store.put(pair[0].clone(), Value::String(pair[1].clone()));
    }
    Frame::ok()
}

/// MSETNX key value [key value ...].
pub(crate) fn msetnx(store: &mut Store, call: &Call) -> Frame {
    if call.args.len().is_multiple_of(2) {
        return args::wrong_arity("msetnx");
    }
    let pairs = &call.args[1..];
    if pairs.chunks_exact(2).any(|pair| store.live_entry(&pair[0], call.now_ms).is_some()) {
        return Frame::Integer(0);
    }
    for pair in pairs.chunks_exact(2) {
        store.put(pair[0].clone(), Value::String(pair[1].clone()));
    }
    Frame::Integer(1)
}

fn increment_by(store: &mut Store, call: &Call, delta: i64) -> Result<Frame, Frame> {
    let key = &call.args[1];
    let current = match store.string_at(key, call.now_ms)? {
        Some(text) => numbers::parse_i64(&text).ok_or_else(|| error(NOT_INTEGER))?,
        None => 0,
    };
    let next = current.checked_add(delta).ok_or_else(|| error(OVERFLOW))?;
    store.overwrite_string(key, Bytes::from(next.to_string()));
    Ok(Frame::Integer(next))
}

/// INCR key.
pub(crate) fn incr(store: &mut Store, call: &Call) -> Frame {
    reply(increment_by(store, call, 1))
}

/// DECR key.
pub(crate) fn decr(store: &mut Store, call: &Call) -> Frame {
    reply(increment_by(store, call, -1))
}

/// INCRBY key delta.
pub(crate) fn incrby(store: &mut Store, call: &Call) -> Frame {
    reply(integer(&call.args[2]).and_then(|delta| increment_by(store, call, delta)))
}

/// DECRBY key delta.
pub(crate) fn decrby(store: &mut Store, call: &Call) -> Frame {
    reply(integer(&call.args[2]).and_then(|delta| {
        let negated = delta.checked_neg().ok_or_else(|| error("ERR decrement would overflow"))?;
        increment_by(store, call, negated)
    }))
}

/// INCRBYFLOAT key delta.
pub(crate) fn incrbyfloat(store: &mut Store, call: &Call) -> Frame {
    reply(incrbyfloat_generic(store, call))
}

fn incrbyfloat_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let key = &call.args[1];
    let current = store.string_at(key, call.now_ms)?.unwrap_or_else(|| Bytes::from_static(b"0"));
    args::float(&current)?;
    let text = match numbers::add_floats(&current, &call.args[2]) {
        FloatSum::Value(text) => Bytes::from(text),
        FloatSum::NotFloat => return Err(error(args::NOT_FLOAT)),
        FloatSum::NotFinite => return Err(error("ERR increment would produce NaN or Infinity")),
    };
    store.overwrite_string(key, text.clone());
    Ok(Frame::Bulk(text))
}

/// APPEND key value.
pub(crate) fn append(store: &mut Store, call: &Call) -> Frame {
    reply(store.string_at(&call.args[1], call.now_ms).and_then(|current| {
        let current = current.unwrap_or_default();
        if current.len() + call.args[2].len() > STRING_MAX_BYTES {
            return Err(error(TOO_LONG));
        }
        let mut joined = BytesMut::with_capacity(current.len() + call.args[2].len());
        joined.extend_from_slice(&current);
        joined.extend_from_slice(&call.args[2]);
        let length = joined.len();
        store.overwrite_string(&call.args[1], joined.freeze());
        Ok(Frame::Integer(length as i64))
    }))
}

/// STRLEN key.
pub(crate) fn strlen(store: &mut Store, call: &Call) -> Frame {
    reply(
        store
            .string_at(&call.args[1], call.now_ms)
            .map(|value| Frame::Integer(value.map_or(0, |v| v.len()) as i64)),
    )
}

/// GETRANGE / SUBSTR key start end.
pub(crate) fn getrange(store: &mut Store, call: &Call) -> Frame {
    reply(getrange_generic(store, call))
}

fn getrange_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let start = integer(&call.args[2])?;
    let end = integer(&call.args[3])?;
    let value = store.string_at(&call.args[1], call.now_ms)?.unwrap_or_default();
    let length = value.len() as i64;
    if (start < 0 && end < 0 && start > end) || length == 0 {
        return Ok(Frame::bulk(""));
    }
    let start = if start < 0 { (length + start).max(0) } else { start };
    let end = if end < 0 { (length + end).max(0) } else { end.min(length - 1) };
    if start > end {
        return Ok(Frame::bulk(""));
    }
    Ok(Frame::Bulk(value.slice(start as usize..=end as usize)))
}

/// SETRANGE key offset value.
pub(crate) fn setrange(store: &mut Store, call: &Call) -> Frame {
    reply(setrange_generic(store, call))
}

fn setrange_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let offset = integer(&call.args[2])?;
    let offset = usize::try_from(offset).map_err(|_| error("ERR offset is out of range"))?;
    let patch = &call.args[3];
    let key = &call.args[1];
    let current = store.string_at(key, call.now_ms)?;
    if patch.is_empty() {
        return Ok(Frame::Integer(current.map_or(0, |value| value.len()) as i64));
    }
    if offset.saturating_add(patch.len()) > STRING_MAX_BYTES {
        return Err(error(TOO_LONG));
    }
    let mut updated = BytesMut::from(&current.unwrap_or_default()[..]);
    if updated.len() < offset + patch.len() {
        updated.resize(offset + patch.len(), 0);
    }
    updated[offset..offset + patch.len()].copy_from_slice(patch);
    let length = updated.len();
    store.overwrite_string(key, updated.freeze());
    Ok(Frame::Integer(length as i64))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::resp::{Frame, Protocol};
    use crate::store::Store;

    const NOW_MS: u64 = 1_000_000;

    fn run(store: &mut Store, now_ms: u64, words: &[&str]) -> Frame {
        let args: Vec<Bytes> = words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect();
        store.execute(&args, now_ms, Protocol::Resp2)
    }

    #[test]
    fn set_expiry_options_use_the_injected_clock() {
        let mut store = Store::new();
        run(&mut store, NOW_MS, &["SET", "k", "v", "EX", "10"]);
        assert_eq!(run(&mut store, NOW_MS, &["PTTL", "k"]), Frame::Integer(10_000));
        run(&mut store, NOW_MS + 1_000, &["SET", "k", "w", "KEEPTTL"]);
        assert_eq!(run(&mut store, NOW_MS + 1_000, &["PTTL", "k"]), Frame::Integer(9_000));
        run(&mut store, NOW_MS, &["SET", "k", "v", "PXAT", "1000500"]);
        assert_eq!(run(&mut store, NOW_MS, &["PEXPIRETIME", "k"]), Frame::Integer(1_000_500));
        assert_eq!(run(&mut store, NOW_MS + 501, &["GET", "k"]), Frame::Null);
    }

    #[test]
    fn set_past_absolute_expiry_deletes_at_once() {
        let mut store = Store::new();
        assert_eq!(run(&mut store, NOW_MS, &["SET", "k", "v", "PXAT", "5"]), Frame::ok());
        assert!(store.is_empty());
    }

    #[test]
    fn counters_keep_the_ttl() {
        let mut store = Store::new();
        run(&mut store, NOW_MS, &["SET", "n", "1", "PX", "100"]);
        assert_eq!(run(&mut store, NOW_MS, &["INCRBY", "n", "41"]), Frame::Integer(42));
        assert_eq!(run(&mut store, NOW_MS, &["PTTL", "n"]), Frame::Integer(100));
    }
}
