//! A bounds-checked cursor over one complete frame body: every read either returns a field or a
//! typed [`PeerProtocolError::Malformed`], never panics, and byte fields are zero-copy slices.

use bytes::{Buf, Bytes};

use super::codes::WireCode;
use super::error::{MalformedReason, PeerProtocolError};
use super::message::MessageKind;
use super::PEER_TEXT_BYTES_MAX;

/// Reads the fields of one frame body in order.
pub(crate) struct BodyReader {
    /// The kind the header announced, named in every error.
    kind: MessageKind,
    /// The unread rest of the body (a slice of the received frame).
    rest: Bytes,
}

impl BodyReader {
    /// A reader over `body`, the complete body of a frame of `kind`.
    pub(crate) fn new(kind: MessageKind, body: Bytes) -> Self {
        BodyReader { kind, rest: body }
    }

    /// The error for `field` with `reason`.
    pub(crate) fn malformed(&self, field: &'static str, reason: MalformedReason) -> PeerProtocolError {
        PeerProtocolError::Malformed { kind: self.kind, field, reason }
    }

    /// Fails unless `needed` more bytes remain.
    fn require(&self, field: &'static str, needed: u64) -> Result<(), PeerProtocolError> {
        let remaining = self.rest.len() as u64;
        if needed > remaining {
            return Err(
                self.malformed(field, MalformedReason::Truncated { missing_bytes: needed - remaining })
            );
        }
        Ok(())
    }

    /// One byte.
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, PeerProtocolError> {
        self.require(field, 1)?;
        Ok(self.rest.get_u8())
    }

    /// A big-endian `u32`.
    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, PeerProtocolError> {
        self.require(field, 4)?;
        Ok(self.rest.get_u32())
    }

    /// A big-endian `u64`.
    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, PeerProtocolError> {
        self.require(field, 8)?;
        Ok(self.rest.get_u64())
    }

    /// A one-byte enum code, decoded to its variant.
    pub(crate) fn code<T: WireCode>(&mut self, field: &'static str) -> Result<T, PeerProtocolError> {
        let code = self.u8(field)?;
        T::from_code(code).ok_or_else(|| self.malformed(field, MalformedReason::UnknownCode { code }))
    }

    /// A length-prefixed byte field, as a slice of the frame (no copy).
    pub(crate) fn bytes(&mut self, field: &'static str) -> Result<Bytes, PeerProtocolError> {
        let length = self.u32(field)?;
        self.require(field, u64::from(length))?;
        // Fits in usize: at most the remaining length, checked just above.
        Ok(self.rest.split_to(length as usize))
    }

    /// A length-prefixed UTF-8 text of at most [`PEER_TEXT_BYTES_MAX`] bytes.
    pub(crate) fn text(&mut self, field: &'static str) -> Result<String, PeerProtocolError> {
        let length = self.u32(field)?;
        if length as usize > PEER_TEXT_BYTES_MAX {
            let reason = MalformedReason::TooLong {
                length_bytes: u64::from(length),
                limit_bytes: PEER_TEXT_BYTES_MAX,
            };
            return Err(self.malformed(field, reason));
        }
        self.require(field, u64::from(length))?;
        let raw = self.rest.split_to(length as usize);
        String::from_utf8(raw.to_vec()).map_err(|_| self.malformed(field, MalformedReason::InvalidUtf8))
    }

    /// A list count of at most `limit` items, each at least `item_bytes_min` bytes long.
    ///
    /// The count is checked against what the rest of the body could hold, so a caller may size a `Vec`
    /// with it without letting the sender choose an allocation larger than the frame.
    pub(crate) fn count(
        &mut self,
        field: &'static str,
        limit: usize,
        item_bytes_min: u64,
    ) -> Result<usize, PeerProtocolError> {
        let count = self.u32(field)?;
        if count as usize > limit {
            return Err(self.malformed(field, MalformedReason::TooMany { count: u64::from(count), limit }));
        }
        self.require(field, u64::from(count) * item_bytes_min)?;
        Ok(count as usize)
    }

    /// Fails if bytes remain after the last field.
    pub(crate) fn finish(self) -> Result<(), PeerProtocolError> {
        if self.rest.is_empty() {
            return Ok(());
        }
        Err(self.malformed("end of body", MalformedReason::TrailingBytes { extra_bytes: self.rest.len() }))
    }
}
