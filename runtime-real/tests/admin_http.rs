//! The admin HTTP port (`stats_listen`) of the real `dynomite` binary, queried with plain HTTP/1.1 over
//! a std `TcpStream`: `/info` (with C's histogram summaries) and `/historeset`, `/cluster_describe`,
//! `/ring`, `/metrics`, consistency get/set (and its effect on client reads), the timeout factor (and
//! its effect on client timeouts), the log level (and its effect on the log file), `/peer`, `/state`,
//! `/ping`, `/help`, the admin token, and the error statuses (400, 401, 404, 405, malformed requests).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dynomite_testkit::{free_port, RespConn};

/// Longest a test waits for one HTTP answer (a safety net, not a speed requirement).
const HTTP_READ_TIMEOUT_MS: u64 = 10_000;
/// Longest a test waits for the node to listen.
const STARTUP_TIMEOUT_MS: u64 = 10_000;

/// A `dynomite` node on the embedded datastore, in rack1 of dc1, with one unreachable seed in dc2.
/// `auto_eject_hosts: false`, so only the admin port marks that peer down.
struct AdminNode {
    child: Child,
    client_port: u16,
    admin_port: u16,
    seed_port: u16,
    config_path: PathBuf,
    log_path: PathBuf,
}

/// How a test node is set up beyond the common lines.
struct Setup<'a> {
    /// The datastore lines (`data_store: ...`, `servers: ...`).
    datastore: &'a str,
    /// The node's `timeout` (ms).
    timeout_ms: u64,
    /// More lines of `  key: value`.
    extra: &'a str,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup { datastore: "  data_store: embedded\n", timeout_ms: 2000, extra: "" }
    }
}

/// Attempts at starting a node: a free port can be taken by a parallel test between `free_port` and the
/// node's bind, and the node then exits at once; a new set of ports is tried.
const START_ATTEMPTS: usize = 5;

impl AdminNode {
    fn start() -> AdminNode {
        AdminNode::start_with("")
    }

    /// A node whose config also has `extra` (lines of `  key: value`).
    fn start_with(extra: &str) -> AdminNode {
        AdminNode::start_setup(&Setup { extra, ..Setup::default() })
    }

    /// A node set up as `setup` says; it logs at verbosity 4 (warnings) to [`AdminNode::log_path`].
    fn start_setup(setup: &Setup) -> AdminNode {
        for _ in 0..START_ATTEMPTS {
            if let Some(node) = AdminNode::try_start(setup) {
                return node;
            }
        }
        panic!("dynomite did not start after {START_ATTEMPTS} attempts with fresh ports");
    }

