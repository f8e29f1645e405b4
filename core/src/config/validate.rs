//! Step two of STYLE #7: [`RawPool`] → [`Config`]. Applies C Dynomite's defaults, checks each value
//! and then the rules that involve several keys.

use super::error::ConfigError;
use super::keys::*;
use super::node::Node;
use super::raw::RawPool;
use super::scalar::Field;
use super::values::*;
use super::warnings::warnings_for;
use super::{Config, ConfigWarning};

/// The pool being validated: its name and raw values.
struct Validator<'a> {
    pool: &'a str,
    raw: RawPool,
}

impl Validator<'_> {
    fn field(&self, key: &'static str) -> Field<'_> {
        Field { pool: self.pool, key }
    }

    /// An optional duration in milliseconds, 1..=`DURATION_MAX_MS`.
    fn duration_ms(&self, key: &'static str, node: &Option<Node>, default: u64) -> Result<u64, ConfigError> {
        match node {
            Some(node) => self.field(key).unsigned(node, 1, DURATION_MAX_MS),
            None => Ok(default),
        }
    }

    /// An optional count in `min..=max`.
    fn count(
        &self,
        key: &'static str,
        node: &Option<Node>,
        bounds: (u64, u64),
        default: u64,
    ) -> Result<u64, ConfigError> {
        match node {
            Some(node) => self.field(key).unsigned(node, bounds.0, bounds.1),
            None => Ok(default),
        }
    }

    /// An optional boolean.
    fn boolean(&self, key: &'static str, node: &Option<Node>, default: bool) -> Result<bool, ConfigError> {
        match node {
            Some(node) => self.field(key).boolean(node),
            None => Ok(default),
        }
    }

    /// An optional text value.
    fn text(&self, key: &'static str, node: &Option<Node>) -> Result<Option<String>, ConfigError> {
        match node {
            Some(node) => Ok(Some(self.field(key).text(node)?.to_string())),
            None => Ok(None),
        }
    }

    /// An optional listener address.
    fn endpoint(
        &self,
        key: &'static str,
        node: &Option<Node>,
        default: Endpoint,
    ) -> Result<Endpoint, ConfigError> {
        match node {
            Some(node) => self.field(key).endpoint(node, &default.to_string()),
            None => Ok(default),
        }
    }
}

impl RawPool {
    /// Checks every value, applies defaults and cross-key rules, and returns the typed config of the
    /// pool named `pool`.
    pub fn validate(self, pool: &str) -> Result<Config, ConfigError> {
        let validator = Validator { pool, raw: self };
        let mut config = build(&validator)?;
        check_listeners_distinct(&config)?;
        config.warnings = warnings_for(
            &validator.raw,
            config.enable_gossip,
            config.crdt_enabled,
            config.secure_server_option,
        );
        if config.peer_secret.is_none()
            && !config.dyn_listen.is_loopback()
            && config.secure_server_option != SecureServerOption::All
        {
            config.warnings.push(ConfigWarning::Exposed {
                key: "peer_secret",
                why: "the peer port (dyn_listen) is not loopback-only and links are not all mutual TLS, \
                      so any host that reaches it can run commands on this node's datastore; set \
                      peer_secret (the same on every node) or secure_server_option: all",
            });
        }
        Ok(config)
    }
}

