//! The internal peer command of the range repair, `DYNO_REPAIR`, typed once at the edge.
//!
//! - `DYNO_REPAIR DIGEST <start> <end> <buckets>`: the replica splits the inclusive token range into
//!   `<buckets>` equal slices and answers, per bucket, `[digest (16 hex), keys, tombstoned keys]` as
//!   one flat array of `3 × buckets` entries.
//! - `DYNO_REPAIR KEYS <start> <end> <buckets> <bucket> [<bucket> ...]`: the CRDT-managed keys of the
//!   listed buckets with their state digests, `[key, digest (16 hex), tombstoned (0/1)]` flat, at most
//!   [`KEYS_PER_ANSWER_MAX`] keys (the rest waits for the next run). One answer for all the buckets
//!   that differ: a replica walks its keys once per segment, not once per bucket.
//!
//! Only the peer listener accepts it ([`crate::peer::server`]); the command table does not know it, so
//! a client connection refuses it like any unknown command, and the coordinator never forwards it.

use bytes::Bytes;
use dynomite_core::crdt::digest;
use dynomite_core::resp::Frame;

use super::ranges::TokenRange;

/// The command's name on the peer wire.
pub const COMMAND_NAME: &[u8] = b"DYNO_REPAIR";
/// Most digest buckets one `DIGEST` may ask for.
pub const BUCKETS_MAX: u32 = 4096;
/// Most keys one `KEYS` answer lists; the rest waits for the next run.
pub const KEYS_PER_ANSWER_MAX: usize = 100_000;

/// A parsed `DYNO_REPAIR` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairCommand {
    /// Per-bucket digests of a range.
    Digest {
        /// The tokens.
        range: TokenRange,
        /// How many equal slices.
        buckets: u32,
    },
    /// The keys of some buckets of a range, with their state digests.
    Keys {
        /// The tokens.
        range: TokenRange,
        /// How many equal slices.
        buckets: u32,
        /// Which slices (0-based, ascending, at least one).
        selected: Vec<u32>,
    },
}

/// Why a `DYNO_REPAIR` request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairCommandError {
    /// Not `DIGEST` or `KEYS`, or the wrong number of arguments.
    #[error(
        "ERR DYNO_REPAIR: usage DIGEST <start> <end> <buckets> | KEYS <start> <end> <buckets> <bucket>..."
    )]
    Usage,
    /// A number that does not parse or is out of bounds.
    #[error("ERR DYNO_REPAIR: bad {what} '{value}'")]
    BadNumber {
        /// Which argument.
        what: &'static str,
        /// As sent.
        value: String,
    },
}

/// Whether `args` is a `DYNO_REPAIR` request (by its name, any case).
pub fn is_repair_command(args: &[Bytes]) -> bool {
    args.first().is_some_and(|name| name.eq_ignore_ascii_case(COMMAND_NAME))
}