    /// Starts a node on fresh ports; None when it exited during startup (a port was taken meanwhile).
    fn try_start(setup: &Setup) -> Option<AdminNode> {
        let (client_port, peer_port, admin_port, seed_port) =
            (free_port(), free_port(), free_port(), free_port());
        let Setup { datastore, timeout_ms, extra } = setup;
        let config = format!(
            "dyn_o_mite:\n  datacenter: dc1\n  rack: rack1\n  listen: 127.0.0.1:{client_port}\n  \
             dyn_listen: 127.0.0.1:{peer_port}\n  stats_listen: 127.0.0.1:{admin_port}\n\
             {datastore}  tokens: '0'\n  timeout: {timeout_ms}\n  auto_eject_hosts: false\n  dyn_seeds:\n  \
             - 127.0.0.1:{seed_port}:rack1:dc2:0\n{extra}"
        );
        let name = format!("dynomite-admin-{admin_port}-{}", std::process::id());
        let config_path = std::env::temp_dir().join(format!("{name}.yml"));
        let log_path = std::env::temp_dir().join(format!("{name}.log"));
        std::fs::write(&config_path, config).expect("write config");
        let child = Command::new(env!("CARGO_BIN_EXE_dynomite"))
            .arg("-c")
            .arg(&config_path)
            .args(["-v", "4", "-o"])
            .arg(&log_path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dynomite");
        let mut node = AdminNode { child, client_port, admin_port, seed_port, config_path, log_path };
        node.wait_ready().then_some(node)
    }

    /// What the node has logged so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// True once both ports answer; false when the process exited during startup.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_millis(STARTUP_TIMEOUT_MS);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                eprintln!("dynomite exited during startup ({status}); retrying with fresh ports");
                return false;
            }
            let admin_up = TcpStream::connect(("127.0.0.1", self.admin_port)).is_ok();
            if admin_up && RespConn::connect(self.client_port).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("dynomite did not listen within {STARTUP_TIMEOUT_MS} ms");
    }

    /// Sends raw bytes to the admin port and reads the whole answer (the server closes after one).
    fn raw(&self, request: &[u8]) -> HttpAnswer {
        self.try_raw(request).expect("send request and read the answer until the server closes")
    }

    /// [`AdminNode::raw`] that reports I/O errors instead of panicking.
    fn try_raw(&self, request: &[u8]) -> std::io::Result<HttpAnswer> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.admin_port))?;
        stream.set_read_timeout(Some(Duration::from_millis(HTTP_READ_TIMEOUT_MS)))?;
        stream.write_all(request)?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes)?;
        Ok(HttpAnswer::parse(&bytes))
    }

    fn request(&self, method: &str, path: &str) -> HttpAnswer {
        self.raw(format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
    }

    fn get(&self, path: &str) -> HttpAnswer {
        self.request("GET", path)
    }

    fn client(&self) -> RespConn {
        RespConn::connect(self.client_port).expect("connect client port")
    }
}

impl Drop for AdminNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config_path);
        let _ = std::fs::remove_file(&self.log_path);
    }
}

/// One HTTP response, split into its parts.
#[derive(Debug)]
struct HttpAnswer {
    status: u16,
    head: String,
    body: String,
}