/// Every key, in the order of `Config`'s fields.
fn build(validator: &Validator<'_>) -> Result<Config, ConfigError> {
    let raw = &validator.raw;
    let data_store = data_store(validator)?;
    let read_repairs_enabled = validator.boolean("read_repairs_enabled", &raw.read_repairs_enabled, false)?;
    Ok(Config {
        pool_name: validator.pool.to_string(),
        listen: listen(validator)?,
        dyn_listen: validator.endpoint(
            "dyn_listen",
            &raw.dyn_listen,
            Endpoint::new(DYN_LISTEN_DEFAULT_HOST, DYN_LISTEN_DEFAULT_PORT),
        )?,
        client_tls: client_tls(validator)?,
        dyn_port: dyn_port(validator)?,
        stats_listen: validator.endpoint(
            "stats_listen",
            &raw.stats_listen,
            Endpoint::new(STATS_LISTEN_DEFAULT_HOST, STATS_LISTEN_DEFAULT_PORT),
        )?,
        data_store,
        server: server(validator, data_store)?,
        client_password: password(validator, "requirepass", &raw.requirepass)?,
        client_users: users(validator)?,
        datastore_password: match password(validator, "redis_requirepass", &raw.redis_requirepass)? {
            Some(password) => Some(password),
            None => password(validator, "requirepass", &raw.requirepass)?,
        },
        peer_secret: peer_secret(validator)?,
        admin_token: password(validator, "admin_token", &raw.admin_token)?,
        datastore_connections: connections(validator, "datastore_connections", &raw.datastore_connections)?,
        preconnect: validator.boolean("preconnect", &raw.preconnect, true)?,
        auto_eject_hosts: validator.boolean("auto_eject_hosts", &raw.auto_eject_hosts, true)?,
        server_retry_timeout_ms: validator.duration_ms(
            "server_retry_timeout",
            &raw.server_retry_timeout,
            SERVER_RETRY_TIMEOUT_DEFAULT_MS,
        )?,
        server_failure_limit: narrow(validator.count(
            "server_failure_limit",
            &raw.server_failure_limit,
            (1, u64::from(SERVER_FAILURE_LIMIT_MAX)),
            u64::from(SERVER_FAILURE_LIMIT_DEFAULT),
        )?),
        rack: name(validator, "rack", &raw.rack, RACK_DEFAULT)?,
        datacenter: name(validator, "datacenter", &raw.datacenter, DATACENTER_DEFAULT)?,
        env: name(validator, "env", &raw.env, ENV_DEFAULT)?,
        tokens: tokens(validator)?,
        dyn_seed_provider: seed_provider(validator)?,
        dyn_seeds: seeds(validator)?,
        read_consistency: consistency(validator, "read_consistency", &raw.read_consistency)?,
        write_consistency: consistency(validator, "write_consistency", &raw.write_consistency)?,
        timeout_ms: validator.duration_ms("timeout", &raw.timeout, TIMEOUT_DEFAULT_MS)?,
        hash: hash(validator)?,
        hash_tag: hash_tag(validator)?,
        read_repairs_enabled,
        crdt_enabled: crdt_enabled(validator, read_repairs_enabled)?,
        hints_max: narrow(validator.count(
            "hints_max",
            &raw.hints_max,
            (0, HINTS_MAX as u64),
            HINTS_DEFAULT as u64,
        )?),
        hints_bytes_max: narrow(validator.count(
            "hints_bytes_max",
            &raw.hints_bytes_max,
            (0, HINTS_BYTES_MAX as u64),
            HINTS_BYTES_DEFAULT as u64,
        )?),
        repair_interval_ms: validator.count(
            "repair_interval",
            &raw.repair_interval,
            (0, DURATION_MAX_MS),
            REPAIR_INTERVAL_DEFAULT_MS,
        )?,
        repair_full_interval_ms: validator.count(
            "repair_full_interval",
            &raw.repair_full_interval,
            (0, REPAIR_FULL_INTERVAL_MAX_MS),
            REPAIR_FULL_INTERVAL_DEFAULT_MS,
        )?,
        repair_rate: narrow(validator.count(
            "repair_rate",
            &raw.repair_rate,
            (1, u64::from(REPAIR_RATE_MAX)),
            u64::from(REPAIR_RATE_DEFAULT),
        )?),
        changelog_max: narrow(validator.count(
            "changelog_max",
            &raw.changelog_max,
            (1, u64::from(CHANGELOG_MAX)),
            u64::from(CHANGELOG_DEFAULT),
        )?),
        tombstone_gc_age_ms: validator.count(
            "tombstone_gc_age",
            &raw.tombstone_gc_age,
            (1, TOMBSTONE_GC_AGE_MAX_MS),
            TOMBSTONE_GC_AGE_DEFAULT_MS,
        )?,
        crdt_state_elements_max: narrow(validator.count(
            "crdt_state_elements_max",
            &raw.crdt_state_elements_max,
            (1, u64::from(CRDT_STATE_ELEMENTS_MAX)),
            u64::from(CRDT_STATE_ELEMENTS_DEFAULT),
        )?),
        dyn_read_timeout_ms: validator.duration_ms(
            "dyn_read_timeout",
            &raw.dyn_read_timeout,
            DYN_TIMEOUT_DEFAULT_MS,
        )?,
        dyn_write_timeout_ms: validator.duration_ms(
            "dyn_write_timeout",
            &raw.dyn_write_timeout,
            DYN_TIMEOUT_DEFAULT_MS,
        )?,
        dyn_connections: narrow(validator.count(
            "dyn_connections",
            &raw.dyn_connections,
            (1, u64::from(DYN_CONNECTIONS_MAX)),
            u64::from(DYN_CONNECTIONS_DEFAULT),
        )?),
        local_peer_connections: connections(
            validator,
            "local_peer_connections",
            &raw.local_peer_connections,
        )?,
        remote_peer_connections: connections(
            validator,
            "remote_peer_connections",
            &raw.remote_peer_connections,
        )?,
        enable_gossip: validator.boolean("enable_gossip", &raw.enable_gossip, false)?,
        gossip_interval_ms: validator.duration_ms(
            "gos_interval",
            &raw.gos_interval,
            GOSSIP_INTERVAL_DEFAULT_MS,
        )?,
        gossip_down_after_ms: gossip_down_after(validator)?,
        secure_server_option: secure_server_option(validator)?,
        pem_key_file: file(validator, "pem_key_file", &raw.pem_key_file, PEM_KEY_FILE_DEFAULT)?,
        pem_cert_file: validator.text("pem_cert_file", &raw.pem_cert_file)?,
        ca_file: validator.text("ca_file", &raw.ca_file)?,
        recon_key_file: file(validator, "recon_key_file", &raw.recon_key_file, RECON_KEY_FILE_DEFAULT)?,
        recon_iv_file: file(validator, "recon_iv_file", &raw.recon_iv_file, RECON_IV_FILE_DEFAULT)?,
        backlog: narrow(validator.count(
            "backlog",
            &raw.backlog,
            (1, u64::from(BACKLOG_MAX)),
            u64::from(BACKLOG_DEFAULT),
        )?),
        client_connections: narrow(validator.count(
            "client_connections",
            &raw.client_connections,
            (0, u64::from(CLIENT_CONNECTIONS_MAX)),
            u64::from(CLIENT_CONNECTIONS_DEFAULT),
        )?),
        connection_messages_per_second: narrow(validator.count(
            "conn_msg_rate",
            &raw.conn_msg_rate,
            (1, u64::from(CONNECTION_MESSAGES_PER_SECOND_MAX)),
            u64::from(CONNECTION_MESSAGES_PER_SECOND_DEFAULT),
        )?),
        mbuf_size_bytes: mbuf_size(validator)?,
        messages_max: narrow(validator.count(
            "max_msgs",
            &raw.max_msgs,
            (MESSAGES_MIN as u64, MESSAGES_MAX as u64),
            MESSAGES_DEFAULT as u64,
        )?),
        stats_interval_ms: validator.duration_ms(
            "stats_interval",
            &raw.stats_interval,
            STATS_INTERVAL_DEFAULT_MS,
        )?,
        peer_heartbeat_timeout_ms: validator.count(
            "peer_heartbeat_timeout",
            &raw.peer_heartbeat_timeout,
            (PEER_HEARTBEAT_TIMEOUT_MIN_MS, PEER_HEARTBEAT_TIMEOUT_MAX_MS),
            PEER_HEARTBEAT_TIMEOUT_DEFAULT_MS,
        )?,
        deprecated_keys: deprecated_keys(validator)?,
        warnings: Vec::new(),
    })
}

