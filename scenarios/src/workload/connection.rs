//! One RESP connection to a node's client port, bounded in time, that distinguishes a request that
//! was never sent (safe to count as failed) from one lost after sending (indeterminate).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::config::Consistency;
use dynomite_core::resp::{self, Frame, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes read per call.
const READ_CHUNK_BYTES: usize = 16 * 1024;
/// Dynomite's per-connection consistency command.
const CONN_CONSISTENCY_COMMAND: &str = "DYNO_CONFIG:CONN_CONSISTENCY";

/// How one request went.
#[derive(Debug, Clone, PartialEq)]
pub enum Exchange {
    /// The node replied (possibly with an error reply).
    Reply(Frame),
    /// The request never left: connecting failed.
    NotSent(String),
    /// The request may have been executed: the connection broke or timed out after sending.
    Lost(String),
}

/// A connection with its consistency level set.
pub struct Connection {
    address: SocketAddr,
    stream: TcpStream,
    input: BytesMut,
    timeout: Duration,
}

impl Connection {
    /// Connects to `address` and sets this connection's consistency to `level`.
    pub async fn open(
        address: SocketAddr,
        level: Consistency,
        timeout_ms: u64,
    ) -> Result<Connection, String> {
        let timeout = Duration::from_millis(timeout_ms);
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return Err(format!("connect {address}: {error}")),
            Err(_) => return Err(format!("connect {address}: no answer within {timeout_ms} ms")),
        };
        let mut connection = Connection { address, stream, input: BytesMut::new(), timeout };
        let level_name = level.config_name();
        match connection.request(&[CONN_CONSISTENCY_COMMAND, level_name]).await {
            Exchange::Reply(Frame::Simple(_)) => Ok(connection),
            other => Err(format!("{address}: setting consistency {level_name}: {other:?}")),
        }
    }

    /// The node this connection talks to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Sends one command and waits (bounded) for its reply.
    pub async fn request<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Exchange {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.exchange(args)).await {
            Ok(Ok(frame)) => Exchange::Reply(frame),
            Ok(Err(reason)) => Exchange::Lost(format!("{}: {reason}", self.address)),
            Err(_) => Exchange::Lost(format!("{}: no reply within {} ms", self.address, timeout.as_millis())),
        }
    }

    async fn exchange<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, String> {
        let mut request = BytesMut::new();
        resp::encode_request(args, &mut request);
        self.stream.write_all(&request).await.map_err(|error| error.to_string())?;
        self.stream.flush().await.map_err(|error| error.to_string())?;
        let limits = Limits::default();
        loop {
            if let Some((frame, _raw)) =
                resp::decode_frame(&mut self.input, &limits).map_err(|error| error.to_string())?
            {
                return Ok(frame);
            }
            let mut chunk = [0u8; READ_CHUNK_BYTES];
            let read = self.stream.read(&mut chunk).await.map_err(|error| error.to_string())?;
            if read == 0 {
                return Err("connection closed before the reply".to_string());
            }
            self.input.extend_from_slice(&chunk[..read]);
        }
    }
}