impl HttpAnswer {
    fn parse(bytes: &[u8]) -> HttpAnswer {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status line in {text:?}"));
        HttpAnswer { status, head: head.to_string(), body: body.to_string() }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn json(&self) -> serde_json::Value {
        assert_eq!(self.status, 200, "{self:?}");
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

#[test]
fn info_reports_identity_counters_datastore_and_peers() {
    let node = AdminNode::start();
    let mut client = node.client();
    assert_eq!(client.command(&["SET", "k", "v"]).unwrap(), b"+OK\r\n");
    assert_eq!(client.command(&["NOSUCHCOMMAND"]).unwrap()[0], b'-');

    let answer = node.get("/info");
    assert!(answer.header("content-type").unwrap().starts_with("application/json"), "{answer:?}");
    let info = answer.json();
    assert_eq!(info["service"], "dynomite");
    assert_eq!(info["proxy"], "dynomite-rs");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["dc"], "dc1");
    assert_eq!(info["rack"], "rack1");
    assert!(info["uptime"].is_u64() && info["timestamp"].as_u64().unwrap() > 1_600_000_000, "{info}");
    assert!(info["source"].as_str().unwrap().starts_with("127.0.0.1:"), "{info}");
    assert_eq!(info["read_consistency"], "DC_ONE");
    assert_eq!(info["datastore"]["kind"], "embedded");

    let pool = &info["dyn_o_mite"];
    assert!(pool["client_connections"].as_u64().unwrap() >= 1, "{info}");
    assert!(pool["client_connections_total"].as_u64().unwrap() >= 1, "{info}");
    assert_eq!(pool["client_requests"], 2, "{info}");
    assert_eq!(pool["client_rejected_requests"], 1, "{info}");
    assert_eq!(pool["client_protocol_errors"], 0, "{info}");

    let peers = info["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 1, "{info}");
    assert_eq!(peers[0]["address"], format!("127.0.0.1:{}", node.seed_port));
    assert_eq!(peers[0]["dc"], "dc2");
    assert_eq!(peers[0]["connected"], false, "nothing listens on the seed's port");
    assert_eq!(peers[0]["down"], false);

    assert_eq!(node.get("/").json()["service"], "dynomite", "/ is /info, as in C");
}

#[test]
fn cluster_describe_has_c_dynomites_shape() {
    let node = AdminNode::start();
    let description = node.get("/cluster_describe").json();
    let datacenters = description["dcs"].as_array().unwrap();
    let names: Vec<&str> =
        datacenters.iter().map(|datacenter| datacenter["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dc1", "dc2"], "{description}");
    for datacenter in datacenters {
        let racks = datacenter["racks"].as_array().unwrap();
        assert_eq!(racks.len(), 1, "{description}");
        assert_eq!(racks[0]["name"], "rack1");
        let server = &racks[0]["servers"][0];
        for key in ["name", "host", "port", "token"] {
            assert!(!server[key].is_null(), "server without {key}: {description}");
        }
    }
    let remote = &datacenters[1]["racks"][0]["servers"][0];
    assert_eq!(remote["host"], "127.0.0.1");
    assert_eq!(remote["port"], node.seed_port);
}

#[test]
fn set_consistency_changes_get_consistency_and_client_reads() {
    let node = AdminNode::start();
    let answer = node.get("/get_consistency");
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "Read Consistency: DC_ONE\r\nWrite Consistency: DC_ONE\r\n")
    );
    let mut client = node.client();
    assert_eq!(client.command(&["SET", "k", "v"]).unwrap(), b"+OK\r\n");
    assert_eq!(client.command(&["GET", "k"]).unwrap(), b"$1\r\nv\r\n", "DC_ONE reads the local rack");

    // The level is case-insensitive; the answer is C's OK.
    let answer = node.get("/set_consistency/read/DC_Each_Safe_Quorum");
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK\r\n"));
    let answer = node.request("POST", "/set_consistency/write/dc_quorum");
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK\r\n"));
    assert_eq!(
        node.get("/get_consistency").body,
        "Read Consistency: DC_EACH_SAFE_QUORUM\r\nWrite Consistency: DC_QUORUM\r\n"
    );
    assert_eq!(node.get("/info").json()["read_consistency"], "DC_EACH_SAFE_QUORUM");

    // dc2's only node is unreachable, so a read that needs a safe quorum in every DC now fails.
    let reply = client.command(&["GET", "k"]).unwrap();
    assert_eq!(reply[0], b'-', "read at DC_EACH_SAFE_QUORUM: {}", String::from_utf8_lossy(&reply));

    assert_eq!(node.get("/set_consistency/read/dc_one").status, 200);
    assert_eq!(client.command(&["GET", "k"]).unwrap(), b"$1\r\nv\r\n");
}

#[test]
fn bad_consistency_requests_are_400_naming_the_value() {
    let node = AdminNode::start();
    let answer = node.get("/set_consistency/read/dc_two");
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("'dc_two'"), "{answer:?}");
    assert!(answer.body.contains("dc_one, dc_quorum, dc_safe_quorum, dc_each_safe_quorum"), "{answer:?}");

    let answer = node.get("/set_consistency/sideways/dc_one");
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("'sideways'") && answer.body.contains("read, write"), "{answer:?}");

    assert_eq!(node.get("/set_consistency/read").status, 400);
    assert_eq!(
        node.get("/get_consistency").body,
        "Read Consistency: DC_ONE\r\nWrite Consistency: DC_ONE\r\n"
    );
}

#[test]
fn peer_down_and_up_show_in_info() {
    let node = AdminNode::start();
    let seed = format!("127.0.0.1:{}", node.seed_port);
    assert_eq!(node.get(&format!("/peer/down/{seed}")).body, "OK\r\n");
    assert_eq!(node.get("/info").json()["peers"][0]["down"], true);
    assert_eq!(node.get("/peer/up/all").status, 200);
    assert_eq!(node.get("/info").json()["peers"][0]["down"], false);
    assert_eq!(node.get("/peer/down/127.0.0.1").status, 200, "a host names its peers");
    assert_eq!(node.get("/info").json()["peers"][0]["down"], true);
    assert_eq!(node.get("/peer/reset/all").status, 200);
    assert_eq!(node.get("/info").json()["peers"][0]["down"], false);

    let answer = node.get("/peer/down/10.9.9.9:1");
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("'10.9.9.9:1'") && answer.body.contains(&seed), "{answer:?}");
}

