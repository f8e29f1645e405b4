//! Client TLS (`client_tls_listen`): the `dynomite` binary in front of a real `redis-server`, with
//! certificates generated here by rcgen. `redis-cli --tls` works against the TLS port and `requirepass`
//! applies there too; a plain-text client on the TLS port reads a refusal and the node keeps serving;
//! `client_tls_ca_file` makes client certificates mandatory; SIGHUP swaps the certificate for new
//! connections while an open one keeps working, and a broken file on reload keeps the old certificate.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use dynomite_testkit::{free_port, RedisServer, RespConn};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

mod cluster;
use cluster::{deadline_in, poll_until, show};

/// Attempts at starting a node with fresh ports.
const START_ATTEMPTS: usize = 5;
/// Bound on waiting for a node to listen or to log a reload; a healthy run takes milliseconds.
const WAIT_MS: u64 = 20_000;
/// Read timeout of the test's own TLS connections.
const READ_TIMEOUT_MS: u64 = 10_000;

/// A directory of PEM files, removed on drop.
struct Pki {
    dir: PathBuf,
}

/// A certificate authority that signs the test's certificates.
struct Authority {
    certificate: rcgen::Certificate,
    key: KeyPair,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("dynomite-client-tls-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Pki { dir }
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().into_owned()
    }

    /// A CA whose certificate is written to `{name}.pem`.
    fn authority(&self, name: &str) -> Authority {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let certificate = params.self_signed(&key).unwrap();
        std::fs::write(self.path(&format!("{name}.pem")), certificate.pem()).unwrap();
        Authority { certificate, key }
    }

    /// A certificate signed by `authority` for `purpose`, written to `{name}.crt` and `{name}.key`
    /// (through a rename, so a node reloading meanwhile never reads half a file); returns its DER.
    fn issue(&self, name: &str, authority: &Authority, purpose: ExtendedKeyUsagePurpose) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.subject_alt_names.push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        params.extended_key_usages = vec![purpose];
        let certificate = params.signed_by(&key, &authority.certificate, &authority.key).unwrap();
        self.replace(&format!("{name}.crt"), certificate.pem().as_bytes());
        self.replace(&format!("{name}.key"), key.serialize_pem().as_bytes());
        certificate.der().to_vec()
    }

    fn replace(&self, file: &str, contents: &[u8]) {
        let staging = self.path(&format!("{file}.new"));
        std::fs::write(&staging, contents).unwrap();
        std::fs::rename(&staging, self.path(file)).unwrap();
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `dynomite` process with a client TLS listener, logging to a file; killed on drop.
struct TlsNode {
    child: Child,
    port: u16,
    tls_port: u16,
    log_path: PathBuf,
    config_path: PathBuf,
}

impl TlsNode {
    /// Starts a node in front of Redis on `redis_port` serving TLS with `server.crt`/`server.key` of
    /// `pki`, plus `extra` configuration lines.
    fn start(pki: &Pki, redis_port: u16, extra: &str) -> TlsNode {
        for _ in 0..START_ATTEMPTS {
            if let Some(node) = TlsNode::try_start(pki, redis_port, extra) {
                return node;
            }
        }
        panic!("dynomite did not start after {START_ATTEMPTS} attempts with fresh ports");
    }

    fn try_start(pki: &Pki, redis_port: u16, extra: &str) -> Option<TlsNode> {
        let (port, tls_port) = (free_port(), free_port());
        let config = format!(
            "dyn_o_mite:\n  listen: 127.0.0.1:{port}\n  dyn_listen: 127.0.0.1:{}\n  stats_listen: 127.0.0.1:{}\n  \
             servers:\n  - 127.0.0.1:{redis_port}:1\n  tokens: '0'\n  client_tls_listen: 127.0.0.1:{tls_port}\n  \
             client_tls_cert_file: {}\n  client_tls_key_file: {}\n{extra}",
            free_port(),
            free_port(),
            pki.path("server.crt"),
            pki.path("server.key"),
        );
        let config_path = pki.dir.join(format!("dynomite-{port}.yml"));
        let log_path = pki.dir.join(format!("dynomite-{port}.log"));
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_dynomite"))
            .arg("-c")
            .arg(&config_path)
            .arg("-o")
            .arg(&log_path)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dynomite");
        let mut node = TlsNode { child, port, tls_port, log_path, config_path };
        let deadline = deadline_in(WAIT_MS);
        // PING on the plain port is answered (PONG, or NOAUTH with requirepass) once every listener,
        // the TLS one included, is bound (probing the TLS port would count a failed handshake).
        let ready = poll_until(deadline, || {
            matches!(node.child.try_wait(), Ok(Some(_)))
                || RespConn::connect(node.port)
                    .and_then(|mut connection| connection.command(&["PING"]))
                    .is_ok()
        });
        assert!(ready, "dynomite did not answer on {} in time", node.port);
        match node.child.try_wait() {
            Ok(Some(status)) => {
                eprintln!("dynomite exited during startup ({status}); retrying with fresh ports");
                None
            }
            _ => Some(node),
        }
    }

    fn hangup(&self) {
        let status = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -HUP failed");
    }

    /// Waits until the log holds `count` lines containing `text`.
    fn wait_for_log(&self, text: &str, count: usize) {
        let found = poll_until(deadline_in(WAIT_MS), || {
            let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
            log.lines().filter(|line| line.contains(text)).count() >= count
        });
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        assert!(found, "the log never showed {count} x {text:?}:\n{log}");
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for TlsNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config_path);
    }
}

