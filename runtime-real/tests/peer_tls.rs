//! Peer TLS: a connector and an acceptor built from PEM files (a CA and node certificates generated
//! here with rcgen) exchange a `Hello` frame over mutual TLS; the TLS-capable acceptor still takes
//! plain links (except under `secure_server_option: all`); an untrusted certificate is refused;
//! `connector_for` encrypts exactly the links `secure_server_option` names; setup errors name the file.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dynomite::peer::stream::{
    acceptor, connector_for, placement_link_is_encrypted, Acceptor, Connector, PeerStream, Transport,
};
use dynomite_core::config::{Config, Endpoint, SecureServerOption};
use dynomite_core::peer::{self, NodeIdentity, PeerMessage, PEER_PROTOCOL_VERSION};
use dynomite_core::ring::{NodeId, PeerNode};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Hang guard for one exchange; a healthy run takes milliseconds.
const EXCHANGE_TIMEOUT_SECONDS: u64 = 30;

/// Largest number of reads to receive one frame.
const FRAME_READS_MAX: usize = 64;

/// A directory of PEM files: a trusted CA, a node certificate it signs, and a "rogue" node whose
/// certificate is signed by another CA.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("dynomite-peer-tls-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pki = Pki { dir };
        let (trusted_ca, trusted_ca_key) = certificate_authority("dynomite test CA");
        std::fs::write(pki.path("ca.pem"), trusted_ca.pem()).unwrap();
        pki.write_node("node", &trusted_ca, &trusted_ca_key);
        let (rogue_ca, rogue_ca_key) = certificate_authority("rogue CA");
        pki.write_node("rogue", &rogue_ca, &rogue_ca_key);
        pki
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().into_owned()
    }

    fn write_node(&self, name: &str, ca: &rcgen::Certificate, ca_key: &KeyPair) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["dynomite-peer".to_string()]).unwrap();
        params.extended_key_usages =
            vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let certificate = params.signed_by(&key, ca, ca_key).unwrap();
        std::fs::write(self.path(&format!("{name}.crt")), certificate.pem()).unwrap();
        std::fs::write(self.path(&format!("{name}.key")), key.serialize_pem()).unwrap();
    }

    /// A configuration using `identity`'s certificate and key, trusting the test CA.
    fn config(&self, option: SecureServerOption, identity: &str) -> Config {
        let mut config = Config::embedded_default(dynomite_testkit::free_port());
        config.secure_server_option = option;
        config.pem_cert_file = Some(self.path(&format!("{identity}.crt")));
        config.pem_key_file = self.path(&format!("{identity}.key"));
        config.ca_file = Some(self.path("ca.pem"));
        config
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn certificate_authority(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    (params.self_signed(&key).unwrap(), key)
}

fn node(datacenter: &str, rack: &str) -> PeerNode {
    PeerNode {
        id: NodeId(0),
        address: Endpoint::new("127.0.0.1", 8101),
        datacenter: datacenter.to_string(),
        rack: rack.to_string(),
        tokens: vec![0],
        is_local: false,
    }
}

fn run<T>(future: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        tokio::time::timeout(Duration::from_secs(EXCHANGE_TIMEOUT_SECONDS), future)
            .await
            .expect("exchange finished")
    })
}

fn hello() -> PeerMessage {
    let node = NodeIdentity {
        datacenter: "dc1".to_string(),
        rack: "r1".to_string(),
        address: "127.0.0.1:8101".to_string(),
        tokens: vec![7],
    };
    PeerMessage::Hello {
        version: PEER_PROTOCOL_VERSION,
        node,
        nonce: Bytes::from_static(&[1; 32]),
        proof: Bytes::new(),
    }
}

async fn read_message(stream: &mut PeerStream) -> std::io::Result<PeerMessage> {
    let mut buffer = BytesMut::new();
    for _ in 0..FRAME_READS_MAX {
        if let Some(message) = peer::decode(&mut buffer).expect("well-formed frame") {
            return Ok(message);
        }
        if stream.read_buf(&mut buffer).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    panic!("no frame within {FRAME_READS_MAX} reads");
}

/// What each side of one exchange saw.
struct Exchange {
    /// The echo the client read back, or its first error.
    client: std::io::Result<PeerMessage>,
    /// What the server received and over which transport, or its first error.
    server: std::io::Result<(PeerMessage, Transport)>,
}

impl Exchange {
    /// The server's view, after checking that the client got the same message back.
    fn succeeded(self) -> (PeerMessage, Transport) {
        let (received, transport) = self.server.expect("server side succeeds");
        assert_eq!(self.client.expect("client side succeeds"), received, "the echo matches");
        (received, transport)
    }

    fn client_error(self) -> String {
        self.client.expect_err("client side fails").to_string()
    }

    fn server_error(self) -> std::io::Error {
        self.server.expect_err("server side fails")
    }
}

/// The client sends `Hello` and the server echoes it back.
async fn exchange_hello(connector: Connector, acceptor: Acceptor) -> Exchange {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let (mut stream, transport) = acceptor.accept_with_transport(stream).await?;
        let message = read_message(&mut stream).await?;
        let mut echo = BytesMut::new();
        peer::encode(&message, &mut echo);
        stream.write_all(&echo).await?;
        stream.flush().await?;
        Ok::<_, std::io::Error>((message, transport))
    });
    let client = async {
        let mut stream = connector.connect(&address).await?;
        let mut frame = BytesMut::new();
        peer::encode(&hello(), &mut frame);
        stream.write_all(&frame).await?;
        stream.flush().await?;
        read_message(&mut stream).await
    };
    let client = client.await;
    Exchange { client, server: server.await.expect("server task") }
}

