//! A minimal RESP client over simulated TCP, for workload clients, checkers and tests.
//!
//! One request at a time, each bounded by a timeout in simulated time; every write is flushed (madsim
//! buffers until flush).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::resp::{self, Frame, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::ClientError;

/// Time one request may take before [`ClientError::Timeout`].
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Bytes read per call.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// One connection to a node's client port or a datastore host.
pub struct RespClient {
    address: SocketAddr,
    stream: TcpStream,
    input: BytesMut,
}

impl RespClient {
    /// Connects once (no retry: a killed or clogged host fails at once under madsim).
    pub async fn connect(address: SocketAddr) -> Result<RespClient, ClientError> {
        let stream =
            TcpStream::connect(address).await.map_err(|source| ClientError::Io { address, source })?;
        Ok(RespClient { address, stream, input: BytesMut::with_capacity(READ_CHUNK_BYTES) })
    }

    /// The address this client talks to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Sends one command and returns its reply (an error reply is `Ok(Frame::Error(..))`).
    pub async fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, ClientError> {
        let address = self.address;
        let timeout = Duration::from_millis(REQUEST_TIMEOUT_MS);
        match tokio::time::timeout(timeout, self.exchange(args)).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout { address, timeout_ms: REQUEST_TIMEOUT_MS }),
        }
    }

    /// Sends every request in one write and returns their replies in order, the whole exchange
    /// bounded by [`REQUEST_TIMEOUT_MS`] (direct replica reads: one round trip per datastore).
    pub async fn pipeline<A: AsRef<[u8]>>(&mut self, requests: &[Vec<A>]) -> Result<Vec<Frame>, ClientError> {
        let address = self.address;
        let timeout = Duration::from_millis(REQUEST_TIMEOUT_MS);
        match tokio::time::timeout(timeout, self.exchange_all(requests)).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout { address, timeout_ms: REQUEST_TIMEOUT_MS }),
        }
    }

    async fn exchange_all<A: AsRef<[u8]>>(&mut self, requests: &[Vec<A>]) -> Result<Vec<Frame>, ClientError> {
        let address = self.address;
        let mut buffer = BytesMut::new();
        for request in requests {
            resp::encode_request(request, &mut buffer);
        }
        self.stream.write_all(&buffer).await.map_err(|source| ClientError::Io { address, source })?;
        self.stream.flush().await.map_err(|source| ClientError::Io { address, source })?;
        let mut replies = Vec::with_capacity(requests.len());
        while replies.len() < requests.len() {
            replies.push(self.next_frame().await?);
        }
        Ok(replies)
    }

    async fn next_frame(&mut self) -> Result<Frame, ClientError> {
        let address = self.address;
        let limits = Limits::default();
        loop {
            match resp::decode_frame(&mut self.input, &limits) {
                Ok(Some((frame, _raw))) => return Ok(frame),
                Ok(None) => {}
                Err(error) => return Err(ClientError::Protocol { address, detail: error.to_string() }),
            }
            let mut chunk = [0u8; READ_CHUNK_BYTES];
            let read =
                self.stream.read(&mut chunk).await.map_err(|source| ClientError::Io { address, source })?;
            if read == 0 {
                return Err(ClientError::Closed { address });
            }
            self.input.extend_from_slice(&chunk[..read]);
        }
    }

    async fn exchange<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, ClientError> {
        let address = self.address;
        let mut request = BytesMut::new();
        resp::encode_request(args, &mut request);
        self.stream.write_all(&request).await.map_err(|source| ClientError::Io { address, source })?;
        self.stream.flush().await.map_err(|source| ClientError::Io { address, source })?;
        let limits = Limits::default();
        loop {
            match resp::decode_frame(&mut self.input, &limits) {
                Ok(Some((frame, _raw))) => return Ok(frame),
                Ok(None) => {}
                Err(error) => return Err(ClientError::Protocol { address, detail: error.to_string() }),
            }
            let mut chunk = [0u8; READ_CHUNK_BYTES];
            let read =
                self.stream.read(&mut chunk).await.map_err(|source| ClientError::Io { address, source })?;
            if read == 0 {
                return Err(ClientError::Closed { address });
            }
            self.input.extend_from_slice(&chunk[..read]);
        }
    }
}

/// Connects, sends one command, and closes: the simplest way to ask something once.
pub async fn command_once<A: AsRef<[u8]>>(address: SocketAddr, args: &[A]) -> Result<Frame, ClientError> {
    RespClient::connect(address).await?.command(args).await
}
