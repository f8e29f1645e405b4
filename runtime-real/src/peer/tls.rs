//! Peer TLS setup: which links `secure_server_option` encrypts, and the rustls client and server
//! configurations built from the node's PEM files.
//!
//! How the files are used (mutual TLS; both ends verify each other):
//! - `pem_key_file`: this node's private key (PKCS#8, PKCS#1 RSA or SEC1 EC, PEM).
//! - `pem_cert_file`: this node's certificate chain (PEM, leaf first). Required for TLS.
//! - `ca_file`: the CA certificates that sign every node's certificate (PEM). When absent, the
//!   certificates of `pem_cert_file` are the trust roots: a cluster whose nodes all share one
//!   self-signed certificate works without a CA.
//!
//! The server name checked is always [`PEER_SERVER_NAME`] (`dynomite-peer`), not the peer's host: seeds
//! name peers by IP address or by names that differ between datacenters, and every node of the cluster
//! is equally trusted, so a certificate proves "member of this cluster". Issue each node certificate
//! with the DNS subject alternative name `dynomite-peer` (it may carry other names too); when it has an
//! extended key usage extension, that must allow both `serverAuth` and `clientAuth`, since every node
//! is a TLS server for the links it accepts and a TLS client for the links it opens.
//!
//! The client TLS listener's configuration ([`client_server_config`], keys `client_tls_*`) is built
//! here too, from the same PEM loaders; `crate::client_tls` serves it.
//!
//! Setup happens at startup (and, for client TLS, on SIGHUP) and reads the files with blocking I/O; errors name the key, the file and
//! what is wrong. The handshake draws randomness from the OS through `ring`, so an encrypted link is
//! not reproducible under the madsim simulator: simulations run with `secure_server_option: none`.

use std::io::Read;
use std::sync::Arc;

use dynomite_core::config::{ClientCertificates, ClientTls, Config, SecureServerOption};
use dynomite_core::ring::PeerNode;
use thiserror::Error;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::stream::{Acceptor, Connector};

/// The name every node certificate must carry (DNS subject alternative name), checked by the side
/// that opens the link.
pub const PEER_SERVER_NAME: &str = "dynomite-peer";

/// Largest PEM file read (key, certificate chain or CA bundle).
pub const PEM_FILE_BYTES_MAX: u64 = 1024 * 1024;

/// Why peer TLS could not be set up from the configuration.
#[derive(Debug, Error)]
pub enum TlsSetupError {
    /// TLS is needed but a key naming a file is not set.
    #[error(
        "{key} must be set when secure_server_option is {option} (peer TLS needs this node's certificate)"
    )]
    MissingSetting {
        /// The configuration key that is missing (`pem_cert_file`).
        key: &'static str,
        /// The `secure_server_option` value that asks for TLS.
        option: &'static str,
    },
    /// A file could not be read.
    #[error("{key}: cannot read {path}: {source}")]
    Unreadable {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file's path as configured.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is larger than [`PEM_FILE_BYTES_MAX`].
    #[error("{key}: {path} is larger than {limit_bytes} bytes; is it really a PEM file?")]
    TooLarge {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file's path as configured.
        path: String,
        /// The limit.
        limit_bytes: u64,
    },
    /// A file holds no PEM section of the kind expected.
    #[error("{key}: {path} contains no PEM {expected}")]
    NothingFound {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file's path as configured.
        path: String,
        /// What was looked for ("certificate", "private key").
        expected: &'static str,
    },
    /// A file is not valid PEM.
    #[error("{key}: {path} is not valid PEM: {reason}")]
    BadPem {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file's path as configured.
        path: String,
        /// The PEM parser's explanation.
        reason: String,
    },
    /// A CA certificate could not be used as a trust root.
    #[error("{key}: {path} holds a certificate that cannot be a trust root: {reason}")]
    BadTrustRoot {
        /// The configuration key naming the file (`ca_file`, or `pem_cert_file` when it is the root).
        key: &'static str,
        /// The file's path as configured.
        path: String,
        /// rustls' or webpki's explanation.
        reason: String,
    },
    /// The key and certificate do not form a usable identity (mismatch, unsupported algorithm...).
    #[error("{cert_key} {cert_path} with {key_key} {key_path}: {reason}")]
    BadIdentity {
        /// The key naming the certificate chain (`pem_cert_file`, `client_tls_cert_file`).
        cert_key: &'static str,
        /// The key naming the private key (`pem_key_file`, `client_tls_key_file`).
        key_key: &'static str,
        /// The certificate chain file.
        cert_path: String,
        /// The private key file.
        key_path: String,
        /// rustls' explanation.
        reason: String,
    },
}

