//! The two halves of a counter op (INCR, DECR, INCRBY, DECRBY, HINCRBY) in CRDT mode, as the
//! coordinator runs them ([`super::state`], section "Counters"):
//! 1. the op's `EVALSHA` (`incrby`/`hincrby`, from [`super::rewrite`]) goes to **one** replica of the
//!    key, the applier, which adds the delta into the component its datastore owns and answers the
//!    value with that component ([`Applied::parse`]);
//! 2. [`join_args`] turns the op and the applier's component into the `counter` script's `EVALSHA`,
//!    sent to every other replica, which joins the component (a maximum: replays change nothing) and
//!    answers its own value.
//!
//! The client's reply is the applier's value ([`Applied::value`]) as an integer.

use bytes::Bytes;

use super::scripts::{self, ScriptName};
use crate::resp::Frame;

/// Which counter op an `EVALSHA` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterOp {
    /// INCR & co. on a key (`incrby`).
    Key,
    /// HINCRBY on a hash field (`hincrby`).
    Field,
}

impl CounterOp {
    /// The counter op `args` are (`EVALSHA <incrby|hincrby sha1> 1 K ts changelog_max ...`), if any.
    pub fn of(args: &[Bytes]) -> Option<CounterOp> {
        let [name, sha1, ..] = args else { return None };
        if !name.eq_ignore_ascii_case(b"EVALSHA") {
            return None;
        }
        if sha1.as_ref() == scripts::get(ScriptName::Incrby).sha1.as_bytes() {
            Some(CounterOp::Key)
        } else if sha1.as_ref() == scripts::get(ScriptName::Hincrby).sha1.as_bytes() {
            Some(CounterOp::Field)
        } else {
            None
        }
    }
}

/// The applier's answer: the value after the op and its component (`[id, s, p, n, h]`, all empty when
/// its datastore holds no live component of this counter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The counter's value on the applier after the op (the client's reply).
    pub value: i64,
    /// `id, s, p, n, h` of the applier's component, as the `counter` script takes them.
    pub component: [Bytes; 5],
}

impl Applied {
    /// Parses the `incrby`/`hincrby` reply `[value, id, s, p, n, h]`; `None` when it is another shape
    /// (an error reply is the client's answer as it is).
    pub fn parse(frame: &Frame) -> Option<Applied> {
        let Frame::Array(items) = frame else { return None };
        let [Frame::Integer(value), parts @ ..] = items.as_slice() else { return None };
        if parts.len() != 5 {
            return None;
        }
        let mut component: [Bytes; 5] = Default::default();
        for (slot, part) in component.iter_mut().zip(parts) {
            *slot = match part {
                Frame::Bulk(text) | Frame::Simple(text) => text.clone(),
                _ => return None,
            };
        }
        Some(Applied { value: *value, component })
    }
}

/// The `counter` script's `EVALSHA` joining `applied`'s component for the op `op_args` (the
/// `incrby`/`hincrby` `EVALSHA`): `EVALSHA <counter sha1> 1 K ts changelog_max field id s p n h`.
/// `None` when `op_args` is not a counter op.
pub fn join_args(op_args: &[Bytes], applied: &Applied) -> Option<Vec<Bytes>> {
    let op = CounterOp::of(op_args)?;
    // EVALSHA sha1 1 K ts changelog_max [field] delta
    let (key, ts, changelog_max) = (op_args.get(3)?, op_args.get(4)?, op_args.get(5)?);
    let field = match op {
        CounterOp::Key => Bytes::new(),
        CounterOp::Field => op_args.get(6)?.clone(),
    };
    let mut args = Vec::with_capacity(12);
    args.push(Bytes::from_static(b"EVALSHA"));
    args.push(Bytes::from(scripts::get(ScriptName::Counter).sha1.clone()));
    args.push(Bytes::from_static(b"1"));
    args.extend([key.clone(), ts.clone(), changelog_max.clone(), field]);
    args.extend(applied.component.iter().cloned());
    Some(args)
}

/// The plain read of the counter `op_args` (the `incrby`/`hincrby` `EVALSHA`) changes: `GET K` or
/// `HGET K field`. Settling reads the replicas' states with it and answers with
/// [`value_in`] of the merge's answer to it. `None` when `op_args` is not a counter op.
pub fn read_of(op_args: &[Bytes]) -> Option<Vec<Bytes>> {
    let op = CounterOp::of(op_args)?;
    let key = op_args.get(3)?.clone();
    Some(match op {
        CounterOp::Key => vec![Bytes::from_static(b"GET"), key],
        CounterOp::Field => vec![Bytes::from_static(b"HGET"), key, op_args.get(6)?.clone()],
    })
}

/// The counter's value in the answer to a [`read_of`] read: the decimal integer of a bulk string;
/// `None` for anything else (absent, not an integer).
pub fn value_in(frame: &Frame) -> Option<i64> {
    match frame {
        Frame::Bulk(text) | Frame::Simple(text) => std::str::from_utf8(text).ok()?.parse().ok(),
        Frame::Integer(value) => Some(*value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::rewrite::rewrite;
    use crate::crdt::timestamp::Timestamp;

    fn words(text: &str) -> Vec<Bytes> {
        text.split(' ').map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
    }

    #[test]
    fn counter_ops_and_their_joins() {
        let ts = Timestamp::new(5, 0, 1);
        let incr = rewrite(&words("INCRBY c 3"), ts, 0, 10).expect("covered");
        let hincr = rewrite(&words("HINCRBY h f -2"), ts, 0, 10).expect("covered");
        let set = rewrite(&words("SET k v"), ts, 0, 10).expect("covered");
        assert_eq!(CounterOp::of(&incr), Some(CounterOp::Key));
        assert_eq!(CounterOp::of(&hincr), Some(CounterOp::Field));
        assert_eq!(CounterOp::of(&set), None);
        let reply = Frame::Array(vec![
            Frame::Integer(7),
            Frame::bulk("id"),
            Frame::bulk("s"),
            Frame::bulk("7"),
            Frame::bulk(""),
            Frame::bulk("h"),
        ]);
        let applied = Applied::parse(&reply).expect("an applier reply");
        assert_eq!(applied.value, 7);
        let join = join_args(&hincr, &applied).expect("a counter op");
        let sha1 = scripts::get(ScriptName::Counter).sha1.clone();
        let ts = String::from_utf8(ts.encode().to_vec()).expect("hex");
        let expected = format!("EVALSHA {sha1} 1 h {ts} 10 f id s 7  h");
        assert_eq!(join, words(&expected));
        assert_eq!(Applied::parse(&Frame::Integer(7)), None);
        assert_eq!(join_args(&set, &applied), None);
    }

    #[test]
    fn the_read_of_a_counter_op_and_its_value() {
        let ts = Timestamp::new(5, 0, 1);
        let incr = rewrite(&words("INCRBY c 3"), ts, 0, 10).expect("covered");
        let hincr = rewrite(&words("HINCRBY h f -2"), ts, 0, 10).expect("covered");
        let set = rewrite(&words("SET k v"), ts, 0, 10).expect("covered");
        assert_eq!(read_of(&incr), Some(words("GET c")));
        assert_eq!(read_of(&hincr), Some(words("HGET h f")));
        assert_eq!(read_of(&set), None);
        assert_eq!(value_in(&Frame::bulk("-12")), Some(-12));
        assert_eq!(value_in(&Frame::Integer(4)), Some(4));
        assert_eq!(value_in(&Frame::bulk("v")), None);
        assert_eq!(value_in(&Frame::Null), None);
    }
}