/// `gossip_down_after`: at least [`GOSSIP_DOWN_AFTER_MIN_INTERVALS`] × `gos_interval`, default
/// [`GOSSIP_DOWN_AFTER_DEFAULT_INTERVALS`] × it.
fn gossip_down_after(validator: &Validator<'_>) -> Result<u64, ConfigError> {
    let raw = &validator.raw;
    let interval_ms = validator.duration_ms("gos_interval", &raw.gos_interval, GOSSIP_INTERVAL_DEFAULT_MS)?;
    let default_ms = interval_ms.saturating_mul(GOSSIP_DOWN_AFTER_DEFAULT_INTERVALS).min(DURATION_MAX_MS);
    let down_after_ms = validator.duration_ms("gossip_down_after", &raw.gossip_down_after, default_ms)?;
    let min_ms = interval_ms.saturating_mul(GOSSIP_DOWN_AFTER_MIN_INTERVALS);
    if down_after_ms < min_ms {
        return Err(ConfigError::Conflict {
            pool: validator.pool.to_string(),
            first_key: "gossip_down_after",
            second_key: "gos_interval",
            reason: format!(
                "gossip_down_after is {down_after_ms} ms; allowed: at least \
                 {GOSSIP_DOWN_AFTER_MIN_INTERVALS} x gos_interval ({interval_ms} ms) = {min_ms} ms..=\
                 {DURATION_MAX_MS} ms, or a shorter gos_interval (a live node gossips once per \
                 gos_interval and must not be marked down between two of its rounds)"
            ),
        });
    }
    Ok(down_after_ms)
}

