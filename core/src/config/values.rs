//! The typed values a [`Config`](super::Config) is made of: addresses, seeds and the enumerated
//! settings, each with the spelling C Dynomite uses in its YAML and on its admin port.

use std::fmt;
use std::str::FromStr;

/// A `host:port` a listener binds to (`listen`, `dyn_listen`, `stats_listen`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    /// TCP port, 1..=65535.
    pub port: u16,
}

impl Endpoint {
    /// An endpoint from its parts.
    pub fn new(host: impl Into<String>, port: u16) -> Endpoint {
        Endpoint { host: host.into(), port }
    }

    /// True when only this host can connect: a loopback IP address (127.0.0.0/8, ::1) or `localhost`.
    pub fn is_loopback(&self) -> bool {
        match self.host.parse::<std::net::IpAddr>() {
            Ok(address) => address.is_loopback(),
            Err(_) => self.host.eq_ignore_ascii_case("localhost"),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(formatter, "[{}]:{}", self.host, self.port)
        } else {
            write!(formatter, "{}:{}", self.host, self.port)
        }
    }
}

/// The datastore behind this node (`servers: - host:port:weight`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerAddress {
    /// Host name or IP address of the datastore.
    pub host: String,
    /// Datastore TCP port.
    pub port: u16,
    /// Weight: parsed for compatibility, unused (C Dynomite ignores it too).
    pub weight: u32,
}

impl ServerAddress {
    /// The `host:port` to connect to.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::new(self.host.clone(), self.port)
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.endpoint(), self.weight)
    }
}

/// A named client user (`users`, ours): `AUTH name password` logs in as it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientUser {
    /// The user name (never `default`: that user's password is `requirepass`).
    pub name: String,
    /// Its password.
    pub password: String,
    /// True for `read-only`: commands that write are refused with `NOPERM`.
    pub read_only: bool,
}

impl fmt::Debug for ClientUser {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = if self.read_only { "read-only" } else { "read-write" };
        write!(formatter, "ClientUser({}:{role}:..)", self.name)
    }
}

/// A peer listed in `dyn_seeds` as `host:port:rack:datacenter:tokens`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seed {
    /// Host name or IP address of the peer.
    pub host: String,
    /// The peer's `dyn_listen` port.
    pub port: u16,
    /// The peer's rack.
    pub rack: String,
    /// The peer's datacenter.
    pub datacenter: String,
    /// The peer's tokens on the ring (at least one).
    pub tokens: Vec<u32>,
}

impl Seed {
    /// The peer's `host:port`.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::new(self.host.clone(), self.port)
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: Vec<String> = self.tokens.iter().map(u32::to_string).collect();
        write!(formatter, "{}:{}:{}:{}", self.endpoint(), self.rack, self.datacenter, tokens.join(","))
    }
}

/// How many replicas must answer before a client gets its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Consistency {
    /// The owner in the local rack answers alone.
    DcOne,
    /// A quorum of the local datacenter's racks answers; the first reply is returned.
    DcQuorum,
    /// A quorum of identical replies from the local datacenter, else an error.
    DcSafeQuorum,
    /// A safe quorum in every datacenter.
    DcEachSafeQuorum,
}

impl Consistency {
    /// Every level, weakest first.
    pub const ALL: [Consistency; 4] =
        [Consistency::DcOne, Consistency::DcQuorum, Consistency::DcSafeQuorum, Consistency::DcEachSafeQuorum];

    /// The lower-case spelling used in YAML (`dc_one`).
    pub fn config_name(self) -> &'static str {
        match self {
            Consistency::DcOne => "dc_one",
            Consistency::DcQuorum => "dc_quorum",
            Consistency::DcSafeQuorum => "dc_safe_quorum",
            Consistency::DcEachSafeQuorum => "dc_each_safe_quorum",
        }
    }

    /// The upper-case spelling of the admin port and `DYNO_CONFIG:CONN_CONSISTENCY` (`DC_ONE`).
    pub fn wire_name(self) -> &'static str {
        match self {
            Consistency::DcOne => "DC_ONE",
            Consistency::DcQuorum => "DC_QUORUM",
            Consistency::DcSafeQuorum => "DC_SAFE_QUORUM",
            Consistency::DcEachSafeQuorum => "DC_EACH_SAFE_QUORUM",
        }
    }
}