/// Runs `redis-cli -h 127.0.0.1 -p port` with `args`; Debian's redis-tools is built with TLS.
fn redis_cli(port: u16, args: &[&str]) -> Output {
    Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("redis-cli must be installed (apt-get install redis-tools)")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn describe(output: &Output) -> String {
    format!(
        "status {}, stdout {:?}, stderr {:?}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A blocking TLS client connection (rustls) trusting the CA in `ca_file`.
struct TlsClient {
    stream: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

impl TlsClient {
    fn connect(port: u16, ca_file: &str) -> std::io::Result<TlsClient> {
        let mut roots = rustls::RootCertStore::empty();
        for certificate in CertificateDer::pem_file_iter(ca_file).unwrap() {
            roots.add(certificate.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let server_name = ServerName::try_from("localhost").unwrap();
        let connection = rustls::ClientConnection::new(Arc::new(config), server_name).unwrap();
        let socket = TcpStream::connect(("127.0.0.1", port))?;
        socket.set_read_timeout(Some(Duration::from_millis(READ_TIMEOUT_MS)))?;
        let mut stream = rustls::StreamOwned::new(connection, socket);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(TlsClient { stream })
    }

    /// The DER of the certificate the server presented.
    fn server_certificate(&self) -> Vec<u8> {
        self.stream.conn.peer_certificates().expect("server certificate")[0].to_vec()
    }

    /// Sends a PING and returns the reply line.
    fn ping(&mut self) -> String {
        self.stream.write_all(b"PING\r\n").unwrap();
        self.stream.flush().unwrap();
        let mut reply = Vec::new();
        let mut byte = [0u8; 1];
        while !reply.ends_with(b"\r\n") {
            let read = self.stream.read(&mut byte).unwrap();
            assert_eq!(read, 1, "connection closed after {:?}", show(&reply));
            reply.push(byte[0]);
        }
        show(&reply)
    }
}

fn server_pki(tag: &str) -> (Pki, Authority) {
    let pki = Pki::new(tag);
    let authority = pki.authority("ca");
    pki.issue("server", &authority, ExtendedKeyUsagePurpose::ServerAuth);
    (pki, authority)
}

#[test]
fn redis_cli_over_tls_with_requirepass() {
    let redis = RedisServer::start();
    // `requirepass` is also the password the node gives the datastore (C Dynomite's meaning).
    let mut datastore = RespConn::connect(redis.port()).unwrap();
    assert_eq!(datastore.command(&["CONFIG", "SET", "requirepass", "tls-secret"]).unwrap(), b"+OK\r\n");
    let (pki, _authority) = server_pki("requirepass");
    let node = TlsNode::start(&pki, redis.port(), "  requirepass: tls-secret\n");
    let ca = pki.path("ca.pem");
    let tls = ["--tls", "--cacert", ca.as_str()];

    let unauthenticated = redis_cli(node.tls_port, &[&tls[..], &["get", "k"]].concat());
    assert!(stdout(&unauthenticated).contains("NOAUTH"), "{}", describe(&unauthenticated));
    let set = redis_cli(
        node.tls_port,
        &[&tls[..], &["-a", "tls-secret", "--no-auth-warning", "set", "k", "v"]].concat(),
    );
    assert_eq!(stdout(&set), "OK", "{}", describe(&set));
    let get = redis_cli(
        node.tls_port,
        &[&tls[..], &["-a", "tls-secret", "--no-auth-warning", "get", "k"]].concat(),
    );
    assert_eq!(stdout(&get), "v", "{}", describe(&get));

    // The write went through the node to the real datastore, and the plain port still serves.
    assert_eq!(datastore.command(&["GET", "k"]).unwrap(), b"$1\r\nv\r\n");
    let plain = redis_cli(node.port, &["-a", "tls-secret", "--no-auth-warning", "get", "k"]);
    assert_eq!(stdout(&plain), "v", "{}", describe(&plain));
}

#[test]
fn plain_text_client_on_the_tls_port_is_refused_and_the_node_keeps_serving() {
    let redis = RedisServer::start();
    let (pki, _authority) = server_pki("plain");
    let mut node = TlsNode::start(&pki, redis.port(), "");

    let mut plain = RespConn::connect(node.tls_port).unwrap();
    let reply = plain.command(&["PING"]).unwrap();
    assert!(
        show(&reply).starts_with("-ERR this port (client_tls_listen) accepts TLS connections only"),
        "{}",
        show(&reply)
    );
    let cli = redis_cli(node.tls_port, &["ping"]);
    assert!(stdout(&cli).contains("accepts TLS connections only"), "{}", describe(&cli));

    // A client that opens a TLS handshake and vanishes, and one trusting another CA: refused too.
    let mut half = TcpStream::connect(("127.0.0.1", node.tls_port)).unwrap();
    half.write_all(&[0x16, 0x03, 0x01]).unwrap();
    drop(half);
    let other = Pki::new("plain-other");
    other.authority("other");
    assert!(TlsClient::connect(node.tls_port, &other.path("other.pem")).is_err());

    assert!(node.is_running());
    let ping = redis_cli(node.tls_port, &["--tls", "--cacert", &pki.path("ca.pem"), "ping"]);
    assert_eq!(stdout(&ping), "PONG", "{}", describe(&ping));
    // Two plain-text clients, the vanished handshake and the untrusting client: each counted once
    // the node has seen its connection fail (the last two asynchronously).
    let mut admin = RespConn::connect(node.port).unwrap();
    let counted = poll_until(deadline_in(WAIT_MS), || handshake_failures(&mut admin) == 4);
    assert!(counted, "tls_handshake_failures:{}", handshake_failures(&mut admin));
}

/// `tls_handshake_failures` from the node's `INFO`.
fn handshake_failures(connection: &mut RespConn) -> u64 {
    let info = connection.command(&["INFO"]).unwrap();
    let text = String::from_utf8_lossy(&info).into_owned();
    let value = text.lines().find_map(|line| line.strip_prefix("tls_handshake_failures:"));
    value.expect("INFO shows tls_handshake_failures").trim().parse().unwrap()
}

#[test]
fn client_tls_ca_file_requires_a_client_certificate() {
    let redis = RedisServer::start();
    let (pki, authority) = server_pki("mutual");
    pki.issue("client", &authority, ExtendedKeyUsagePurpose::ClientAuth);
    let rogue = pki.authority("rogue");
    pki.issue("stranger", &rogue, ExtendedKeyUsagePurpose::ClientAuth);
    let node = TlsNode::start(&pki, redis.port(), &format!("  client_tls_ca_file: {}\n", pki.path("ca.pem")));
    let ca = pki.path("ca.pem");

    let anonymous = redis_cli(node.tls_port, &["--tls", "--cacert", &ca, "ping"]);
    assert_ne!(stdout(&anonymous), "PONG", "{}", describe(&anonymous));
    let (stranger_crt, stranger_key) = (pki.path("stranger.crt"), pki.path("stranger.key"));
    let stranger = redis_cli(
        node.tls_port,
        &["--tls", "--cacert", &ca, "--cert", &stranger_crt, "--key", &stranger_key, "ping"],
    );
    assert_ne!(stdout(&stranger), "PONG", "{}", describe(&stranger));
    let (client_crt, client_key) = (pki.path("client.crt"), pki.path("client.key"));
    let member = redis_cli(
        node.tls_port,
        &["--tls", "--cacert", &ca, "--cert", &client_crt, "--key", &client_key, "ping"],
    );
    assert_eq!(stdout(&member), "PONG", "{}", describe(&member));
}

#[test]
fn sighup_reloads_the_certificate_for_new_connections() {
    let redis = RedisServer::start();
    let (pki, _first_authority) = server_pki("reload");
    let first_ca = pki.path("ca.pem");
    let mut node = TlsNode::start(&pki, redis.port(), "");
    let mut open = TlsClient::connect(node.tls_port, &first_ca).unwrap();
    assert_eq!(open.ping(), "+PONG\\r\\n");

    let second_authority = pki.authority("second-ca");
    let second_certificate = pki.issue("server", &second_authority, ExtendedKeyUsagePurpose::ServerAuth);
    node.hangup();
    node.wait_for_log("client TLS certificate reloaded", 1);

    let mut fresh = TlsClient::connect(node.tls_port, &pki.path("second-ca.pem")).unwrap();
    assert_eq!(fresh.server_certificate(), second_certificate);
    assert_eq!(fresh.ping(), "+PONG\\r\\n");
    assert!(TlsClient::connect(node.tls_port, &first_ca).is_err(), "the old certificate is still served");
    assert_eq!(open.ping(), "+PONG\\r\\n", "the connection opened before the reload keeps working");

    // A broken certificate file: the reload fails, says why, and the last good certificate stays.
    std::fs::write(pki.path("server.crt"), "not a certificate").unwrap();
    node.hangup();
    node.wait_for_log("client TLS reload failed", 1);
    let mut after = TlsClient::connect(node.tls_port, &pki.path("second-ca.pem")).unwrap();
    assert_eq!(after.server_certificate(), second_certificate);
    assert_eq!(after.ping(), "+PONG\\r\\n");
    assert!(node.is_running());
    let log = std::fs::read_to_string(&node.log_path).unwrap();
    assert!(
        log.contains(&format!(
            "client_tls_cert_file: {} contains no PEM certificate",
            pki.path("server.crt")
        )),
        "{log}"
    );
}

#[test]
fn bad_certificate_files_stop_the_node_with_the_key_named() {
    let pki = Pki::new("bad-files");
    std::fs::write(pki.path("server.crt"), "garbage").unwrap();
    std::fs::write(pki.path("server.key"), "garbage").unwrap();
    let config_path = pki.dir.join("bad.yml");
    let config = format!(
        "dyn_o_mite:\n  listen: 127.0.0.1:{}\n  servers:\n  - 127.0.0.1:6379:1\n  tokens: '0'\n  \
         client_tls_listen: 127.0.0.1:{}\n  client_tls_cert_file: {}\n  client_tls_key_file: {}\n",
        free_port(),
        free_port(),
        pki.path("server.crt"),
        pki.path("server.key")
    );
    std::fs::write(&config_path, config).unwrap();
    let output =
        Command::new(env!("CARGO_BIN_EXE_dynomite")).arg("-t").arg("-c").arg(&config_path).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "client_tls_cert_file: {} contains no PEM certificate",
            pki.path("server.crt")
        )),
        "{stderr}"
    );
    assert!(Path::new(&pki.path("server.crt")).exists());
}