/// `crdt_enabled`: defaults to `read_repairs_enabled` (read repair merges CRDT states, so it needs
/// CRDT mode); an explicit `false` together with `read_repairs_enabled: true` is a conflict.
fn crdt_enabled(validator: &Validator<'_>, read_repairs_enabled: bool) -> Result<bool, ConfigError> {
    let crdt_enabled =
        validator.boolean("crdt_enabled", &validator.raw.crdt_enabled, read_repairs_enabled)?;
    if read_repairs_enabled && !crdt_enabled {
        return Err(ConfigError::Conflict {
            pool: validator.pool.to_string(),
            first_key: "read_repairs_enabled",
            second_key: "crdt_enabled",
            reason: "read repair merges the replicas' CRDT metadata, so it needs crdt_enabled: true \
                     (or crdt_enabled left out, which then defaults to true)"
                .to_string(),
        });
    }
    Ok(crdt_enabled)
}

/// Narrows a number already checked against bounds that fit the target type.
fn narrow<T: TryFrom<u64> + Default>(number: u64) -> T {
    T::try_from(number).unwrap_or_default()
}

fn listen(validator: &Validator<'_>) -> Result<Endpoint, ConfigError> {
    let field = validator.field("listen");
    match &validator.raw.listen {
        Some(node) => field.endpoint(node, "0.0.0.0:8102"),
        None => Err(field.missing("0.0.0.0:8102")),
    }
}

/// The `client_tls_*` keys: all absent (no TLS listener), or `client_tls_listen` with a certificate
/// and key. A file key without `client_tls_listen` is an error rather than a setting that does nothing.
fn client_tls(validator: &Validator<'_>) -> Result<Option<ClientTls>, ConfigError> {
    let raw = &validator.raw;
    let cert_file = validator.text("client_tls_cert_file", &raw.client_tls_cert_file)?;
    let key_file = validator.text("client_tls_key_file", &raw.client_tls_key_file)?;
    let ca_file = validator.text("client_tls_ca_file", &raw.client_tls_ca_file)?;
    let auth_clients = client_certificates(validator, ca_file.is_some())?;
    let conflict = |second_key, reason: &str| ConfigError::Conflict {
        pool: validator.pool.to_string(),
        first_key: "client_tls_listen",
        second_key,
        reason: reason.to_string(),
    };
    let Some(listen) = &raw.client_tls_listen else {
        let stray = [
            ("client_tls_cert_file", cert_file.is_some()),
            ("client_tls_key_file", key_file.is_some()),
            ("client_tls_ca_file", ca_file.is_some()),
            ("client_tls_auth_clients", raw.client_tls_auth_clients.is_some()),
        ];
        return match stray.into_iter().find(|(_, present)| *present) {
            Some((key, _)) => Err(conflict(
                key,
                "the client TLS keys need client_tls_listen (host:port of the TLS listener, Redis's \
                 tls-port); set it, or remove the client_tls_* keys",
            )),
            None => Ok(None),
        };
    };
    let listen = validator.field("client_tls_listen").endpoint(listen, "0.0.0.0:6380")?;
    let Some(cert_file) = cert_file else {
        return Err(conflict(
            "client_tls_cert_file",
            "a TLS listener needs the node's certificate chain (PEM; Redis's tls-cert-file)",
        ));
    };
    let Some(key_file) = key_file else {
        return Err(conflict(
            "client_tls_key_file",
            "a TLS listener needs the certificate's private key (PEM; Redis's tls-key-file)",
        ));
    };
    Ok(Some(ClientTls { listen, cert_file, key_file, ca_file, auth_clients }))
}