/// Whether the link from `local` to `peer` is encrypted under `option`: `all` every link,
/// `datacenter` links between datacenters, `rack` links between racks (a different datacenter is a
/// different rack too, even when the rack names match).
pub fn link_is_encrypted(option: SecureServerOption, local: &PeerNode, peer: &PeerNode) -> bool {
    placement_link_is_encrypted(option, &local.datacenter, &local.rack, &peer.datacenter, &peer.rack)
}

/// [`link_is_encrypted`] from datacenter and rack names, e.g. those of a peer's `Hello`: the peer
/// listener can refuse a plain link that should have been encrypted.
pub fn placement_link_is_encrypted(
    option: SecureServerOption,
    local_datacenter: &str,
    local_rack: &str,
    peer_datacenter: &str,
    peer_rack: &str,
) -> bool {
    let other_datacenter = local_datacenter != peer_datacenter;
    match option {
        SecureServerOption::None => false,
        SecureServerOption::Rack => other_datacenter || local_rack != peer_rack,
        SecureServerOption::Datacenter => other_datacenter,
        SecureServerOption::All => true,
    }
}

/// The connector for the link from `local` to `peer`: TLS when `secure_server_option` encrypts it.
pub fn connector_for(config: &Config, local: &PeerNode, peer: &PeerNode) -> Result<Connector, TlsSetupError> {
    if !link_is_encrypted(config.secure_server_option, local, peer) {
        return Ok(Connector::Plain);
    }
    let identity = Identity::load(config)?;
    let client = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions")
        .with_root_certificates(identity.roots.clone())
        .with_client_auth_cert(identity.chain, identity.key)
        .map_err(|error| identity.files.identity_error(error))?;
    let server_name = ServerName::try_from(PEER_SERVER_NAME).expect("PEER_SERVER_NAME is a valid DNS name");
    Ok(Connector::Tls { connector: TlsConnector::from(Arc::new(client)), server_name })
}

/// The peer listener's acceptor. TLS-capable (it still accepts plain links, except under
/// `secure_server_option: all`) when `secure_server_option` is not `none` or `pem_cert_file` is set;
/// plain otherwise.
pub fn acceptor(config: &Config) -> Result<Acceptor, TlsSetupError> {
    if config.secure_server_option == SecureServerOption::None && config.pem_cert_file.is_none() {
        return Ok(Acceptor::Plain);
    }
    let identity = Identity::load(config)?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(identity.roots.clone()), provider())
        .build()
        .map_err(|error| identity.files.root_error(error.to_string()))?;
    let server = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(identity.chain, identity.key)
        .map_err(|error| identity.files.identity_error(error))?;
    Ok(Acceptor::Tls {
        acceptor: TlsAcceptor::from(Arc::new(server)),
        plain_allowed: config.secure_server_option != SecureServerOption::All,
    })
}

