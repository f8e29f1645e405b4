//! Range specifications of the sorted-set commands: score intervals (`(1`, `-inf`, `+inf`) parsed
//! like Redis's `zslParseRange`, and lexicographic intervals (`[a`, `(a`, `-`, `+`) parsed like
//! `zslParseLexRange`.

use bytes::Bytes;

use crate::resp::Frame;

use super::args::error;
use super::numbers;

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// A score interval of BYSCORE ranges, ZCOUNT and ZREMRANGEBYSCORE.
#[derive(Clone, Copy)]
pub(super) struct ScoreRange {
    /// Lower bound.
    min: f64,
    /// `(min`: the bound itself is excluded.
    min_exclusive: bool,
    /// Upper bound.
    max: f64,
    /// `(max`: the bound itself is excluded.
    max_exclusive: bool,
}

impl ScoreRange {
    pub(super) fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, Frame> {
        let (min, min_exclusive) = parse_score_bound(min)?;
        let (max, max_exclusive) = parse_score_bound(max)?;
        Ok(ScoreRange { min, min_exclusive, max, max_exclusive })
    }

    pub(super) fn contains(&self, score: f64) -> bool {
        let above = if self.min_exclusive { score > self.min } else { score >= self.min };
        let below = if self.max_exclusive { score < self.max } else { score <= self.max };
        above && below
    }
}

fn parse_score_bound(arg: &[u8]) -> Result<(f64, bool), Frame> {
    let (text, exclusive) = match arg.split_first() {
        Some((b'(', rest)) => (rest, true),
        _ => (arg, false),
    };
    numbers::parse_range_f64(text).map(|value| (value, exclusive)).ok_or_else(|| error(NOT_FLOAT_RANGE))
}

/// One end of a BYLEX interval.
#[derive(Clone)]
pub(super) enum LexBound {
    /// `-`: below everything.
    Lowest,
    /// `+`: above everything.
    Highest,
    /// `[x`: inclusive.
    Inclusive(Bytes),
    /// `(x`: exclusive.
    Exclusive(Bytes),
}

/// A member interval of BYLEX ranges, ZLEXCOUNT and ZREMRANGEBYLEX.
#[derive(Clone)]
pub(super) struct LexRange {
    /// Lower bound.
    min: LexBound,
    /// Upper bound.
    max: LexBound,
}

impl LexRange {
    pub(super) fn parse(min: &Bytes, max: &Bytes) -> Result<LexRange, Frame> {
        Ok(LexRange { min: parse_lex_bound(min)?, max: parse_lex_bound(max)? })
    }

    pub(super) fn contains(&self, member: &[u8]) -> bool {
        let above = match &self.min {
            LexBound::Lowest => true,
            LexBound::Highest => false,
            LexBound::Inclusive(bound) => member >= &bound[..],
            LexBound::Exclusive(bound) => member > &bound[..],
        };
        let below = match &self.max {
            LexBound::Lowest => false,
            LexBound::Highest => true,
            LexBound::Inclusive(bound) => member <= &bound[..],
            LexBound::Exclusive(bound) => member < &bound[..],
        };
        above && below
    }
}

fn parse_lex_bound(arg: &Bytes) -> Result<LexBound, Frame> {
    match arg.first() {
        Some(b'-') if arg.len() == 1 => Ok(LexBound::Lowest),
        Some(b'+') if arg.len() == 1 => Ok(LexBound::Highest),
        Some(b'[') => Ok(LexBound::Inclusive(arg.slice(1..))),
        Some(b'(') => Ok(LexBound::Exclusive(arg.slice(1..))),
        _ => Err(error(NOT_LEX_RANGE)),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::{LexRange, ScoreRange};

    #[test]
    fn score_ranges_honour_exclusive_bounds() {
        let range = ScoreRange::parse(b"(1", b"2").expect("valid range");
        assert!(!range.contains(1.0));
        assert!(range.contains(1.5));
        assert!(range.contains(2.0));
        let everything = ScoreRange::parse(b"-inf", b"+inf").expect("valid range");
        assert!(everything.contains(f64::INFINITY));
        assert!(ScoreRange::parse(b"x", b"1").is_err());
    }

    #[test]
    fn lex_ranges_need_a_bracket_or_an_infinity() {
        let range = LexRange::parse(&Bytes::from_static(b"[b"), &Bytes::from_static(b"(d")).expect("valid");
        assert!(range.contains(b"b"));
        assert!(range.contains(b"c"));
        assert!(!range.contains(b"d"));
        let open = LexRange::parse(&Bytes::from_static(b"-"), &Bytes::from_static(b"+")).expect("valid");
        assert!(open.contains(b""));
        assert!(LexRange::parse(&Bytes::from_static(b"b"), &Bytes::from_static(b"+")).is_err());
        assert!(LexRange::parse(&Bytes::from_static(b"-x"), &Bytes::from_static(b"+")).is_err());
    }
}