/// `client_tls_auth_clients`: `yes`, `optional` (both need `client_tls_ca_file`) or `no`.
fn client_certificates(
    validator: &Validator<'_>,
    has_ca_file: bool,
) -> Result<ClientCertificates, ConfigError> {
    let field = validator.field("client_tls_auth_clients");
    let Some(node) = &validator.raw.client_tls_auth_clients else {
        return Ok(if has_ca_file { ClientCertificates::Required } else { ClientCertificates::NotAsked });
    };
    let certificates = match field.text(node)? {
        "yes" | "true" => ClientCertificates::Required,
        "optional" => ClientCertificates::Optional,
        "no" | "false" => ClientCertificates::NotAsked,
        other => return Err(field.invalid(other, "yes, no or optional (Redis's tls-auth-clients)")),
    };
    if certificates != ClientCertificates::NotAsked && !has_ca_file {
        return Err(ConfigError::Conflict {
            pool: validator.pool.to_string(),
            first_key: "client_tls_auth_clients",
            second_key: "client_tls_ca_file",
            reason: "client certificates are verified against client_tls_ca_file (Redis's \
                     tls-ca-cert-file); set it, or use client_tls_auth_clients: no"
                .to_string(),
        });
    }
    Ok(certificates)
}

fn dyn_port(validator: &Validator<'_>) -> Result<Option<u16>, ConfigError> {
    match &validator.raw.dyn_port {
        Some(node) => Ok(Some(narrow(validator.field("dyn_port").unsigned(node, 1, u64::from(u16::MAX))?))),
        None => Ok(None),
    }
}

/// `data_store`: 0 redis, 1 memcached (not supported yet), 2 or `embedded` (ours).
fn data_store(validator: &Validator<'_>) -> Result<DataStore, ConfigError> {
    let field = validator.field("data_store");
    let Some(node) = &validator.raw.data_store else {
        return Ok(DataStore::Redis);
    };
    let supported = "0 or redis, 2 or embedded";
    match field.text(node)? {
        "0" | "redis" => Ok(DataStore::Redis),
        "2" | "embedded" => Ok(DataStore::Embedded),
        value @ ("1" | "memcached" | "memcache") => Err(field.unsupported(value, "memcached", supported)),
        value => Err(field.invalid(
            value,
            format!("a data store; allowed: {supported} (1 = memcached, not supported yet)"),
        )),
    }
}

/// `servers`: exactly one `host:port:weight`; required unless the datastore is embedded.
fn server(validator: &Validator<'_>, data_store: DataStore) -> Result<Option<ServerAddress>, ConfigError> {
    let field = validator.field("servers");
    let Some(node) = &validator.raw.servers else {
        return match data_store {
            DataStore::Embedded => Ok(None),
            DataStore::Redis => Err(field.missing("[127.0.0.1:6379:1]")),
        };
    };
    let entries = field.list(node)?;
    let [entry] = entries.as_slice() else {
        return Err(
            field.invalid(node, "exactly one server: a node proxies one datastore (e.g. [127.0.0.1:6379:1])")
        );
    };
    server_address(&field, entry).map(Some)
}

