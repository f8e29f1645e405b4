//! Test support shared by the integration tests of every crate: real `redis-server` processes on free
//! loopback ports, free-port allocation, and a small blocking RESP connection that returns each reply's
//! raw bytes (so tests can compare replies byte for byte).
//!
//! `redis-server` must be installed (`ci/run` installs it with apt-get); a test that needs it fails with
//! a clear message otherwise, it never passes vacuously.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a started server gets to answer its first PING.
const STARTUP_TIMEOUT_MS: u64 = 10_000;
/// Read timeout of a [`RespConn`]: a test waiting longer than this has found a hang.
const READ_TIMEOUT_MS: u64 = 10_000;

/// A loopback TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A `redis-server` child process on a free loopback port, without persistence; killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts `redis-server` and waits until it answers PING. Panics with an actionable message when
    /// the binary is missing.
    pub fn start() -> RedisServer {
        Self::start_with(&[])
    }

    /// Like [`RedisServer::start`], with extra `--name value` arguments.
    pub fn start_with(extra_args: &[&str]) -> RedisServer {
        for _attempt in 0..5 {
            let port = free_port();
            let dir = std::env::temp_dir().join(format!("dynomite-test-redis-{port}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("create redis dir");
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&dir)
                .args(extra_args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| {
                    panic!("cannot start redis-server ({error}); install it: apt-get install -y redis-server redis-tools")
                });
            let mut server = RedisServer { child, port, dir };
            if server.wait_ready() {
                return server;
            }
        }
        panic!("redis-server did not come up on a free port after 5 attempts");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_millis(STARTUP_TIMEOUT_MS);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false; // exited, probably the port was taken meanwhile
            }
            if let Ok(mut conn) = RespConn::connect(self.port) {
                if conn.command(&["PING"]).map(|reply| reply == b"+PONG\r\n").unwrap_or(false) {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL) and waits for it; used to test a dead datastore.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port after [`RedisServer::kill`].
    pub fn restart(&mut self) {
        self.kill();
        self.child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("restart redis-server");
        assert!(self.wait_ready(), "redis-server did not come back on port {}", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A blocking RESP connection for tests: sends commands, returns each reply's raw bytes.
pub struct RespConn {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl RespConn {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> std::io::Result<RespConn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_millis(READ_TIMEOUT_MS)))?;
        stream.set_nodelay(true)?;
        Ok(RespConn { stream, buffer: Vec::new() })
    }

    /// Sends one command (as a RESP array of bulk strings) and returns the raw bytes of its reply.
    pub fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<Vec<u8>> {
        self.send(args)?;
        self.read_reply()
    }

    /// Sends one command without reading its reply (for pipelining).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<()> {
        self.stream.write_all(&encode_command(args))
    }

    /// Sends raw bytes as they are (malformed input, inline commands).
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads the raw bytes of the next complete reply (including RESP3 attributes before it).
    pub fn read_reply(&mut self) -> std::io::Result<Vec<u8>> {
        loop {
            if let Some(length) = reply_length(&self.buffer, 0) {
                return Ok(self.buffer.drain(..length).collect());
            }
            let mut chunk = [0u8; 16 * 1024];
            let read = self.stream.read(&mut chunk)?;
            if read == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// Encodes a command as a RESP array of bulk strings.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Length of the complete reply starting at `start`, or None when more bytes are needed. Test-only
/// scanner that trusts its input (it talks to real Redis or to the proxy under test).
fn reply_length(buffer: &[u8], start: usize) -> Option<usize> {
    let line_end = start + buffer.get(start..)?.windows(2).position(|pair| pair == b"\r\n")?;
    let header = std::str::from_utf8(&buffer[start + 1..line_end]).ok()?;
    let after_line = line_end + 2;
    let count = |multiplier: i64| header.parse::<i64>().map(|n| n * multiplier).unwrap_or(0);
    let children = match buffer[start] {
        b'$' | b'!' | b'=' => {
            let length = header.parse::<i64>().ok()?;
            if length < 0 {
                return Some(after_line - start);
            }
            let end = after_line + length as usize + 2;
            return (buffer.len() >= end).then_some(end - start);
        }
        b'*' | b'~' | b'>' => count(1),
        b'%' => count(2),
        b'|' => count(2) + 1, // attribute pairs, then the reply they describe
        _ => 0,
    };
    let mut position = after_line;
    for _ in 0..children.max(0) {
        position += reply_length(buffer, position)?;
    }
    Some(position - start)
}
