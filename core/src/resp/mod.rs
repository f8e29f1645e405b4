//! RESP2/RESP3 codec: frame model, incremental decoder, encoder, client request parser.
//!
//! - [`frame`]: the one value model for both protocol versions ([`Frame`], [`Protocol`]).
//! - `encode`: frame → bytes, downgrading RESP3-only types for RESP2 connections like Redis 7.
mod encode;
mod frame;

pub use encode::{encode, encode_request};
pub use frame::{format_double, Frame, Protocol};