fn server_address(field: &Field<'_>, text: &str) -> Result<ServerAddress, ConfigError> {
    let expected = "host:port:weight (e.g. 127.0.0.1:6379:1)";
    if text.starts_with('/') {
        return Err(field.unsupported(text, "a unix socket", "host:port:weight"));
    }
    let parts: Vec<&str> = text.rsplitn(3, ':').collect();
    let [weight, port, host] = parts.as_slice() else {
        return Err(field.invalid(text, expected));
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(field.invalid(text, expected));
    }
    let port = field.port(text, port, expected)?;
    let all_digits = !weight.is_empty() && weight.bytes().all(|byte| byte.is_ascii_digit());
    let weight = match weight.parse::<u32>() {
        Ok(weight) if all_digits => weight,
        _ => return Err(field.invalid(text, expected)),
    };
    Ok(ServerAddress { host: strip_brackets(host).to_string(), port, weight })
}

fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')).unwrap_or(host)
}

/// A password-like text: non-empty (an empty password would read as "no password").
fn password(
    validator: &Validator<'_>,
    key: &'static str,
    node: &Option<Node>,
) -> Result<Option<String>, ConfigError> {
    match validator.text(key, node)? {
        Some(text) if text.is_empty() => Err(validator.field(key).invalid(&text, "a non-empty password")),
        other => Ok(other),
    }
}

/// `users`: `name:role:password` entries (the password may hold ':'), names unique and not
/// `default`, roles `read-only` or `read-write`. Errors show the entry without its password.
fn users(validator: &Validator<'_>) -> Result<Vec<ClientUser>, ConfigError> {
    let field = validator.field("users");
    let Some(node) = &validator.raw.users else {
        return Ok(Vec::new());
    };
    let expected = "name:role:password with role read-only or read-write (e.g. reports:read-only:s3cret)";
    let mut users: Vec<ClientUser> = Vec::new();
    for entry in field.list(node)? {
        let mut parts = entry.splitn(3, ':');
        let (name, role, password) = (parts.next().unwrap_or(""), parts.next(), parts.next());
        let shown = match role {
            Some(role) => format!("{name}:{role}:..."),
            None => format!("{name}..."),
        };
        let valid_name = !name.is_empty() && !name.contains(char::is_whitespace);
        let read_only = match role {
            Some("read-only") => true,
            Some("read-write") => false,
            _ => return Err(field.invalid(shown, expected)),
        };
        let Some(password) = password.filter(|password| !password.is_empty() && valid_name) else {
            return Err(field.invalid(shown, expected));
        };
        if name == "default" {
            return Err(field.invalid(shown, "a user other than default (its password is requirepass)"));
        }
        if users.iter().any(|user| user.name == name) {
            return Err(field.invalid(shown, "one entry per user name"));
        }
        users.push(ClientUser { name: name.to_string(), password: password.to_string(), read_only });
    }
    Ok(users)
}

/// `peer_secret`: at least [`PEER_SECRET_MIN_BYTES`] bytes.
fn peer_secret(validator: &Validator<'_>) -> Result<Option<String>, ConfigError> {
    match validator.text("peer_secret", &validator.raw.peer_secret)? {
        Some(secret) if secret.len() < PEER_SECRET_MIN_BYTES => {
            let expected =
                format!("a secret of at least {PEER_SECRET_MIN_BYTES} bytes, the same on every node");
            Err(validator.field("peer_secret").invalid(format!("({} bytes)", secret.len()), expected))
        }
        other => Ok(other),
    }
}

fn connections(
    validator: &Validator<'_>,
    key: &'static str,
    node: &Option<Node>,
) -> Result<usize, ConfigError> {
    let bounds = (1, CONNECTIONS_MAX as u64);
    Ok(narrow(validator.count(key, node, bounds, CONNECTIONS_DEFAULT as u64)?))
}