/// The rustls server configuration of the client TLS listener (`client_tls_*`), read from its files
/// now: called at startup and again on every reload (SIGHUP). Clients are asked for a certificate
/// only as `client_tls_auth_clients` says; the server's certificate is not tied to a name.
pub fn client_server_config(tls: &ClientTls) -> Result<ServerConfig, TlsSetupError> {
    let chain = load_certificates("client_tls_cert_file", &tls.cert_file)?;
    let key = load_private_key("client_tls_key_file", &tls.key_file)?;
    let files = IdentityFiles {
        cert_key: "client_tls_cert_file",
        key_key: "client_tls_key_file",
        cert_path: tls.cert_file.clone(),
        key_path: tls.key_file.clone(),
        roots_key: "client_tls_ca_file",
        roots_path: tls.ca_file.clone().unwrap_or_default(),
    };
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions");
    let builder = match (&tls.ca_file, tls.auth_clients) {
        (Some(ca_path), ClientCertificates::Required | ClientCertificates::Optional) => {
            let mut roots = RootCertStore::empty();
            for certificate in load_certificates("client_tls_ca_file", ca_path)? {
                roots.add(certificate).map_err(|error| files.root_error(error.to_string()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let verifier = match tls.auth_clients {
                ClientCertificates::Optional => verifier.allow_unauthenticated(),
                _ => verifier,
            };
            let verifier = verifier.build().map_err(|error| files.root_error(error.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        // Validation refuses yes/optional without a CA file; a CA file with `no` is only not asked.
        _ => builder.with_no_client_auth(),
    };
    builder.with_single_cert(chain, key).map_err(|error| files.identity_error(error))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The paths the identity came from, for error messages.
struct IdentityFiles {
    cert_key: &'static str,
    key_key: &'static str,
    cert_path: String,
    key_path: String,
    /// The key and path of the trust roots (`ca_file`, or `pem_cert_file` when there is no CA).
    roots_key: &'static str,
    roots_path: String,
}

impl IdentityFiles {
    fn identity_error(&self, error: rustls::Error) -> TlsSetupError {
        TlsSetupError::BadIdentity {
            cert_key: self.cert_key,
            key_key: self.key_key,
            cert_path: self.cert_path.clone(),
            key_path: self.key_path.clone(),
            reason: error.to_string(),
        }
    }

    fn root_error(&self, reason: String) -> TlsSetupError {
        TlsSetupError::BadTrustRoot { key: self.roots_key, path: self.roots_path.clone(), reason }
    }
}

/// This node's TLS identity and the roots it trusts, loaded from the configured files.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    roots: RootCertStore,
    files: IdentityFiles,
}

impl Identity {
    fn load(config: &Config) -> Result<Identity, TlsSetupError> {
        let Some(cert_path) = config.pem_cert_file.clone() else {
            return Err(TlsSetupError::MissingSetting {
                key: "pem_cert_file",
                option: option_name(config.secure_server_option),
            });
        };
        let chain = load_certificates("pem_cert_file", &cert_path)?;
        let key_path = config.pem_key_file.clone();
        let key = load_private_key("pem_key_file", &key_path)?;
        let (roots_key, roots_path, root_certificates) = match &config.ca_file {
            Some(ca_path) => ("ca_file", ca_path.clone(), load_certificates("ca_file", ca_path)?),
            None => ("pem_cert_file", cert_path.clone(), chain.clone()),
        };
        let files = IdentityFiles {
            cert_key: "pem_cert_file",
            key_key: "pem_key_file",
            cert_path,
            key_path,
            roots_key,
            roots_path,
        };
        let mut roots = RootCertStore::empty();
        for certificate in root_certificates {
            roots.add(certificate).map_err(|error| files.root_error(error.to_string()))?;
        }
        Ok(Identity { chain, key, roots, files })
    }
}

fn option_name(option: SecureServerOption) -> &'static str {
    match option {
        SecureServerOption::None => "none",
        SecureServerOption::Rack => "rack",
        SecureServerOption::Datacenter => "datacenter",
        SecureServerOption::All => "all",
    }
}

/// Every certificate in the PEM file `path` (at least one).
fn load_certificates(key: &'static str, path: &str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let text = read_pem_file(key, path)?;
    let certificates = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| bad_pem(key, path, error))?;
    if certificates.is_empty() {
        return Err(TlsSetupError::NothingFound { key, path: path.to_string(), expected: "certificate" });
    }
    Ok(certificates)
}

/// The first private key in the PEM file `path`.
fn load_private_key(key: &'static str, path: &str) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let text = read_pem_file(key, path)?;
    match PrivateKeyDer::from_pem_slice(&text) {
        Ok(private_key) => Ok(private_key),
        Err(rustls::pki_types::pem::Error::NoItemsFound) => {
            Err(TlsSetupError::NothingFound { key, path: path.to_string(), expected: "private key" })
        }
        Err(error) => Err(bad_pem(key, path, error)),
    }
}

fn bad_pem(key: &'static str, path: &str, error: rustls::pki_types::pem::Error) -> TlsSetupError {
    TlsSetupError::BadPem { key, path: path.to_string(), reason: error.to_string() }
}

/// The bytes of `path`, at most [`PEM_FILE_BYTES_MAX`].
fn read_pem_file(key: &'static str, path: &str) -> Result<Vec<u8>, TlsSetupError> {
    let unreadable = |source| TlsSetupError::Unreadable { key, path: path.to_string(), source };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut text = Vec::new();
    file.take(PEM_FILE_BYTES_MAX + 1).read_to_end(&mut text).map_err(unreadable)?;
    if text.len() as u64 > PEM_FILE_BYTES_MAX {
        return Err(TlsSetupError::TooLarge { key, path: path.to_string(), limit_bytes: PEM_FILE_BYTES_MAX });
    }
    Ok(text)
}
