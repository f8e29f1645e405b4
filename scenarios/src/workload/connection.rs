//! One pipelining RESP connection to a node's client port: it sets its consistency level, learns its
//! id (`CLIENT ID`), counts the requests it sends (as the node does), sends a batch in one write and
//! reads the replies in order, each bounded in time.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dynomite_core::config::Consistency;
use dynomite_core::resp::{self, Frame, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Bytes read per call.
const READ_CHUNK_BYTES: usize = 16 * 1024;
/// Dynomite's per-connection consistency command.
const CONN_CONSISTENCY_COMMAND: &str = "DYNO_CONFIG:CONN_CONSISTENCY";

/// How one request of a batch went.
#[derive(Debug, Clone, PartialEq)]
pub enum Exchange {
    /// The node replied (possibly with an error reply) at this time.
    Reply(Frame, Instant),
    /// The request may have been executed: the connection broke or timed out after sending.
    Lost(String, Instant),
}

/// An open connection with its consistency level set.
pub struct Connection {
    address: SocketAddr,
    stream: TcpStream,
    input: BytesMut,
    timeout: Duration,
    /// The node's id for this connection (`CLIENT ID`).
    id: u64,
    /// Requests sent so far (the node's request sequence of the last one).
    sent: u64,
    /// False once a request was lost: the connection must not be used again.
    usable: bool,
}

impl Connection {
    /// Connects to `address`, sets the consistency to `level` and asks the connection's id (two
    /// pipelined requests: sequence 1 and 2).
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
        let mut connection =
            Connection { address, stream, input: BytesMut::new(), timeout, id: 0, sent: 0, usable: true };
        let level_name = level.config_name();
        let setup = [
            vec![
                Bytes::from_static(CONN_CONSISTENCY_COMMAND.as_bytes()),
                Bytes::from_static(level_name.as_bytes()),
            ],
            vec![Bytes::from_static(b"CLIENT"), Bytes::from_static(b"ID")],
        ];
        let replies = connection.pipeline(&setup).await;
        match replies.as_slice() {
            [Exchange::Reply(Frame::Simple(_), _), Exchange::Reply(Frame::Integer(id), _)] => {
                connection.id = u64::try_from(*id).unwrap_or(0);
                Ok(connection)
            }
            other => Err(format!("{address}: setting consistency {level_name} and CLIENT ID: {other:?}")),
        }
    }

    /// The node this connection talks to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The node's id for this connection.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Requests sent so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// False after a lost request (timeout or broken connection).
    pub fn is_usable(&self) -> bool {
        self.usable
    }

    /// Sends every request in one write, then reads their replies in order, each within the timeout.
    /// After the first lost reply every later one is lost too.
    pub async fn pipeline(&mut self, requests: &[Vec<Bytes>]) -> Vec<Exchange> {
        let mut buffer = BytesMut::new();
        for request in requests {
            resp::encode_request(request, &mut buffer);
        }
        self.sent += requests.len() as u64;
        let written = async {
            self.stream.write_all(&buffer).await?;
            self.stream.flush().await
        };
        if let Err(error) = written.await {
            self.usable = false;
            let reason = format!("{}: {error}", self.address);
            return requests.iter().map(|_| Exchange::Lost(reason.clone(), Instant::now())).collect();
        }
        let mut exchanges = Vec::with_capacity(requests.len());
        for _ in requests {
            if !self.usable {
                exchanges
                    .push(Exchange::Lost(format!("{}: earlier reply lost", self.address), Instant::now()));
                continue;
            }
            let exchange = match tokio::time::timeout(self.timeout, self.next_frame()).await {
                Ok(Ok(frame)) => Exchange::Reply(frame, Instant::now()),
                Ok(Err(reason)) => Exchange::Lost(format!("{}: {reason}", self.address), Instant::now()),
                Err(_) => Exchange::Lost(
                    format!("{}: no reply within {} ms", self.address, self.timeout.as_millis()),
                    Instant::now(),
                ),
            };
            if matches!(exchange, Exchange::Lost(..)) {
                self.usable = false;
            }
            exchanges.push(exchange);
        }
        exchanges
    }

    async fn next_frame(&mut self) -> Result<Frame, String> {
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