/// `rack`, `datacenter`, `env`: a name without ':' (it would break the `dyn_seeds` format).
fn name(
    validator: &Validator<'_>,
    key: &'static str,
    node: &Option<Node>,
    default: &str,
) -> Result<String, ConfigError> {
    let Some(node) = node else {
        return Ok(default.to_string());
    };
    let field = validator.field(key);
    let text = field.text(node)?;
    if text.contains(':') || text.contains(char::is_whitespace) {
        return Err(field.invalid(text, "a name without ':' or spaces"));
    }
    Ok(text.to_string())
}

fn file(
    validator: &Validator<'_>,
    key: &'static str,
    node: &Option<Node>,
    default: &str,
) -> Result<String, ConfigError> {
    Ok(validator.text(key, node)?.unwrap_or_else(|| default.to_string()))
}

/// `tokens`: required, as C Dynomite places the node on the ring with them.
fn tokens(validator: &Validator<'_>) -> Result<Vec<u32>, ConfigError> {
    let field = validator.field("tokens");
    let Some(node) = &validator.raw.tokens else {
        return Err(field.missing("437425602"));
    };
    let text = field.text(node)?;
    field.tokens(text, text)
}

fn seed_provider(validator: &Validator<'_>) -> Result<SeedProvider, ConfigError> {
    let field = validator.field("dyn_seed_provider");
    let Some(node) = &validator.raw.dyn_seed_provider else {
        return Ok(SeedProvider::Simple);
    };
    match field.text(node)? {
        "simple_provider" => Ok(SeedProvider::Simple),
        "dns_provider" => Ok(SeedProvider::Dns),
        "florida_provider" => Ok(SeedProvider::Florida),
        other => {
            Err(field
                .invalid(other, "a seed provider; allowed: simple_provider, dns_provider, florida_provider"))
        }
    }
}

/// `dyn_seeds`: `host:port:rack:datacenter:tokens` entries.
fn seeds(validator: &Validator<'_>) -> Result<Vec<Seed>, ConfigError> {
    let field = validator.field("dyn_seeds");
    let Some(node) = &validator.raw.dyn_seeds else {
        return Ok(Vec::new());
    };
    let entries = field.list(node)?;
    if entries.len() > SEEDS_MAX {
        return Err(field.invalid(node, format!("a list of at most {SEEDS_MAX} seeds")));
    }
    entries.into_iter().map(|entry| seed(&field, entry)).collect()
}

/// One `host:port:rack:datacenter:tokens` entry (of `dyn_seeds`, or of a seed provider's answer).
pub(crate) fn seed(field: &Field<'_>, text: &str) -> Result<Seed, ConfigError> {
    let expected = "host:port:rack:datacenter:tokens (e.g. 127.0.0.2:8101:rack2:dc1:1383429731)";
    let parts: Vec<&str> = text.rsplitn(5, ':').collect();
    let [tokens, datacenter, rack, port, host] = parts.as_slice() else {
        return Err(field.invalid(text, expected));
    };
    let blank = |part: &str| part.is_empty() || part.contains(char::is_whitespace);
    if [host, rack, datacenter].into_iter().any(|part| blank(part)) {
        return Err(field.invalid(text, expected));
    }
    Ok(Seed {
        host: strip_brackets(host).to_string(),
        port: field.port(text, port, expected)?,
        rack: rack.to_string(),
        datacenter: datacenter.to_string(),
        tokens: field.tokens(text, tokens)?,
    })
}

fn consistency(
    validator: &Validator<'_>,
    key: &'static str,
    node: &Option<Node>,
) -> Result<Consistency, ConfigError> {
    let Some(node) = node else {
        return Ok(Consistency::DcOne);
    };
    let field = validator.field(key);
    let text = field.text(node)?;
    text.parse()
        .map_err(|_| field.invalid(text, format!("a consistency level; allowed: {CONSISTENCY_NAMES}")))
}

