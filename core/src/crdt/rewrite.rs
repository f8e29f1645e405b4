//! Rewrites a covered client write (already split to one node's fragment) into the `EVALSHA` of its
//! CRDT script ([`super::scripts`]), stamped with the coordinator's timestamp. Every replica then runs
//! the same script with the same timestamp, so replicas converge whatever order writes arrive in.
//!
//! Covered (command names case-insensitive): SET (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), GETSET, SETEX,
//! PSETEX, SETNX, MSET, DEL, UNLINK, HSET, HMSET, HSETNX, HDEL, HINCRBY, SADD, SREM, ZADD
//! (NX/XX/GT/LT/CH/INCR), ZINCRBY, ZREM, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX/XX/GT/LT), PERSIST,
//! INCR, DECR, INCRBY, DECRBY. Relative TTLs become absolute deadlines (Unix ms) from `now_ms` here, so
//! every replica applies the same deadline.
//!
//! [`rewrite`] answers `None` (send the request as it is) for every other write — APPEND, SETRANGE,
//! GETDEL, GETEX, INCRBYFLOAT, HINCRBYFLOAT, MSETNX, the list and stream commands, SPOP, SMOVE,
//! ZPOPMIN/MAX, ZREMRANGEBY*, RENAME, COPY, the *STORE commands, EVAL — and for covered commands whose
//! arguments Redis would refuse (wrong arity, a syntax error, a non-integer or out-of-range TTL or
//! increment): Redis then answers its own error and writes nothing. Uncovered writes bypass the
//! metadata; the scripts adopt such data on their next touch.

use bytes::Bytes;

use super::scripts::{self, ScriptName};
use super::timestamp::Timestamp;

/// Largest TTL deadline (Unix ms) accepted; Redis refuses larger ones (`invalid expire time`).
const DEADLINE_MAX_MS: i64 = i64::MAX / 2;

/// The `EVALSHA` arguments for a covered write, or `None` when it is not covered (see module docs).
pub fn rewrite(args: &[Bytes], ts: Timestamp, now_ms: u64, changelog_max: u32) -> Option<Vec<Bytes>> {
    let (name, rest) = args.split_first()?;
    let name = std::str::from_utf8(name).ok()?.to_ascii_uppercase();
    let now_ms = i64::try_from(now_ms).ok()?;
    let op = match name.as_str() {
        "SET" => set(rest, now_ms)?,
        "SETNX" => set_plain(rest, "NX", "0", "int")?,
        "GETSET" => set_plain(rest, "", "0", "get")?,
        "SETEX" | "PSETEX" => setex(rest, now_ms, if name == "SETEX" { 1000 } else { 1 })?,
        "MSET" => mset(rest)?,
        "DEL" | "UNLINK" => keys_only(ScriptName::Del, rest)?,
        "HSET" | "HMSET" => hset(rest, if name == "HSET" { "hset" } else { "hmset" })?,
        "HSETNX" => (rest.len() == 3).then(|| hset(rest, "hsetnx"))??,
        "HDEL" => key_and_elements(ScriptName::Hdel, rest)?,
        "HINCRBY" => hincrby(rest)?,
        "SADD" => key_and_elements(ScriptName::Sadd, rest)?,
        "SREM" => key_and_elements(ScriptName::Srem, rest)?,
        "ZADD" => zadd(rest)?,
        "ZINCRBY" => zincrby(rest)?,
        "ZREM" => key_and_elements(ScriptName::Zrem, rest)?,
        "EXPIRE" => expire(rest, Some(now_ms), 1000)?,
        "PEXPIRE" => expire(rest, Some(now_ms), 1)?,
        "EXPIREAT" => expire(rest, None, 1000)?,
        "PEXPIREAT" => expire(rest, None, 1)?,
        "PERSIST" => {
            (rest.len() == 1).then(|| Op::new(ScriptName::Expire, &rest[..1], vec![num(0), empty()]))?
        }
        "INCR" => counter(rest, 0, Some(1))?,
        "DECR" => counter(rest, 0, Some(-1))?,
        "INCRBY" => counter(rest, 1, None)?,
        "DECRBY" => counter(rest, -1, None)?,
        _ => return None,
    };
    Some(op.into_evalsha(ts, changelog_max))
}