#[test]
fn ping_help_and_methods() {
    let node = AdminNode::start();
    let answer = node.get("/ping");
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK\r\n"));
    let help = node.get("/help");
    for endpoint in ["/info", "/cluster_describe", "/get_consistency", "/set_consistency/", "/ping", "/help"]
    {
        assert!(help.body.contains(endpoint), "{help:?}");
    }

    let head = node.request("HEAD", "/info");
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.body, "", "HEAD has no body");
    assert!(head.header("content-length").unwrap().parse::<usize>().unwrap() > 0, "{head:?}");

    let answer = node.request("DELETE", "/info");
    assert_eq!(answer.status, 405, "{answer:?}");
    assert_eq!(answer.header("allow"), Some("GET, HEAD, POST"));
}

#[test]
fn unknown_paths_are_404_with_the_endpoint_list() {
    let node = AdminNode::start();
    let answer = node.get("/nope?x=1");
    assert_eq!(answer.status, 404, "{answer:?}");
    assert!(answer.body.contains("'/nope'") && answer.body.contains("/cluster_describe"), "{answer:?}");
    let help = node.get("/help").body;
    for endpoint in ["/get_timeout_factor", "/setloglevel/", "/historeset", "/metrics", "/ring"] {
        assert!(help.contains(endpoint), "{endpoint}: {help}");
    }
}

#[test]
fn node_states_refuse_what_c_dynomite_refuses() {
    let node = AdminNode::start();
    let mut client = node.client();
    assert_eq!(client.command(&["SET", "k", "v"]).unwrap(), b"+OK\r\n");
    let refused = "-ERR Dynomite: Dynomite's current state does not allow this request\r\n";
    let text = |reply: Vec<u8>| String::from_utf8_lossy(&reply).into_owned();
    assert_eq!(node.get("/state/get_state").body, "State: NORMAL\n");
    // STANDBY: nothing (reads, writes, admin commands) but what the node answers itself.
    assert_eq!(node.get("/state/standby").status, 200);
    assert_eq!(node.get("/state/get_state").body, "State: STANDBY\n");
    assert_eq!(text(client.command(&["GET", "k"]).unwrap()), refused);
    assert_eq!(text(client.command(&["SET", "k", "w"]).unwrap()), refused);
    assert_eq!(text(client.command(&["DBSIZE"]).unwrap()), refused);
    assert_eq!(client.command(&["PING"]).unwrap(), b"+PONG\r\n");
    assert!(node.get("/info").body.contains("\"state\":\"STANDBY\""));
    // WRITES_ONLY and RESUMING: writes pass, reads are refused.
    for state in ["writes_only", "resuming"] {
        assert_eq!(node.get(&format!("/state/{state}")).status, 200);
        assert_eq!(node.get("/state/get_state").body, format!("State: {}\n", state.to_ascii_uppercase()));
        assert_eq!(client.command(&["SET", "k", state]).unwrap(), b"+OK\r\n", "{state}");
        assert_eq!(text(client.command(&["GET", "k"]).unwrap()), refused, "{state}");
    }
    // NORMAL again: the writes made meanwhile are there.
    assert_eq!(node.get("/state/normal").status, 200);
    assert_eq!(client.command(&["GET", "k"]).unwrap(), b"$8\r\nresuming\r\n");
    let answer = node.get("/state/sleepy");
    assert_eq!(answer.status, 400, "{answer:?}");
}

#[test]
fn malformed_requests_get_400_and_the_server_keeps_serving() {
    let node = AdminNode::start();
    let answer = node.raw(b"garbage\r\n\r\n");
    assert_eq!(answer.status, 400, "{answer:?}");
    let answer = node.raw(b"GET /info HTTP/9.9\r\n\r\n");
    assert!(answer.status >= 400, "{answer:?}");

    // A request head beyond the 8 KiB buffer is refused, not buffered without bound. The server may
    // close with our bytes unread, so the kernel can reset the connection before we read the 431.
    let huge = format!("GET /info HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n", "a".repeat(64 * 1024));
    if let Ok(answer) = node.try_raw(huge.as_bytes()) {
        assert!(answer.status == 431 || answer.status == 400, "{answer:?}");
    }

    // A client that connects and says nothing does not block others.
    let _silent = TcpStream::connect(("127.0.0.1", node.admin_port)).unwrap();
    assert_eq!(node.get("/ping").body, "OK\r\n");
    assert_eq!(node.get("/info").json()["service"], "dynomite");
}