/// `hash`: only `murmur` today; C Dynomite's other names are "not supported yet".
fn hash(validator: &Validator<'_>) -> Result<HashAlgorithm, ConfigError> {
    let field = validator.field("hash");
    let Some(node) = &validator.raw.hash else {
        return Ok(HashAlgorithm::Murmur);
    };
    match field.text(node)? {
        "murmur" => Ok(HashAlgorithm::Murmur),
        other if DYNOMITE_HASH_NAMES.contains(&other) => Err(field.unsupported(other, "this hash", "murmur")),
        other => {
            Err(field.invalid(other, format!("a hash name; allowed: {}", DYNOMITE_HASH_NAMES.join(", "))))
        }
    }
}

/// `hash_tag`: exactly two characters.
fn hash_tag(validator: &Validator<'_>) -> Result<Option<HashTag>, ConfigError> {
    let field = validator.field("hash_tag");
    let Some(node) = &validator.raw.hash_tag else {
        return Ok(None);
    };
    let text = field.text(node)?;
    let mut characters = text.chars();
    match (characters.next(), characters.next(), characters.next()) {
        (Some(open), Some(close), None) => Ok(Some(HashTag { open, close })),
        _ => Err(field.invalid(text, "exactly two characters (e.g. \"{}\")")),
    }
}

fn secure_server_option(validator: &Validator<'_>) -> Result<SecureServerOption, ConfigError> {
    let field = validator.field("secure_server_option");
    let Some(node) = &validator.raw.secure_server_option else {
        return Ok(SecureServerOption::None);
    };
    match field.text(node)? {
        "none" => Ok(SecureServerOption::None),
        "rack" => Ok(SecureServerOption::Rack),
        "datacenter" => Ok(SecureServerOption::Datacenter),
        "all" => Ok(SecureServerOption::All),
        other => Err(field.invalid(other, "a secure server option; allowed: none, rack, datacenter, all")),
    }
}

/// `mbuf_size`: C Dynomite's bounds and its multiple-of-16 rule.
fn mbuf_size(validator: &Validator<'_>) -> Result<usize, ConfigError> {
    let Some(node) = &validator.raw.mbuf_size else {
        return Ok(MBUF_SIZE_DEFAULT_BYTES);
    };
    let field = validator.field("mbuf_size");
    let size: usize = narrow(field.unsigned(node, MBUF_SIZE_MIN_BYTES as u64, MBUF_SIZE_MAX_BYTES as u64)?);
    if !size.is_multiple_of(MBUF_SIZE_ALIGNMENT_BYTES) {
        return Err(field.invalid(node, format!("a multiple of {MBUF_SIZE_ALIGNMENT_BYTES} bytes")));
    }
    Ok(size)
}

/// Deprecated keys present in the file; their values are read as text and ignored, like C Dynomite.
fn deprecated_keys(validator: &Validator<'_>) -> Result<Vec<String>, ConfigError> {
    let raw = &validator.raw;
    let mut found = Vec::new();
    for (key, node) in [("distribution", &raw.distribution), ("server_connections", &raw.server_connections)]
    {
        if validator.text(key, node)?.is_some() {
            found.push(key.to_string());
        }
    }
    Ok(found)
}

/// The listeners must not share a port on overlapping hosts.
fn check_listeners_distinct(config: &Config) -> Result<(), ConfigError> {
    let mut listeners = vec![
        ("listen", &config.listen),
        ("dyn_listen", &config.dyn_listen),
        ("stats_listen", &config.stats_listen),
    ];
    if let Some(client_tls) = &config.client_tls {
        listeners.push(("client_tls_listen", &client_tls.listen));
    }
    for (index, (first_key, first)) in listeners.iter().enumerate() {
        for (second_key, second) in &listeners[index + 1..] {
            if first.port == second.port && hosts_overlap(&first.host, &second.host) {
                return Err(ConfigError::Conflict {
                    pool: config.pool_name.clone(),
                    first_key,
                    second_key,
                    reason: format!("'{first}' and '{second}' would bind the same port"),
                });
            }
        }
    }
    Ok(())
}

fn hosts_overlap(first: &str, second: &str) -> bool {
    let wildcard = |host: &str| host == "0.0.0.0" || host == "::";
    first == second || wildcard(first) || wildcard(second)
}