/// A script call before the common arguments are added.
struct Op {
    script: ScriptName,
    keys: Vec<Bytes>,
    argv: Vec<Bytes>,
}

impl Op {
    fn new(script: ScriptName, keys: &[Bytes], argv: Vec<Bytes>) -> Op {
        Op { script, keys: keys.to_vec(), argv }
    }

    fn into_evalsha(self, ts: Timestamp, changelog_max: u32) -> Vec<Bytes> {
        let mut out = Vec::with_capacity(5 + self.keys.len() + self.argv.len());
        out.push(Bytes::from_static(b"EVALSHA"));
        out.push(Bytes::from(scripts::get(self.script).sha1.clone()));
        out.push(num(self.keys.len() as i64));
        out.extend(self.keys);
        out.push(ts.to_bytes());
        out.push(num(i64::from(changelog_max)));
        out.extend(self.argv);
        out
    }
}

fn num(value: i64) -> Bytes {
    Bytes::from(value.to_string())
}

fn text(value: &'static str) -> Bytes {
    Bytes::from_static(value.as_bytes())
}

fn empty() -> Bytes {
    Bytes::new()
}

/// Redis's `string2ll`: an optional `-`, no leading zeros, no `+`, no spaces, within i64.
fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let canonical =
        bytes == b"0" || (!digits.is_empty() && digits[0] != b'0' && digits.iter().all(u8::is_ascii_digit));
    if !canonical {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn upper(bytes: &[u8]) -> Option<String> {
    Some(std::str::from_utf8(bytes).ok()?.to_ascii_uppercase())
}

/// An absolute deadline from a TTL argument: `base + value * unit_ms` (relative when `base` is set).
/// `positive` demands a TTL above zero (SET EX and friends); deadlines at or before zero become 1 (past).
fn deadline(value: &[u8], base: Option<i64>, unit_ms: i64, positive: bool) -> Option<i64> {
    let value = parse_i64(value)?;
    if positive && value <= 0 {
        return None;
    }
    let ms = value.checked_mul(unit_ms)?;
    let at = ms.checked_add(base.unwrap_or(0))?;
    if !(-DEADLINE_MAX_MS..=DEADLINE_MAX_MS).contains(&at) {
        return None;
    }
    Some(at.max(1))
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL].
fn set(rest: &[Bytes], now_ms: i64) -> Option<Op> {
    if rest.len() < 2 {
        return None;
    }
    let (mut condition, mut get, mut keepttl, mut expiry) = ("", false, false, None);
    let mut index = 2;
    while index < rest.len() {
        let option = upper(&rest[index])?;
        let value = rest.get(index + 1);
        match option.as_str() {
            "NX" | "XX" if condition.is_empty() => condition = if option == "NX" { "NX" } else { "XX" },
            "GET" if !get => get = true,
            "KEEPTTL" if !keepttl && expiry.is_none() => keepttl = true,
            "EX" | "PX" | "EXAT" | "PXAT" if !keepttl && expiry.is_none() => {
                let (base, unit) = match option.as_str() {
                    "EX" => (Some(now_ms), 1000),
                    "PX" => (Some(now_ms), 1),
                    "EXAT" => (None, 1000),
                    _ => (None, 1),
                };
                expiry = Some(deadline(value?, base, unit, true)?);
                index += 1;
            }
            _ => return None,
        }
        index += 1;
    }
    let argv = vec![
        rest[1].clone(),
        text(condition),
        text(if keepttl { "1" } else { "0" }),
        num(expiry.unwrap_or(0)),
        text(if get { "get" } else { "ok" }),
    ];
    Some(Op::new(ScriptName::Set, &rest[..1], argv))
}

/// SETNX / GETSET key value.
fn set_plain(
    rest: &[Bytes],
    condition: &'static str,
    keepttl: &'static str,
    reply: &'static str,
) -> Option<Op> {
    if rest.len() != 2 {
        return None;
    }
    let argv = vec![rest[1].clone(), text(condition), text(keepttl), num(0), text(reply)];
    Some(Op::new(ScriptName::Set, &rest[..1], argv))
}

/// SETEX key seconds value / PSETEX key ms value.
fn setex(rest: &[Bytes], now_ms: i64, unit_ms: i64) -> Option<Op> {
    if rest.len() != 3 {
        return None;
    }
    let at = deadline(&rest[1], Some(now_ms), unit_ms, true)?;
    let argv = vec![rest[2].clone(), empty(), text("0"), num(at), text("ok")];
    Some(Op::new(ScriptName::Set, &rest[..1], argv))
}

/// MSET k1 v1 k2 v2 ...
fn mset(rest: &[Bytes]) -> Option<Op> {
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return None;
    }
    let keys: Vec<Bytes> = rest.iter().step_by(2).cloned().collect();
    let values: Vec<Bytes> = rest.iter().skip(1).step_by(2).cloned().collect();
    Some(Op { script: ScriptName::Mset, keys, argv: values })
}