#[test]
fn with_admin_token_only_the_endpoints_that_change_the_node_need_it() {
    let node = AdminNode::start_with("  admin_token: s3cret-token\n");
    for path in [
        "/set_consistency/read/dc_quorum",
        "/peer/down/all",
        "/read_repairs/disable",
        "/repair/start",
        "/state/standby",
        "/set_timeout_factor/2",
        "/setloglevel/7",
        "/loglevelup",
        "/logleveldown",
        "/historeset",
    ] {
        let refused = node.get(path);
        assert_eq!(refused.status, 401, "{path} without the token: {refused:?}");
        assert!(refused.body.contains("admin_token"), "{}", refused.body);
        let wrong = node
            .raw(format!("GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n\r\n").as_bytes());
        assert_eq!(wrong.status, 401, "{path} with a wrong token");
    }
    let bearer = node.raw(b"GET /set_consistency/read/dc_quorum HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\n\r\n");
    assert_eq!(bearer.status, 200, "{bearer:?}");
    assert_eq!(node.get("/set_consistency/write/dc_quorum?token=s3cret-token").status, 200);
    let levels = node.get("/get_consistency");
    assert_eq!(levels.status, 200, "reading needs no token");
    assert!(levels.body.to_ascii_lowercase().contains("dc_quorum"), "{}", levels.body);
    for path in [
        "/info",
        "/cluster_describe",
        "/ping",
        "/help",
        "/repair/status",
        "/get_timeout_factor",
        "/metrics",
        "/ring",
        "/state/get_state",
    ] {
        assert_eq!(node.get(path).status, 200, "{path} reads only");
    }
    assert_eq!(
        node.get("/get_timeout_factor").body,
        "Timeout factor: 1\n",
        "refused changes changed nothing"
    );
    assert_eq!(node.get("/state/get_state").body, "State: NORMAL\n");
    assert_eq!(node.get("/info").json()["log_level"], 4);
    let factor = node.get("/set_timeout_factor/2?token=s3cret-token");
    assert_eq!((factor.status, factor.body.as_str()), (200, "OK\r\n"));
    assert_eq!(node.get("/get_timeout_factor").body, "Timeout factor: 2\n");
}