#[test]
fn hello_travels_over_mutual_tls() {
    let pki = Pki::new("mutual");
    let config = pki.config(SecureServerOption::All, "node");
    let connector = connector_for(&config, &node("dc1", "r1"), &node("dc1", "r1")).unwrap();
    assert!(connector.is_encrypted());
    let acceptor = acceptor(&config).unwrap();
    let (received, transport) = run(exchange_hello(connector, acceptor)).succeeded();
    assert_eq!((received, transport), (hello(), Transport::Tls));
}

#[test]
fn plain_peer_still_works_against_the_tls_capable_acceptor() {
    let pki = Pki::new("plain");
    let acceptor = acceptor(&pki.config(SecureServerOption::Datacenter, "node")).unwrap();
    assert!(matches!(acceptor, Acceptor::Tls { plain_allowed: true, .. }));
    let (received, transport) = run(exchange_hello(Connector::Plain, acceptor)).succeeded();
    assert_eq!((received, transport), (hello(), Transport::Plain));
}

#[test]
fn plain_peer_is_refused_when_every_link_must_be_encrypted() {
    let pki = Pki::new("all-refuses-plain");
    let acceptor = acceptor(&pki.config(SecureServerOption::All, "node")).unwrap();
    let error = run(exchange_hello(Connector::Plain, acceptor)).server_error();
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied, "{error}");
}

#[test]
fn client_with_an_untrusted_certificate_is_rejected() {
    let pki = Pki::new("untrusted-client");
    let server_config = pki.config(SecureServerOption::All, "node");
    let rogue_config = pki.config(SecureServerOption::All, "rogue");
    let connector = connector_for(&rogue_config, &node("dc1", "r1"), &node("dc2", "r1")).unwrap();
    let acceptor = acceptor(&server_config).unwrap();
    let error = run(exchange_hello(connector, acceptor)).server_error().to_string();
    assert!(error.contains("invalid peer certificate: UnknownIssuer"), "{error}");
}

#[test]
fn server_with_an_untrusted_certificate_is_rejected() {
    let pki = Pki::new("untrusted-server");
    let client_config = pki.config(SecureServerOption::All, "node");
    let rogue_config = pki.config(SecureServerOption::All, "rogue");
    let connector = connector_for(&client_config, &node("dc1", "r1"), &node("dc2", "r1")).unwrap();
    let rogue_acceptor = acceptor(&rogue_config).unwrap();
    let error = run(exchange_hello(connector, rogue_acceptor)).client_error();
    assert!(error.contains("invalid peer certificate: UnknownIssuer"), "{error}");
}