impl RepairCommand {
    /// Parses `args` (the name at index 0).
    pub fn parse(args: &[Bytes]) -> Result<RepairCommand, RepairCommandError> {
        let sub = args.get(1).ok_or(RepairCommandError::Usage)?;
        let number = |index: usize, what: &'static str| -> Result<u32, RepairCommandError> {
            let raw = args.get(index).ok_or(RepairCommandError::Usage)?;
            std::str::from_utf8(raw).ok().and_then(|text| text.parse::<u32>().ok()).ok_or_else(|| {
                RepairCommandError::BadNumber { what, value: String::from_utf8_lossy(raw).into_owned() }
            })
        };
        let range_and_buckets = || -> Result<(TokenRange, u32), RepairCommandError> {
            let start = number(2, "start")?;
            let end = number(3, "end")?;
            if end < start {
                return Err(RepairCommandError::BadNumber { what: "end", value: end.to_string() });
            }
            let buckets = number(4, "buckets")?;
            if buckets == 0 || buckets > BUCKETS_MAX {
                return Err(RepairCommandError::BadNumber { what: "buckets", value: buckets.to_string() });
            }
            Ok((TokenRange { start, end }, buckets))
        };
        if sub.eq_ignore_ascii_case(b"DIGEST") && args.len() == 5 {
            let (range, buckets) = range_and_buckets()?;
            return Ok(RepairCommand::Digest { range, buckets });
        }
        if sub.eq_ignore_ascii_case(b"KEYS") && args.len() >= 6 {
            let (range, buckets) = range_and_buckets()?;
            if args.len() - 5 > buckets as usize {
                return Err(RepairCommandError::Usage);
            }
            let mut selected = Vec::with_capacity(args.len() - 5);
            for index in 5..args.len() {
                let bucket = number(index, "bucket")?;
                if bucket >= buckets || selected.last().is_some_and(|previous| *previous >= bucket) {
                    return Err(RepairCommandError::BadNumber { what: "bucket", value: bucket.to_string() });
                }
                selected.push(bucket);
            }
            return Ok(RepairCommand::Keys { range, buckets, selected });
        }
        Err(RepairCommandError::Usage)
    }

    /// The request's arguments.
    pub fn to_args(&self) -> Vec<Bytes> {
        let text = |value: u32| Bytes::from(value.to_string());
        match *self {
            RepairCommand::Digest { range, buckets } => vec![
                Bytes::from_static(COMMAND_NAME),
                Bytes::from_static(b"DIGEST"),
                text(range.start),
                text(range.end),
                text(buckets),
            ],
            RepairCommand::Keys { range, buckets, ref selected } => {
                let mut args = vec![
                    Bytes::from_static(COMMAND_NAME),
                    Bytes::from_static(b"KEYS"),
                    text(range.start),
                    text(range.end),
                    text(buckets),
                ];
                args.extend(selected.iter().map(|&bucket| text(bucket)));
                args
            }
        }
    }
}

/// One bucket's summary in a `DIGEST` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BucketDigest {
    /// Order-independent combination of the bucket's (key, state digest) pairs: the wrapping sum of
    /// `dynomite_core::crdt::digest::key_entry` (the same rule as its `BucketDigests`).
    pub digest: u64,
    /// CRDT-managed keys in the bucket.
    pub keys: u64,
    /// Keys whose state holds a tombstone (a key delete or an element remove).
    pub tombstoned: u64,
}

impl BucketDigest {
    /// Adds one key: its name and its state's digest.
    pub fn add(&mut self, key: &[u8], state_digest: u64, tombstoned: bool) {
        self.digest = self.digest.wrapping_add(digest::key_entry(key, state_digest));
        self.keys += 1;
        self.tombstoned += u64::from(tombstoned);
    }
}

/// The `DIGEST` answer frame.
pub fn digest_reply(buckets: &[BucketDigest]) -> Frame {
    let mut items = Vec::with_capacity(buckets.len() * 3);
    for bucket in buckets {
        items.push(Frame::bulk(format!("{:016x}", bucket.digest)));
        items.push(Frame::Integer(bucket.keys as i64));
        items.push(Frame::Integer(bucket.tombstoned as i64));
    }
    Frame::Array(items)
}

/// Reads a `DIGEST` answer of `buckets` buckets; None when it is anything else (an error reply).
pub fn parse_digest_reply(frame: &Frame, buckets: u32) -> Option<Vec<BucketDigest>> {
    let Frame::Array(items) = frame else { return None };
    if items.len() != buckets as usize * 3 {
        return None;
    }
    items
        .chunks(3)
        .map(|chunk| match chunk {
            [Frame::Bulk(digest), Frame::Integer(keys), Frame::Integer(tombstoned)] => Some(BucketDigest {
                digest: u64::from_str_radix(std::str::from_utf8(digest).ok()?, 16).ok()?,
                keys: u64::try_from(*keys).ok()?,
                tombstoned: u64::try_from(*tombstoned).ok()?,
            }),
            _ => None,
        })
        .collect()
}

/// One key of a `KEYS` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDigest {
    /// The data key.
    pub key: Bytes,
    /// Its state's digest on the answering replica.
    pub digest: u64,
    /// Its state holds a tombstone there.
    pub tombstoned: bool,
}