#[test]
fn with_requirepass_clients_must_authenticate_like_redis() {
    let node = AdminNode::start_with("  requirepass: pw\n");
    let mut client = node.client();
    let noauth = "-NOAUTH Authentication required.\r\n";
    for command in [
        &["GET", "k"][..],
        &["PING"],
        &["INFO"],
        &["CLIENT", "ID"],
        &["COMMAND", "COUNT"],
        &["DYNO_CONFIG:CONN_CONSISTENCY", "dc_one"],
        &["FLUSHALL"],
    ] {
        assert_eq!(String::from_utf8_lossy(&client.command(command).unwrap()), noauth, "{command:?}");
    }
    let wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    assert_eq!(String::from_utf8_lossy(&client.command(&["AUTH", "nope"]).unwrap()), wrongpass);
    assert_eq!(String::from_utf8_lossy(&client.command(&["AUTH", "alice", "pw"]).unwrap()), wrongpass);
    assert_eq!(String::from_utf8_lossy(&client.command(&["GET", "k"]).unwrap()), noauth, "still locked");
    assert_eq!(client.command(&["AUTH", "pw"]).unwrap(), b"+OK\r\n");
    assert_eq!(client.command(&["SET", "k", "v"]).unwrap(), b"+OK\r\n");
    assert_eq!(client.command(&["GET", "k"]).unwrap(), b"$1\r\nv\r\n");
    // RESET deauthenticates, as in Redis.
    assert_eq!(client.command(&["RESET"]).unwrap(), b"+RESET\r\n");
    assert_eq!(String::from_utf8_lossy(&client.command(&["GET", "k"]).unwrap()), noauth);
    // HELLO 3 AUTH default <password> authenticates and switches protocol in one step.
    let hello = client.command(&["HELLO", "3", "AUTH", "default", "pw"]).unwrap();
    assert!(hello.starts_with(b"%"), "a RESP3 map: {}", String::from_utf8_lossy(&hello));
    assert_eq!(client.command(&["GET", "k"]).unwrap(), b"$1\r\nv\r\n");
    // QUIT is allowed before AUTH.
    let mut fresh = node.client();
    assert_eq!(fresh.command(&["QUIT"]).unwrap(), b"+OK\r\n");
    // redis-cli, as a user would run it.
    let redis_cli = |args: &[&str]| {
        let port = node.client_port.to_string();
        let output =
            Command::new("redis-cli").args(["-p", &port]).args(args).output().expect("redis-cli runs");
        String::from_utf8_lossy(&output.stdout).trim().to_string() + &String::from_utf8_lossy(&output.stderr)
    };
    assert!(redis_cli(&["get", "k"]).contains("NOAUTH Authentication required."));
    assert_eq!(redis_cli(&["--no-auth-warning", "-a", "pw", "get", "k"]), "v");
    assert!(
        redis_cli(&["--no-auth-warning", "-a", "wrong", "get", "k"]).contains("WRONGPASS")
            || redis_cli(&["--no-auth-warning", "-a", "wrong", "get", "k"]).contains("AUTH failed")
    );
}

