//! Decoding cost of large client requests arriving in 16 KiB reads (issue 7.7): a 100 MB SET and a
//! 1M-argument MSET, decoded the way a connection did before (the stateless `decode_request` after
//! every read, which re-checks the request from its first byte) and with the resuming
//! `RequestDecoder`. Run: `cargo bench -p dynomite-core --bench request_decode`.
//!
//! A plain `std::time` program (harness = false): no benchmark framework needed for two numbers.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dynomite_core::resp::{decode_request, encode_request, Limits, Request, RequestDecoder};

/// Bytes the proxy reads from a client socket per call (the client connection's largest read).
const READ_CHUNK_BYTES: usize = 16 * 1024;

fn main() {
    let big_value = Bytes::from(vec![b'x'; 100 * 1000 * 1000]);
    let set = request(vec![Bytes::from_static(b"SET"), Bytes::from_static(b"big"), big_value]);
    let mut mset_args = vec![Bytes::from_static(b"MSET")];
    for index in 0..500_000 {
        mset_args.push(Bytes::from(format!("key:{index:06}")));
        mset_args.push(Bytes::from(format!("v{index}")));
    }
    let mset = request(mset_args);
    println!(
        "{:<34} {:>12} {:>8} {:>14} {:>14} {:>8}",
        "request", "bytes", "reads", "re-scan", "resume", "speedup"
    );
    for (name, bytes, args) in
        [("SET of a 100 MB value", &set, 3), ("MSET of 1M arguments (+ name)", &mset, 1_000_001)]
    {
        let rescan = time(bytes, args, Mode::Rescan);
        let resume = time(bytes, args, Mode::Resume);
        println!(
            "{:<34} {:>12} {:>8} {:>12.1}ms {:>12.1}ms {:>7.1}x",
            name,
            bytes.len(),
            bytes.len().div_ceil(READ_CHUNK_BYTES),
            rescan.as_secs_f64() * 1e3,
            resume.as_secs_f64() * 1e3,
            rescan.as_secs_f64() / resume.as_secs_f64()
        );
    }
}

fn request(args: Vec<Bytes>) -> Vec<u8> {
    let mut bytes = BytesMut::new();
    encode_request(&args, &mut bytes);
    bytes.to_vec()
}

#[derive(Clone, Copy)]
enum Mode {
    /// `decode_request` after every read (what a connection did before `RequestDecoder`).
    Rescan,
    /// One `RequestDecoder` per connection.
    Resume,
}

/// Feeds `bytes` in 16 KiB reads and decodes after each; returns the best of three runs.
fn time(bytes: &[u8], args: usize, mode: Mode) -> Duration {
    let limits = Limits::default();
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let mut decoder = RequestDecoder::new(limits);
            let mut buf = BytesMut::with_capacity(READ_CHUNK_BYTES);
            let mut decoded: Vec<Request> = Vec::new();
            for chunk in bytes.chunks(READ_CHUNK_BYTES) {
                buf.extend_from_slice(chunk);
                loop {
                    let next = match mode {
                        Mode::Rescan => decode_request(&mut buf, &limits),
                        Mode::Resume => decoder.decode(&mut buf),
                    };
                    match next.expect("valid request") {
                        Some(request) => decoded.push(request),
                        None => break,
                    }
                }
            }
            let elapsed = started.elapsed();
            assert_eq!(decoded.len(), 1);
            assert_eq!(decoded[0].args.len(), args);
            elapsed
        })
        .min()
        .unwrap_or_default()
}