/// DEL / UNLINK k1 k2 ...
fn keys_only(script: ScriptName, rest: &[Bytes]) -> Option<Op> {
    (!rest.is_empty()).then(|| Op::new(script, rest, Vec::new()))
}

/// HDEL / SADD / SREM / ZREM key element...
fn key_and_elements(script: ScriptName, rest: &[Bytes]) -> Option<Op> {
    (rest.len() >= 2).then(|| Op::new(script, &rest[..1], rest[1..].to_vec()))
}

/// HSET / HMSET key f v ..., HSETNX key f v.
fn hset(rest: &[Bytes], mode: &'static str) -> Option<Op> {
    if rest.len() < 3 || rest.len().is_multiple_of(2) {
        return None;
    }
    let mut argv = vec![text(mode)];
    argv.extend_from_slice(&rest[1..]);
    Some(Op::new(ScriptName::Hset, &rest[..1], argv))
}

/// HINCRBY key field delta.
fn hincrby(rest: &[Bytes]) -> Option<Op> {
    if rest.len() != 3 {
        return None;
    }
    let delta = parse_i64(&rest[2])?;
    Some(Op::new(ScriptName::Hincrby, &rest[..1], vec![rest[1].clone(), num(delta)]))
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...
fn zadd(rest: &[Bytes]) -> Option<Op> {
    let (key, rest) = rest.split_first()?;
    let (mut condition, mut compare, mut ch, mut incr) = ("", "", false, false);
    let mut index = 0;
    while index < rest.len() {
        match upper(&rest[index]).as_deref() {
            Some("NX") => condition = if condition == "XX" { return None } else { "NX" },
            Some("XX") => condition = if condition == "NX" { return None } else { "XX" },
            Some("GT") => compare = if compare == "LT" { return None } else { "GT" },
            Some("LT") => compare = if compare == "GT" { return None } else { "LT" },
            Some("CH") => ch = true,
            Some("INCR") => incr = true,
            _ => break,
        }
        index += 1;
    }
    let pairs = &rest[index..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) || (incr && pairs.len() != 2) {
        return None;
    }
    if condition == "NX" && !compare.is_empty() {
        return None;
    }
    let mut argv = vec![
        text(condition),
        text(compare),
        text(if ch { "1" } else { "0" }),
        text(if incr { "1" } else { "0" }),
    ];
    argv.extend_from_slice(pairs);
    Some(Op::new(ScriptName::Zadd, std::slice::from_ref(key), argv))
}

/// ZINCRBY key increment member: ZADD key INCR increment member.
fn zincrby(rest: &[Bytes]) -> Option<Op> {
    if rest.len() != 3 {
        return None;
    }
    let argv = vec![empty(), empty(), text("0"), text("1"), rest[1].clone(), rest[2].clone()];
    Some(Op::new(ScriptName::Zadd, &rest[..1], argv))
}

/// EXPIRE / PEXPIRE (relative to `base`) and EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT].
fn expire(rest: &[Bytes], base: Option<i64>, unit_ms: i64) -> Option<Op> {
    let condition = match rest.len() {
        2 => "",
        3 => match upper(&rest[2])?.as_str() {
            "NX" => "NX",
            "XX" => "XX",
            "GT" => "GT",
            "LT" => "LT",
            _ => return None,
        },
        _ => return None,
    };
    let at = deadline(&rest[1], base, unit_ms, false)?;
    Some(Op::new(ScriptName::Expire, &rest[..1], vec![num(at), text(condition)]))
}

/// INCR / DECR key (`fixed` delta) and INCRBY / DECRBY key n (`sign` of the argument).
fn counter(rest: &[Bytes], sign: i64, fixed: Option<i64>) -> Option<Op> {
    let delta = match fixed {
        Some(delta) if rest.len() == 1 => delta,
        None if rest.len() == 2 => parse_i64(&rest[1])?.checked_mul(sign)?,
        _ => return None,
    };
    Some(Op::new(ScriptName::Incrby, &rest[..1], vec![num(delta)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u64 = 1_700_000_000_000;

    fn ts() -> Timestamp {
        Timestamp::new(NOW_MS, 7, 0xabcd)
    }

    /// The rewrite as readable text: the script name instead of its sha, arguments space-separated.
    fn show(command: &str) -> String {
        let args: Vec<Bytes> = command.split(' ').map(|arg| Bytes::copy_from_slice(arg.as_bytes())).collect();
        match rewrite(&args, ts(), NOW_MS, 1000) {
            None => "None".to_string(),
            Some(out) => {
                let script = ScriptName::ALL
                    .into_iter()
                    .find(|name| scripts::get(*name).sha1.as_bytes() == out[1])
                    .expect("sha of a registered script");
                let rest: Vec<String> = out[2..]
                    .iter()
                    .map(|arg| {
                        if arg.is_empty() {
                            "''".to_string()
                        } else {
                            String::from_utf8_lossy(arg).into_owned()
                        }
                    })
                    .collect();
                format!("{} {} {}", String::from_utf8_lossy(&out[0]), script.as_str(), rest.join(" "))
            }
        }
    }

    #[test]
    fn golden_rewrites() {
        // Each line: client command => EVALSHA <script> numkeys keys... ts changelog_max argv...
        let cases = [
            "SET k v",
            "set k v nx get px 500",
            "SET k v XX EX 10",
            "SET k v EXAT 1700000001",
            "SET k v PXAT 1700000000500 KEEPTTL",
            "SET k v KEEPTTL GET",
            "SET k v EX 0",
            "SET k v EX 1 PX 2",
            "SET k v NX XX",
            "SETNX k v",
            "GETSET k v",
            "SETEX k 10 v",
            "PSETEX k 10 v",
            "SETEX k -1 v",
            "MSET a 1 b 2",
            "MSET a 1 b",
            "DEL a b c",
            "unlink a",
            "HSET h f 1 g 2",
            "HSET h f",
            "HMSET h f 1",
            "HSETNX h f 1",
            "HDEL h f g",
            "HINCRBY h f -3",
            "HINCRBY h f 1.5",
            "SADD s a b",
            "SREM s a",
            "ZADD z 1 a 2 b",
            "ZADD z nx ch 1 a",
            "ZADD z XX GT INCR 2 a",
            "ZADD z NX GT 1 a",
            "ZADD z INCR 1 a 2 b",
            "ZADD z 1",
            "ZINCRBY z 2.5 a",
            "ZREM z a b",
            "EXPIRE k 10",
            "EXPIRE k 10 gt",
            "EXPIRE k -5",
            "PEXPIRE k 1500",
            "EXPIREAT k 1800000000",
            "PEXPIREAT k 0",
            "EXPIRE k 10 NX XX",
            "EXPIRE k abc",
            "PERSIST k",
            "INCR c",
            "DECR c",
            "INCRBY c 5",
            "DECRBY c 5",
            "DECRBY c -9223372036854775808",
            "INCRBY c 05",
            "INCRBY c +5",
            "APPEND k v",
            "LPUSH l v",
            "GET k",
            "INCRBYFLOAT c 1.5",
        ];
        let table: Vec<String> = cases.iter().map(|case| format!("{case} => {}", show(case))).collect();
        insta::assert_snapshot!(table.join("\n"));
    }

    #[test]
    fn arguments_follow_the_documented_layout() {
        let args: Vec<Bytes> =
            ["HSET", "h", "f", "v"].iter().map(|arg| Bytes::from_static(arg.as_bytes())).collect();
        let out = rewrite(&args, ts(), NOW_MS, 77).expect("covered");
        assert_eq!(out[0], "EVALSHA");
        assert_eq!(out[1], scripts::get(ScriptName::Hset).sha1.as_bytes());
        assert_eq!(out[2], "1");
        assert_eq!(out[3], "h");
        assert_eq!(out[4], &ts().encode()[..]);
        assert_eq!(out[5], "77");
        assert_eq!(&out[6..], ["hset", "f", "v"]);
    }
}