/// A datastore that accepts connections and never answers; returns its port.
fn silent_datastore() -> u16 {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a silent datastore");
    let port = silent.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

#[test]
fn timeout_factor_multiplies_the_timeout_of_client_requests() {
    let datastore = format!("  data_store: 0\n  servers:\n  - 127.0.0.1:{}:1\n", silent_datastore());
    let node = AdminNode::start_setup(&Setup { datastore: &datastore, timeout_ms: 200, ..Setup::default() });
    assert_eq!(node.get("/get_timeout_factor").body, "Timeout factor: 1\n");
    let mut client = node.client();
    let reply = String::from_utf8_lossy(&client.command(&["GET", "k"]).unwrap()).into_owned();
    assert!(reply.contains("did not reply within 200 ms"), "{reply}");

    let answer = node.get("/set_timeout_factor/4");
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK\r\n"));
    assert_eq!(node.get("/get_timeout_factor").body, "Timeout factor: 4\n");
    assert_eq!(node.get("/info").json()["timeout_factor"], 4);
    // The connection opened before the change waits 4 x 200 ms now (a timer never fires early).
    let started = Instant::now();
    let reply = String::from_utf8_lossy(&client.command(&["GET", "k"]).unwrap()).into_owned();
    assert!(reply.contains("did not reply within 800 ms"), "{reply}");
    assert!(started.elapsed() >= Duration::from_millis(800), "answered after {:?}", started.elapsed());

    for bad in ["abc", "0", "11", "2.5"] {
        let answer = node.get(&format!("/set_timeout_factor/{bad}"));
        assert_eq!(answer.status, 400, "{bad}: {answer:?}");
        assert!(
            answer.body.contains(&format!("'{bad}'")) && answer.body.contains("from 1 to 10"),
            "{answer:?}"
        );
    }
    assert_eq!(node.get("/set_timeout_factor").status, 400);
    assert_eq!(node.get("/get_timeout_factor").body, "Timeout factor: 4\n", "bad values change nothing");
    assert_eq!(node.get("/set_timeout_factor/1").status, 200);
    let reply = String::from_utf8_lossy(&client.command(&["GET", "k"]).unwrap()).into_owned();
    assert!(reply.contains("did not reply within 200 ms"), "{reply}");
}

#[test]
fn log_level_changes_what_the_node_logs() {
    let node = AdminNode::start();
    // Each admin request is logged at debug level (verbosity 7); the node starts at 4 (warnings).
    let admin_requests = || node.log().matches("admin request").count();
    assert_eq!(node.get("/info").json()["log_level"], 4);
    assert_eq!(node.get("/ping").status, 200);
    assert_eq!(admin_requests(), 0, "{}", node.log());

    let answer = node.get("/setloglevel/7");
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK\r\n"));
    assert_eq!(node.get("/info").json()["log_level"], 7);
    let before = admin_requests();
    assert!(before >= 1, "the /info request was logged: {}", node.log());
    assert_eq!(node.get("/ping").status, 200);
    assert_eq!(admin_requests(), before + 1, "{}", node.log());

    // Down to 6 (info): debug lines stop; up to 7 again: they come back.
    assert_eq!(node.get("/logleveldown").body, "OK\r\n");
    assert_eq!(node.get("/info").json()["log_level"], 6);
    let before = admin_requests();
    assert_eq!(node.get("/ping").status, 200);
    assert_eq!(admin_requests(), before, "{}", node.log());
    assert_eq!(node.get("/loglevelup").body, "OK\r\n");
    assert_eq!(node.get("/info").json()["log_level"], 7);
    let before = admin_requests();
    assert_eq!(node.get("/ping").status, 200);
    assert_eq!(admin_requests(), before + 1, "{}", node.log());

    // The scale ends at 11 and 0, as in C.
    assert_eq!(node.get("/setloglevel/11").status, 200);
    assert_eq!(node.get("/loglevelup").status, 200);
    assert_eq!(node.get("/info").json()["log_level"], 11);
    for bad in ["12", "loud", "-1"] {
        let answer = node.get(&format!("/setloglevel/{bad}"));
        assert_eq!(answer.status, 400, "{bad}: {answer:?}");
        assert!(answer.body.contains("from 0"), "{answer:?}");
    }
    assert_eq!(node.get("/setloglevel/0").status, 200);
    assert_eq!(node.get("/logleveldown").status, 200);
    assert_eq!(node.get("/info").json()["log_level"], 0);
}

#[test]
fn info_has_c_histograms_and_historeset_empties_them() {
    let node = AdminNode::start();
    let mut client = node.client();
    let value = "v".repeat(100);
    for index in 0..10 {
        assert_eq!(client.command(&["SET", &format!("key{index}"), &value]).unwrap(), b"+OK\r\n");
    }
    // One write of 3 + 6 + 1000 bytes of arguments, the largest.
    assert_eq!(client.command(&["SET", "bigkey", &"w".repeat(1000)]).unwrap(), b"+OK\r\n");
    for index in 0..5 {
        assert_eq!(client.command(&["GET", &format!("key{index}")]).unwrap()[0], b'$');
    }
    assert_eq!(client.command(&["NOSUCHCOMMAND"]).unwrap()[0], b'-');

    let info = node.get("/info").json();
    assert_eq!(info["payload_size_max"], 1009, "{info}");
    // Ten writes of SET + key? (4 bytes) + 100 and one of 1009: mean (10 * 107 + 1009) / 11 = 189.
    assert_eq!(info["payload_size_mean"], (10 * 107 + 1009) / 11, "{info}");
    for name in ["latency_max", "latency_999th", "latency_99th", "latency_95th", "latency_mean"] {
        assert!(info[name].is_u64(), "{name}: {info}");
    }
    let latency = |name: &str| info[name].as_u64().unwrap();
    assert!(latency("latency_max") >= latency("latency_999th"), "{info}");
    assert!(latency("latency_999th") >= latency("latency_99th"), "{info}");
    assert!(latency("latency_99th") >= latency("latency_95th"), "{info}");
    assert!(latency("latency_max") >= latency("latency_mean"), "{info}");
    for name in
        ["average_cross_region_rtt", "99_cross_zone_latency", "average_server_latency", "client_out_queue_99"]
    {
        assert!(info[name].is_u64(), "{name}: {info}");
    }
    let pool = &info["dyn_o_mite"];
    assert_eq!(pool["client_write_requests"], 11, "{info}");
    assert_eq!(pool["client_read_requests"], 5, "{info}");
    assert_eq!(pool["client_other_requests"], 1, "{info}");
    assert_eq!(pool["client_error_responses"], 1, "{info}");
    assert_eq!(pool["embedded"]["server_replies"], 16, "the datastore answered every read and write: {info}");

    let answer = node.get("/historeset");
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK\r\n"));
    let info = node.get("/info").json();
    for name in ["payload_size_max", "payload_size_mean", "latency_max", "latency_mean", "latency_99th"] {
        assert_eq!(info[name], 0, "{name} after /historeset: {info}");
    }
    assert_eq!(info["dyn_o_mite"]["embedded"]["server_replies"], 0, "{info}");
    assert_eq!(info["dyn_o_mite"]["client_write_requests"], 11, "counters keep counting, as in C");
}

#[test]
fn metrics_serve_prometheus_text() {
    let node = AdminNode::start();
    let mut client = node.client();
    assert_eq!(client.command(&["SET", "k", "v"]).unwrap(), b"+OK\r\n");
    assert_eq!(client.command(&["GET", "k"]).unwrap(), b"$1\r\nv\r\n");
    assert_eq!(client.command(&["NOSUCHCOMMAND"]).unwrap()[0], b'-');
    let answer = node.get("/metrics");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let body = &answer.body;
    for line in [
        "dynomite_client_requests_total{class=\"write\",outcome=\"ok\"} 1",
        "dynomite_client_requests_total{class=\"read\",outcome=\"ok\"} 1",
        "dynomite_client_requests_total{class=\"other\",outcome=\"error\"} 1",
        "dynomite_quorum_failures_total 0",
        "dynomite_client_request_latency_us_count 3",
        "dynomite_client_write_payload_bytes_sum 5",
        "# TYPE dynomite_cross_dc_latency_us histogram",
        "# TYPE dynomite_cross_rack_latency_us histogram",
        "# TYPE dynomite_datastore_latency_us histogram",
        "# TYPE dynomite_client_queue_depth histogram",
    ] {
        assert!(body.lines().any(|sample| sample == line), "no '{line}' in:\n{body}");
    }
    let seed = format!("127.0.0.1:{}", node.seed_port);
    let peer_up = format!("dynomite_peer_up{{peer=\"{seed}\",dc=\"dc2\",rack=\"rack1\"}} 0");
    assert!(body.lines().any(|sample| sample == peer_up), "{body}");
    assert!(body.contains("dynomite_client_connections_open 1\n"), "{body}");
}

#[test]
fn ring_lists_every_node_with_its_share_and_state() {
    let node = AdminNode::start();
    let ring = node.get("/ring").json();
    let nodes = ring["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2, "{ring}");
    let local = nodes.iter().find(|entry| entry["local"] == true).unwrap();
    assert_eq!((local["dc"].as_str(), local["rack"].as_str()), (Some("dc1"), Some("rack1")));
    assert_eq!(local["state"], "NORMAL");
    assert_eq!(local["ring_share"], 1.0, "the only node of its rack owns the whole ring");
    assert_eq!(local["tokens"], serde_json::json!([0]));
    let remote = nodes.iter().find(|entry| entry["local"] == false).unwrap();
    assert_eq!(remote["name"], format!("127.0.0.1:{}", node.seed_port));
    assert_eq!(remote["state"], "UNREACHABLE", "{ring}");
    assert!(remote["latency_us"].is_null(), "{ring}");
    assert_eq!(node.get("/peer/down/all").status, 200);
    let ring = node.get("/ring").json();
    let remote =
        ring["nodes"].as_array().unwrap().iter().find(|entry| entry["local"] == false).unwrap().clone();
    assert_eq!(remote["state"], "DOWN", "{ring}");
    assert_eq!(node.get("/state/writes_only").status, 200);
    let ring = node.get("/ring").json();
    let local =
        ring["nodes"].as_array().unwrap().iter().find(|entry| entry["local"] == true).unwrap().clone();
    assert_eq!(local["state"], "WRITES_ONLY", "{ring}");
}