#[test]
fn one_shared_self_signed_certificate_works_without_a_ca() {
    let pki = Pki::new("self-signed");
    let key = KeyPair::generate().unwrap();
    let certificate =
        CertificateParams::new(vec!["dynomite-peer".to_string()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(pki.path("shared.crt"), certificate.pem()).unwrap();
    std::fs::write(pki.path("shared.key"), key.serialize_pem()).unwrap();
    let mut config = pki.config(SecureServerOption::All, "shared");
    config.ca_file = None;
    let connector = connector_for(&config, &node("dc1", "r1"), &node("dc1", "r1")).unwrap();
    let (_, transport) = run(exchange_hello(connector, acceptor(&config).unwrap())).succeeded();
    assert_eq!(transport, Transport::Tls);
}

/// Which links each option encrypts, seen from a node in dc1/r1. A peer in another datacenter is in
/// another rack even when its rack has the same name, so `rack` encrypts it too.
#[test]
fn connector_for_encrypts_the_links_secure_server_option_names() {
    let pki = Pki::new("table");
    let local = node("dc1", "r1");
    let same_rack = node("dc1", "r1");
    let other_rack = node("dc1", "r2");
    let other_datacenter = node("dc2", "r1");
    // (option, same rack, other rack, other datacenter)
    let table = [
        (SecureServerOption::None, false, false, false),
        (SecureServerOption::Rack, false, true, true),
        (SecureServerOption::Datacenter, false, false, true),
        (SecureServerOption::All, true, true, true),
    ];
    for (option, expected_same_rack, expected_other_rack, expected_other_datacenter) in table {
        let config = pki.config(option, "node");
        let encrypted = |peer: &PeerNode| {
            let by_connector = connector_for(&config, &local, peer).unwrap().is_encrypted();
            let by_names = placement_link_is_encrypted(option, "dc1", "r1", &peer.datacenter, &peer.rack);
            assert_eq!(by_connector, by_names, "{option:?} towards {}/{}", peer.datacenter, peer.rack);
            by_connector
        };
        assert_eq!(
            (encrypted(&same_rack), encrypted(&other_rack), encrypted(&other_datacenter)),
            (expected_same_rack, expected_other_rack, expected_other_datacenter),
            "secure_server_option {option:?}"
        );
    }
}

#[test]
fn no_tls_configuration_means_a_plain_acceptor() {
    let config = Config::embedded_default(dynomite_testkit::free_port());
    assert!(matches!(acceptor(&config), Ok(Acceptor::Plain)));
}

fn setup_error(config: &Config) -> String {
    match acceptor(config) {
        Ok(_) => panic!("acceptor built from a broken configuration"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn missing_certificate_setting_is_named() {
    let mut config = Config::embedded_default(dynomite_testkit::free_port());
    config.secure_server_option = SecureServerOption::Rack;
    assert_eq!(
        setup_error(&config),
        "pem_cert_file must be set when secure_server_option is rack (peer TLS needs this node's certificate)"
    );
}

#[test]
fn missing_files_are_named_with_their_key() {
    let pki = Pki::new("missing");
    let mut config = pki.config(SecureServerOption::All, "node");
    config.pem_key_file = pki.path("absent.key");
    let message = setup_error(&config);
    assert!(
        message.starts_with(&format!("pem_key_file: cannot read {}: ", pki.path("absent.key"))),
        "{message}"
    );
    let mut config = pki.config(SecureServerOption::All, "node");
    config.ca_file = Some(pki.path("absent-ca.pem"));
    let message = setup_error(&config);
    assert!(
        message.starts_with(&format!("ca_file: cannot read {}: ", pki.path("absent-ca.pem"))),
        "{message}"
    );
    let mut config = pki.config(SecureServerOption::None, "node");
    config.pem_cert_file = Some(pki.path("absent.crt"));
    let message = setup_error(&config);
    assert!(
        message.starts_with(&format!("pem_cert_file: cannot read {}: ", pki.path("absent.crt"))),
        "{message}"
    );
}

#[test]
fn files_without_the_expected_pem_are_named() {
    let pki = Pki::new("wrong-content");
    let mut config = pki.config(SecureServerOption::All, "node");
    config.pem_key_file = pki.path("node.crt");
    assert_eq!(
        setup_error(&config),
        format!("pem_key_file: {} contains no PEM private key", pki.path("node.crt"))
    );
    let mut config = pki.config(SecureServerOption::All, "node");
    config.pem_cert_file = Some(pki.path("node.key"));
    assert_eq!(
        setup_error(&config),
        format!("pem_cert_file: {} contains no PEM certificate", pki.path("node.key"))
    );
    std::fs::write(pki.path("broken.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n").unwrap();
    config.pem_cert_file = Some(pki.path("broken.pem"));
    let message = setup_error(&config);
    assert!(
        message.starts_with(&format!("pem_cert_file: {} is not valid PEM: ", pki.path("broken.pem"))),
        "{message}"
    );
}

#[test]
fn key_that_does_not_match_the_certificate_is_named() {
    let pki = Pki::new("mismatch");
    let mut config = pki.config(SecureServerOption::All, "node");
    config.pem_key_file = pki.path("rogue.key");
    let message = setup_error(&config);
    let prefix =
        format!("pem_cert_file {} with pem_key_file {}: ", pki.path("node.crt"), pki.path("rogue.key"));
    assert!(message.starts_with(&prefix), "{message}");
}

#[test]
fn prefixed_stream_replays_the_byte_read_ahead() {
    let mut stream = dynomite::peer::stream::Prefixed::new(b'D', &b"YN rest"[..]);
    let mut text = Vec::new();
    run(stream.read_to_end(&mut text)).unwrap();
    assert_eq!(text, b"DYN rest");
}
