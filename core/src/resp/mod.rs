//! RESP2/RESP3 codec: frame model, incremental decoder, encoder, client request parser.
mod frame;
pub use frame::{format_double, Frame, Protocol};