/// The `KEYS` answer frame.
pub fn keys_reply(keys: &[KeyDigest]) -> Frame {
    let mut items = Vec::with_capacity(keys.len() * 3);
    for key in keys {
        items.push(Frame::Bulk(key.key.clone()));
        items.push(Frame::bulk(format!("{:016x}", key.digest)));
        items.push(Frame::Integer(i64::from(key.tombstoned)));
    }
    Frame::Array(items)
}

/// Reads a `KEYS` answer; None when it is anything else.
pub fn parse_keys_reply(frame: Frame) -> Option<Vec<KeyDigest>> {
    let Frame::Array(items) = frame else { return None };
    if items.len() % 3 != 0 {
        return None;
    }
    items
        .chunks(3)
        .map(|chunk| match chunk {
            [Frame::Bulk(key), Frame::Bulk(digest), Frame::Integer(tombstoned)] => Some(KeyDigest {
                key: key.clone(),
                digest: u64::from_str_radix(std::str::from_utf8(digest).ok()?, 16).ok()?,
                tombstoned: *tombstoned != 0,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<Bytes> {
        text.split(' ').map(|part| Bytes::copy_from_slice(part.as_bytes())).collect()
    }

    #[test]
    fn parses_and_encodes() {
        let digest = RepairCommand::parse(&args("dyno_repair digest 10 20 4")).unwrap();
        assert_eq!(digest, RepairCommand::Digest { range: TokenRange { start: 10, end: 20 }, buckets: 4 });
        assert_eq!(RepairCommand::parse(&digest.to_args()), Ok(digest));
        let keys = RepairCommand::parse(&args("DYNO_REPAIR KEYS 0 4294967295 256 3 255")).unwrap();
        assert_eq!(
            keys,
            RepairCommand::Keys { range: TokenRange::ALL, buckets: 256, selected: vec![3, 255] }
        );
        assert_eq!(RepairCommand::parse(&keys.to_args()), Ok(keys));
        let listed = vec![KeyDigest { key: Bytes::from_static(b"k"), digest: 7, tombstoned: true }];
        assert_eq!(parse_keys_reply(keys_reply(&listed)), Some(listed));
        assert!(is_repair_command(&args("Dyno_Repair x")));
        assert!(!is_repair_command(&args("GET x")));
    }

    #[test]
    fn refuses_bad_requests() {
        assert_eq!(RepairCommand::parse(&args("DYNO_REPAIR")), Err(RepairCommandError::Usage));
        assert_eq!(RepairCommand::parse(&args("DYNO_REPAIR DIGEST 1 2")), Err(RepairCommandError::Usage));
        assert!(RepairCommand::parse(&args("DYNO_REPAIR DIGEST 2 1 4")).is_err());
        assert!(RepairCommand::parse(&args("DYNO_REPAIR DIGEST 1 2 0")).is_err());
        assert!(RepairCommand::parse(&args("DYNO_REPAIR DIGEST 1 2 5000")).is_err());
        assert!(RepairCommand::parse(&args("DYNO_REPAIR KEYS 1 2 4 4")).is_err());
        assert!(RepairCommand::parse(&args("DYNO_REPAIR KEYS 1 2 4 2 1")).is_err(), "ascending");
        assert!(RepairCommand::parse(&args("DYNO_REPAIR KEYS 1 2 4")).is_err());
        assert!(RepairCommand::parse(&args("DYNO_REPAIR DIGEST a 2 4")).is_err());
    }

    #[test]
    fn digests_round_trip_and_ignore_key_order() {
        let mut first = BucketDigest::default();
        first.add(b"a", 1, false);
        first.add(b"b", 2, true);
        let mut second = BucketDigest::default();
        second.add(b"b", 2, true);
        second.add(b"a", 1, false);
        assert_eq!(first, second);
        let mut other = BucketDigest::default();
        other.add(b"a", 2, false);
        other.add(b"b", 1, true);
        assert_ne!(first.digest, other.digest, "swapped states differ");
        let parsed = parse_digest_reply(&digest_reply(&[first, other]), 2).unwrap();
        assert_eq!(parsed, vec![first, other]);
        assert_eq!(parse_digest_reply(&Frame::error("ERR x"), 2), None);
    }
}