/// The allowed spellings, for error messages.
pub const CONSISTENCY_NAMES: &str = "dc_one, dc_quorum, dc_safe_quorum, dc_each_safe_quorum";

/// A consistency level name that is none of [`CONSISTENCY_NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a consistency level; allowed: {CONSISTENCY_NAMES}")]
pub struct UnknownConsistency {
    /// The name as given.
    pub value: String,
}

impl FromStr for Consistency {
    type Err = UnknownConsistency;

    /// Case-insensitive, like C Dynomite (`DC_QUORUM`, `dc_quorum`, `Dc_Quorum`).
    fn from_str(text: &str) -> Result<Consistency, UnknownConsistency> {
        Consistency::ALL
            .into_iter()
            .find(|level| level.config_name().eq_ignore_ascii_case(text))
            .ok_or_else(|| UnknownConsistency { value: text.to_string() })
    }
}

impl fmt::Display for Consistency {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.wire_name())
    }
}

/// What stores the data (`data_store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataStore {
    /// An external Redis at `servers` (`data_store: 0` or `redis`).
    Redis,
    /// The in-process Redis-compatible engine of this crate (`data_store: 2` or `embedded`; ours,
    /// C Dynomite has no such value). `servers` is optional.
    Embedded,
}

/// Which peers' links are encrypted (`secure_server_option`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecureServerOption {
    /// No link is encrypted.
    None,
    /// Links to another rack or another datacenter are encrypted.
    Rack,
    /// Links to another datacenter are encrypted.
    Datacenter,
    /// Every peer link is encrypted.
    All,
}

/// The client TLS listener (`client_tls_*` keys; Redis's `tls-port`, `tls-cert-file`, `tls-key-file`,
/// `tls-ca-cert-file`, `tls-auth-clients`). It serves the same client protocol as `listen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTls {
    /// `client_tls_listen`: where TLS clients connect.
    pub listen: Endpoint,
    /// `client_tls_cert_file`: the node's certificate chain for clients (PEM, leaf first).
    pub cert_file: String,
    /// `client_tls_key_file`: the private key of that certificate (PEM).
    pub key_file: String,
    /// `client_tls_ca_file`: CA certificates that verify client certificates (PEM). None: clients
    /// present none.
    pub ca_file: Option<String>,
    /// `client_tls_auth_clients`: whether clients must present a certificate signed by `ca_file`.
    pub auth_clients: ClientCertificates,
}

/// Whether TLS clients must present a certificate (`client_tls_auth_clients`, Redis's
/// `tls-auth-clients`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientCertificates {
    /// `yes`: a client without a certificate signed by `client_tls_ca_file` is refused (mutual TLS).
    /// The default when `client_tls_ca_file` is set, as in Redis.
    Required,
    /// `optional`: a certificate is checked when a client presents one, and not required.
    Optional,
    /// `no`: no client certificate is asked for. The default without `client_tls_ca_file`.
    NotAsked,
}

/// Where the peer list comes from (`dyn_seed_provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeedProvider {
    /// `simple_provider`: the static `dyn_seeds` list.
    Simple,
    /// `dns_provider`: seeds from the TXT records of `DYNOMITE_DNS_NAME`, besides `dyn_seeds`.
    Dns,
    /// `florida_provider`: seeds from a Florida HTTP service (`DYNOMITE_FLORIDA_IP`, `_PORT`,
    /// `_REQUEST`), besides `dyn_seeds`.
    Florida,
}

/// The key hash that places keys on the token ring (`hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgorithm {
    /// MurmurHash2 32-bit with seed `0xdeadbeef * len`, C Dynomite's default.
    Murmur,
}

/// Hash names C Dynomite's hashkit knows; all but `murmur` are "not supported yet" here.
pub const DYNOMITE_HASH_NAMES: &[&str] = &[
    "one_at_a_time",
    "md5",
    "crc16",
    "crc32",
    "crc32a",
    "fnv1_64",
    "fnv1a_64",
    "fnv1_32",
    "fnv1a_32",
    "hsieh",
    "murmur",
    "jenkins",
    "murmur3",
];

/// Two characters that delimit the hashed part of a key (`hash_tag: "{}"` hashes `a` of `x{a}y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HashTag {
    /// Opening delimiter.
    pub open: char,
    /// Closing delimiter.
    pub close: char,
}

impl fmt::Display for HashTag {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}{}", self.open, self.close)
    }
}
