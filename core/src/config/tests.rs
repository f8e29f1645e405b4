//! Unit tests of the configuration: for each key its default, a good value and a bad value.

use super::*;

/// The smallest valid configuration, plus `extra` lines (each "  key: value").
fn parse_with(extra: &str) -> Result<Config, ConfigError> {
    parse_config(&format!(
        "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  servers:\n  - 127.0.0.1:6379:1\n  tokens: '101134286'\n{extra}"
    ))
}

fn valid(extra: &str) -> Config {
    match parse_with(extra) {
        Ok(config) => config,
        Err(error) => panic!("expected valid config for {extra:?}, got: {error}"),
    }
}

/// The warnings about keys that have no effect (not the open-port one every loopback-less file gets).
fn no_effect_lines(config: &Config) -> Vec<String> {
    let open_port = |warning: &&ConfigWarning| matches!(warning, ConfigWarning::Exposed { .. });
    config.warnings().iter().filter(|warning| !open_port(warning)).map(ToString::to_string).collect()
}

fn error(extra: &str) -> String {
    match parse_with(extra) {
        Ok(config) => panic!("expected an error for {extra:?}, got {config:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn defaults_match_c_dynomite() {
    let config = valid("");
    assert_eq!(config.pool_name, "dyn_o_mite");
    assert_eq!(config.listen, Endpoint::new("127.0.0.1", 8102));
    assert_eq!(config.dyn_listen, Endpoint::new("0.0.0.0", 8101));
    assert_eq!(config.dyn_port, None);
    assert_eq!(config.stats_listen.to_string(), "0.0.0.0:22222");
    assert_eq!(config.data_store, DataStore::Redis);
    assert_eq!(config.server.as_ref().map(ToString::to_string).as_deref(), Some("127.0.0.1:6379:1"));
    assert_eq!(config.datastore_password, None);
    assert_eq!(config.tokens, vec![101_134_286]);
    assert_eq!((config.rack.as_str(), config.datacenter.as_str()), ("localrack", "localdc"));
    assert_eq!(config.env, "aws");
    assert_eq!(config.dyn_seed_provider, SeedProvider::Simple);
    assert!(config.dyn_seeds.is_empty());
    assert_eq!((config.read_consistency, config.write_consistency), (Consistency::DcOne, Consistency::DcOne));
    assert_eq!(config.timeout_ms, 5_000);
    assert_eq!(config.hash, HashAlgorithm::Murmur);
    assert_eq!(config.hash_tag, None);
    assert!(!config.read_repairs_enabled && !config.enable_gossip && !config.crdt_enabled);
    assert_eq!((config.hints_max, config.hints_bytes_max), (10_000, 16_777_216));
    assert_eq!((config.repair_interval_ms, config.repair_full_interval_ms), (1_000, 21_600_000));
    assert_eq!((config.repair_rate, config.changelog_max), (1_000, 100_000));
    assert_eq!((config.tombstone_gc_age_ms, config.crdt_state_elements_max), (86_400_000, 10_000));
    assert!(config.preconnect && config.auto_eject_hosts);
    assert_eq!((config.server_retry_timeout_ms, config.server_failure_limit), (10_000, 3));
    assert_eq!((config.dyn_read_timeout_ms, config.dyn_write_timeout_ms), (10_000, 10_000));
    assert_eq!(config.dyn_connections, 100);
    assert_eq!(config.datastore_connections, 1);
    assert_eq!((config.local_peer_connections, config.remote_peer_connections), (1, 1));
    assert_eq!(config.gossip_interval_ms, 30_000);
    assert_eq!(config.secure_server_option, SecureServerOption::None);
    assert_eq!(config.pem_key_file, "conf/dynomite.pem");
    assert_eq!((config.pem_cert_file.as_deref(), config.ca_file.as_deref()), (None, None));
    assert_eq!(config.recon_key_file, "conf/recon_key.pem");
    assert_eq!(config.recon_iv_file, "conf/recon_iv.pem");
    assert_eq!((config.backlog, config.client_connections), (512, 0));
    assert_eq!(config.connection_messages_per_second, 50_000);
    assert_eq!((config.mbuf_size_bytes, config.messages_max), (16_384, 200_000));
    assert_eq!(config.stats_interval_ms, 30_000);
    assert_eq!(config.peer_heartbeat_timeout_ms, 1_500);
    assert_eq!(config.peer_heartbeat_interval_ms(), 500);
    assert!(config.deprecated_keys.is_empty());
    assert_eq!(
        config.warnings().len(),
        1,
        "a minimal file warns only that the peer port is open: {:?}",
        config.warnings()
    );
    assert_eq!(config.warnings()[0].key(), "peer_secret");
}

#[test]
fn listeners() {
    assert_eq!(valid("  dyn_listen: 10.0.0.1:9101\n").dyn_listen, Endpoint::new("10.0.0.1", 9101));
    assert_eq!(valid("  stats_listen: 127.0.0.1:22223\n").stats_listen.port, 22223);
    assert_eq!(valid("  dyn_listen: '[::1]:8101'\n").dyn_listen.to_string(), "[::1]:8101");
    assert!(error("  dyn_listen: 8101\n").contains("is not host:port"));
    assert!(error("  stats_listen: 'host:0'\n").contains("out of range; allowed: 1..=65535"));
    assert!(error("  stats_listen: 'host:70000'\n").contains("out of range"));
    assert!(error("  dyn_listen: /tmp/dyn.sock\n").contains("unix socket is not supported yet"));
    assert!(parse_config("dyn_o_mite:\n  tokens: '1'\n  servers: [a:1:1]\n").is_err());
}

#[test]
fn listeners_must_not_share_a_port() {
    let message = error("  dyn_listen: 0.0.0.0:8102\n");
    assert!(message.contains("dyn_o_mite.listen and dyn_o_mite.dyn_listen"), "{message}");
    assert!(valid("  dyn_listen: 127.0.0.2:8102\n").dyn_listen.port == 8102);
}

#[test]
fn dyn_port() {
    assert_eq!(valid("  dyn_port: 8101\n").dyn_port, Some(8101));
    assert!(error("  dyn_port: 0\n").contains("out of range"));
}

#[test]
fn data_store() {
    assert_eq!(valid("  data_store: 0\n").data_store, DataStore::Redis);
    assert_eq!(valid("  data_store: redis\n").data_store, DataStore::Redis);
    assert_eq!(valid("  data_store: 2\n").data_store, DataStore::Embedded);
    assert_eq!(valid("  data_store: embedded\n").data_store, DataStore::Embedded);
    assert!(error("  data_store: 1\n").contains("memcached is not supported yet"));
    assert!(error("  data_store: 7\n").contains("is not a data store"));
}

#[test]
fn servers() {
    let config = valid("").server;
    assert_eq!(
        config.map(|server| (server.host, server.port, server.weight)),
        Some(("127.0.0.1".into(), 6379, 1))
    );
    let single = parse_config("p:\n  listen: a:1\n  servers: b:2:3\n  tokens: 1\n");
    assert_eq!(single.map(|config| config.server.map(|server| server.port)), Ok(Some(2)));
    let message =
        parse_config("p:\n  listen: a:1\n  servers:\n  - b:2\n  tokens: 1\n").unwrap_err().to_string();
    assert_eq!(message, "p.servers: 'b:2' is not host:port:weight (e.g. 127.0.0.1:6379:1)");
    let two = parse_config("p:\n  listen: a:1\n  servers: [b:2:1, c:3:1]\n  tokens: 1\n").unwrap_err();
    assert!(two.to_string().contains("exactly one server"));
    let missing = parse_config("p:\n  listen: a:1\n  tokens: 1\n").unwrap_err();
    assert!(matches!(missing, ConfigError::MissingKey { key: "servers", .. }));
    let embedded = parse_config("p:\n  listen: a:1\n  tokens: 1\n  data_store: embedded\n");
    assert_eq!(embedded.map(|config| config.server), Ok(None));
}

#[test]
fn users_are_name_role_password_and_errors_hide_the_password() {
    let config =
        valid("  requirepass: pw\n  users:\n  - reports:read-only:s3:cr:et\n  - app:read-write:hunter2\n");
    let users: Vec<(&str, &str, bool)> = config
        .client_users
        .iter()
        .map(|user| (user.name.as_str(), user.password.as_str(), user.read_only))
        .collect();
    assert_eq!(users, [("reports", "s3:cr:et", true), ("app", "hunter2", false)]);
    assert_eq!(format!("{:?}", config.client_users[0]), "ClientUser(reports:read-only:..)");
    assert!(valid("").client_users.is_empty());
    for (entry, expected) in [
        ("reports:admin:secret", "reports:admin:..."),
        ("'reports:read-only:'", "reports:read-only:..."),
        ("reports", "reports..."),
        (":read-only:secret", ":read-only:..."),
        ("default:read-write:secret", "a user other than default"),
    ] {
        let message = error(&format!("  users:\n  - {entry}\n"));
        assert!(message.contains("users"), "{message}");
        assert!(message.contains(expected), "{entry}: {message}");
        assert!(!message.contains("secret"), "the password leaked: {message}");
    }
    let message = error("  users:\n  - a:read-only:x\n  - a:read-write:y\n");
    assert!(message.contains("one entry per user name"), "{message}");
}

#[test]
fn passwords_map_like_c_dynomite() {
    // requirepass (Netflix/dynomite PR #748): clients AUTH with it, and the datastore gets it too.
    let config = valid("  requirepass: hello\n");
    assert_eq!(
        (config.client_password.as_deref(), config.datastore_password.as_deref()),
        (Some("hello"), Some("hello"))
    );
    // redis_requirepass: the datastore's own password only.
    let config = valid("  redis_requirepass: old\n");
    assert_eq!(
        (config.client_password.as_deref(), config.datastore_password.as_deref()),
        (None, Some("old"))
    );
    // Both: clients use requirepass, the datastore redis_requirepass.
    let config = valid("  requirepass: a\n  redis_requirepass: b\n");
    assert_eq!(
        (config.client_password.as_deref(), config.datastore_password.as_deref()),
        (Some("a"), Some("b"))
    );
    assert_eq!(valid("").client_password, None);
}

#[test]
fn peer_secret_and_admin_token() {
    let config = valid("  peer_secret: 0123456789abcdef\n  admin_token: t0k\n");
    assert_eq!(config.peer_secret.as_deref(), Some("0123456789abcdef"));
    assert_eq!(config.admin_token.as_deref(), Some("t0k"));
    let short = error("  peer_secret: short\n");
    assert!(
        short.contains("peer_secret") && short.contains("at least 16 bytes") && !short.contains("short'"),
        "{short}"
    );
    // The default dyn_listen (0.0.0.0) without a secret: a startup warning naming peer_secret.
    let exposed = |config: &Config| config.warnings().iter().any(|warning| warning.key() == "peer_secret");
    assert!(exposed(&valid("")));
    assert!(!exposed(&valid("  peer_secret: 0123456789abcdef\n")));
    assert!(!exposed(&valid("  dyn_listen: 127.0.0.1:8101\n")));
}

#[test]
fn tokens() {
    let number = parse_config("p:\n  listen: a:1\n  servers: [b:2:1]\n  tokens: 437425602\n");
    assert_eq!(number.map(|config| config.tokens), Ok(vec![437_425_602]));
    let list = parse_config("p:\n  listen: a:1\n  servers: [b:2:1]\n  tokens: 1,1001, 4294967295\n");
    assert_eq!(list.map(|config| config.tokens), Ok(vec![1, 1001, u32::MAX]));
    let too_big = parse_config("p:\n  listen: a:1\n  servers: [b:2:1]\n  tokens: 4294967296\n").unwrap_err();
    assert!(too_big.to_string().contains("comma-separated list of tokens"));
    let empty_part = parse_config("p:\n  listen: a:1\n  servers: [b:2:1]\n  tokens: '1,,2'\n");
    assert!(empty_part.is_err());
    let missing = parse_config("p:\n  listen: a:1\n  servers: [b:2:1]\n").unwrap_err();
    assert!(matches!(missing, ConfigError::MissingKey { key: "tokens", .. }));
}

#[test]
fn rack_datacenter_env() {
    let config = valid("  rack: rack1\n  datacenter: dc1\n  env: network\n");
    assert_eq!(
        (config.rack.as_str(), config.datacenter.as_str(), config.env.as_str()),
        ("rack1", "dc1", "network")
    );
    assert!(error("  rack: 'a:b'\n").contains("without ':'"));
    assert!(error("  datacenter: [a, b]\n").contains("is not a single value"));
}

#[test]
fn seeds() {
    let config = valid("  dyn_seeds:\n  - 127.0.0.2:8101:rack2:dc2:1383429731\n  - h:8101:r:d:1,2\n");
    assert_eq!(config.dyn_seeds.len(), 2);
    assert_eq!(config.dyn_seeds[0].to_string(), "127.0.0.2:8101:rack2:dc2:1383429731");
    assert_eq!(config.dyn_seeds[1].tokens, vec![1, 2]);
    assert!(
        error("  dyn_seeds:\n  - 127.0.0.5:8101:DC1:5\n").contains("is not host:port:rack:datacenter:tokens")
    );
    assert!(error("  dyn_seeds:\n  - h:x:r:d:1\n").contains("host:port:rack"));
    assert!(error("  dyn_seeds:\n  - h:1:r:d:x\n").contains("list of tokens"));
    assert!(error("  dyn_seeds: []\n").contains("non-empty list"));
}

#[test]
fn seed_provider() {
    assert_eq!(valid("  dyn_seed_provider: simple_provider\n").dyn_seed_provider, SeedProvider::Simple);
    assert_eq!(valid("  dyn_seed_provider: dns_provider\n").dyn_seed_provider, SeedProvider::Dns);
    assert_eq!(valid("  dyn_seed_provider: florida_provider\n").dyn_seed_provider, SeedProvider::Florida);
    assert!(error("  dyn_seed_provider: magic\n").contains("allowed: simple_provider"));
}

#[test]
fn peer_heartbeat_timeout() {
    let config = valid("  peer_heartbeat_timeout: 3000\n");
    assert_eq!((config.peer_heartbeat_timeout_ms, config.peer_heartbeat_interval_ms()), (3_000, 1_000));
    assert_eq!(valid("  peer_heartbeat_timeout: 100\n").peer_heartbeat_timeout_ms, 100);
    assert!(error("  peer_heartbeat_timeout: 99\n").contains("out of range; allowed: 100..=60000"));
    assert!(error("  peer_heartbeat_timeout: 60001\n").contains("out of range; allowed: 100..=60000"));
    assert!(error("  peer_heartbeat_timeout: 1s\n").contains("is not a non-negative integer"));
}

#[test]
fn keys_without_effect_warn_once_each() {
    let config = valid(
        "  mbuf_size: 512\n  max_msgs: 100000\n  dyn_read_timeout: 5\n  enable_gossip: false\n  \
         read_repairs_enabled: true\n  pem_key_file: k.pem\n",
    );
    let lines = no_effect_lines(&config);
    assert_eq!(
        lines,
        [
            "dyn_read_timeout has no effect in dynomite-rs: peer requests are bounded by timeout, and silent \
             peer links by peer_heartbeat_timeout",
            "pem_key_file has no effect in dynomite-rs: secure_server_option is none, so no peer link uses TLS",
            "mbuf_size has no effect in dynomite-rs: buffers grow as data arrives",
            "max_msgs has no effect in dynomite-rs: each connection's queues have fixed bounds of their own",
        ]
    );
    let tls = valid("  secure_server_option: all\n  pem_key_file: k.pem\n");
    assert!(tls.warnings().is_empty(), "the key file is used under TLS: {:?}", tls.warnings());
}

#[test]
fn consistency() {
    let config = valid("  read_consistency: DC_QUORUM\n  write_consistency: dc_Each_Safe_Quorum\n");
    assert_eq!(config.read_consistency, Consistency::DcQuorum);
    assert_eq!(config.write_consistency, Consistency::DcEachSafeQuorum);
    assert_eq!(
        error("  read_consistency: dc_two\n"),
        "dyn_o_mite.read_consistency: 'dc_two' is not a consistency level; \
         allowed: dc_one, dc_quorum, dc_safe_quorum, dc_each_safe_quorum"
    );
    assert_eq!("DC_SAFE_QUORUM".parse(), Ok(Consistency::DcSafeQuorum));
    assert_eq!(Consistency::DcSafeQuorum.to_string(), "DC_SAFE_QUORUM");
    assert!("dc_all".parse::<Consistency>().is_err());
}

#[test]
fn durations() {
    let config = valid(
        "  timeout: 10000\n  server_retry_timeout: 200000\n  dyn_read_timeout: 1\n  dyn_write_timeout: '7'\n  \
         gos_interval: 10000\n  stats_interval: 60000\n",
    );
    assert_eq!((config.timeout_ms, config.server_retry_timeout_ms), (10_000, 200_000));
    assert_eq!((config.dyn_read_timeout_ms, config.dyn_write_timeout_ms), (1, 7));
    assert_eq!((config.gossip_interval_ms, config.stats_interval_ms), (10_000, 60_000));
    assert!(error("  timeout: 0\n").contains("out of range; allowed: 1..=3600000"));
    assert!(error("  timeout: -5\n").contains("is not a non-negative integer"));
    assert!(error("  gos_interval: 1.5\n").contains("is not a non-negative integer"));
    assert!(error("  dyn_read_timeout: 99999999999999999999999\n").contains("out of range"));
}

#[test]
fn gossip_down_after_defaults_to_four_intervals_and_needs_two() {
    assert_eq!(valid("").gossip_down_after_ms, 120_000);
    let config = valid("  enable_gossip: true\n  gos_interval: 200\n");
    assert_eq!((config.gossip_interval_ms, config.gossip_down_after_ms), (200, 800));
    let config = valid("  enable_gossip: true\n  gos_interval: 200\n  gossip_down_after: 400\n");
    assert_eq!(config.gossip_down_after_ms, 400);
    assert!(config.warnings.iter().all(|warning| !warning.key().contains("gos")), "{:?}", config.warnings);
    assert!(error("  gos_interval: 200\n  gossip_down_after: 399\n").contains("at least 2 x gos_interval"));
    // Accepted and ignored only with gossip off, and then said so.
    let keys: Vec<_> = valid("  gos_interval: 200\n  gossip_down_after: 400\n")
        .warnings
        .iter()
        .map(|warning| warning.key())
        .collect();
    assert!(keys.contains(&"gos_interval") && keys.contains(&"gossip_down_after"), "{keys:?}");
}

#[test]
fn booleans() {
    let config = valid(
        "  preconnect: false\n  auto_eject_hosts: false\n  enable_gossip: true\n  read_repairs_enabled: true\n",
    );
    assert!(!config.preconnect && !config.auto_eject_hosts);
    assert!(config.enable_gossip && config.read_repairs_enabled && config.crdt_enabled);
    assert!(error("  preconnect: yes\n").contains("'yes' is not true or false"));
    assert!(error("  enable_gossip: 1\n").contains("true or false"));
}

#[test]
fn counts() {
    let config = valid(
        "  server_failure_limit: 5\n  dyn_connections: 10\n  datastore_connections: 4\n  \
         local_peer_connections: 2\n  remote_peer_connections: 3\n  backlog: 1024\n  client_connections: 10\n  \
         conn_msg_rate: 1000\n",
    );
    assert_eq!((config.server_failure_limit, config.dyn_connections), (5, 10));
    assert_eq!(config.datastore_connections, 4);
    assert_eq!((config.local_peer_connections, config.remote_peer_connections), (2, 3));
    assert_eq!(
        (config.backlog, config.client_connections, config.connection_messages_per_second),
        (1024, 10, 1000)
    );
    assert!(error("  dyn_connections: 0\n").contains("out of range"));
    assert!(error("  datastore_connections: 0\n").contains("allowed: 1..=64"));
    assert!(error("  local_peer_connections: 65\n").contains("allowed: 1..=64"));
    assert!(error("  remote_peer_connections: many\n").contains("non-negative integer"));
    assert!(error("  server_failure_limit: 0\n").contains("out of range"));
    assert!(error("  backlog: 0\n").contains("out of range"));
    assert!(error("  conn_msg_rate: 0\n").contains("out of range"));
    assert!(error("  client_connections: 2000000\n").contains("out of range"));
}

#[test]
fn buffers() {
    let config = valid("  mbuf_size: 512\n  max_msgs: 100000\n");
    assert_eq!((config.mbuf_size_bytes, config.messages_max), (512, 100_000));
    assert!(error("  mbuf_size: 100\n").contains("allowed: 512..=512000"));
    assert!(error("  mbuf_size: 1000\n").contains("multiple of 16"));
    assert!(error("  max_msgs: 5\n").contains("allowed: 100000..=1000000"));
}

#[test]
fn hash_and_hash_tag() {
    assert_eq!(valid("  hash: murmur\n").hash, HashAlgorithm::Murmur);
    assert!(error("  hash: md5\n").contains("'md5': this hash is not supported yet; supported: murmur"));
    assert!(error("  hash: sha1\n").contains("is not a hash name; allowed: one_at_a_time"));
    assert_eq!(valid("  hash_tag: '{}'\n").hash_tag, Some(HashTag { open: '{', close: '}' }));
    assert!(error("  hash_tag: '{'\n").contains("exactly two characters"));
    assert!(error("  hash_tag: abc\n").contains("exactly two characters"));
}

#[test]
fn security() {
    let config = valid("  secure_server_option: datacenter\n  pem_key_file: k.pem\n  pem_cert_file: c.pem\n  ca_file: ca.pem\n");
    assert_eq!(config.secure_server_option, SecureServerOption::Datacenter);
    assert_eq!(config.pem_key_file, "k.pem");
    assert_eq!((config.pem_cert_file.as_deref(), config.ca_file.as_deref()), (Some("c.pem"), Some("ca.pem")));
    assert_eq!(valid("  secure_server_option: all\n").secure_server_option, SecureServerOption::All);
    assert_eq!(valid("  secure_server_option: rack\n").secure_server_option, SecureServerOption::Rack);
    assert!(error("  secure_server_option: some\n").contains("allowed: none, rack, datacenter, all"));
    let recon = valid("  recon_key_file: a\n  recon_iv_file: b\n");
    assert_eq!((recon.recon_key_file.as_str(), recon.recon_iv_file.as_str()), ("a", "b"));
}

#[test]
fn client_tls() {
    assert_eq!(valid("").client_tls, None);
    let files = "  client_tls_cert_file: c.pem\n  client_tls_key_file: k.pem\n";
    let tls = valid(&format!("  client_tls_listen: 127.0.0.1:6380\n{files}")).client_tls.unwrap();
    assert_eq!(tls.listen.to_string(), "127.0.0.1:6380");
    assert_eq!((tls.cert_file.as_str(), tls.key_file.as_str(), tls.ca_file), ("c.pem", "k.pem", None));
    assert_eq!(tls.auth_clients, ClientCertificates::NotAsked);
    let mutual =
        valid(&format!("  client_tls_listen: 127.0.0.1:6380\n{files}  client_tls_ca_file: ca.pem\n"));
    assert_eq!(mutual.client_tls.unwrap().auth_clients, ClientCertificates::Required);
    let optional = valid(&format!(
        "  client_tls_listen: 127.0.0.1:6380\n{files}  client_tls_ca_file: ca.pem\n  client_tls_auth_clients: optional\n"
    ));
    assert_eq!(optional.client_tls.unwrap().auth_clients, ClientCertificates::Optional);
    assert!(error(files).contains("the client TLS keys need client_tls_listen"));
    assert!(error("  client_tls_listen: 127.0.0.1:6380\n  client_tls_key_file: k.pem\n")
        .contains("client_tls_cert_file"));
    assert!(error("  client_tls_listen: 127.0.0.1:6380\n  client_tls_cert_file: c.pem\n")
        .contains("client_tls_key_file"));
    assert!(
        error(&format!("  client_tls_listen: 127.0.0.1:8102\n{files}")).contains("would bind the same port")
    );
    assert!(error(&format!("  client_tls_listen: 127.0.0.1:6380\n{files}  client_tls_auth_clients: yes\n"))
        .contains("set it, or use client_tls_auth_clients: no"));
    assert!(error(&format!(
        "  client_tls_listen: 127.0.0.1:6380\n{files}  client_tls_auth_clients: maybe\n"
    ))
    .contains("yes, no or optional"));
}

#[test]
fn deprecated_keys_are_accepted_and_reported() {
    let config = valid("  distribution: vnode\n  server_connections: 1\n");
    assert_eq!(config.deprecated_keys, vec!["distribution".to_string(), "server_connections".to_string()]);
    let lines = no_effect_lines(&config);
    assert_eq!(
        lines,
        [
            "distribution is deprecated and ignored (as in C Dynomite)",
            "server_connections is deprecated and ignored (as in C Dynomite)"
        ]
    );
}

#[test]
fn structure_errors() {
    assert_eq!(error("  lisen: 1\n").split(';').next(), Some("dyn_o_mite: unknown key 'lisen'"));
    assert!(error("  lisen: 1\n").contains("did you mean 'listen'?"));
    assert_eq!(error("  tokens: '5'\n"), "dyn_o_mite: key 'tokens' appears twice");
    assert_eq!(error("  timeout:\n"), "dyn_o_mite.timeout: the key has no value");
    assert_eq!(parse_config(""), Err(ConfigError::NoPool));
    assert_eq!(parse_config("just text"), Err(ConfigError::NoPool));
    assert!(matches!(parse_config("a: {}\nb: {}\n"), Err(ConfigError::SeveralPools { count: 2, .. })));
    assert!(matches!(parse_config("a: 5\n"), Err(ConfigError::PoolNotMapping { .. })));
    assert!(matches!(parse_config("a:\n  b: [\n"), Err(ConfigError::Syntax { .. })));
    let large = "#".repeat(keys::CONFIG_TEXT_MAX_BYTES + 1);
    assert!(matches!(parse_config(&large), Err(ConfigError::TooLarge { .. })));
}

#[test]
fn embedded_default_is_valid_and_local() {
    let config = Config::embedded_default(8102);
    assert_eq!(config.listen.to_string(), "127.0.0.1:8102");
    assert_eq!(config.dyn_listen.to_string(), "127.0.0.1:8103");
    assert_eq!(config.stats_listen.to_string(), "127.0.0.1:22222");
    assert_eq!(config.data_store, DataStore::Embedded);
    assert_eq!(config.tokens, vec![0]);
    for port in [0, 1, 22221, 22222, 22223, u16::MAX] {
        let config = Config::embedded_default(port);
        assert_ne!(config.listen.port, config.stats_listen.port);
        assert_ne!(config.dyn_listen.port, config.stats_listen.port);
    }
}

mod never_panics {
    use proptest::prelude::*;

    use super::*;

    /// Lines that look like pool entries, with keys and values drawn from plausible pieces.
    fn entry_line() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            proptest::sample::select(keys::KNOWN_KEYS.to_vec()).prop_map(str::to_string),
            "[a-z_]{1,12}",
        ];
        let value = prop_oneof![
            "[0-9]{0,12}",
            "[a-z0-9.:,{}\\[\\]-]{0,24}",
            Just("- 127.0.0.1:6379:1".to_string()),
            Just("'[::1]:8101'".to_string()),
        ];
        (key, value).prop_map(|(key, value)| format!("  {key}: {value}\n"))
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = parse_config(&text);
        }

        #[test]
        fn arbitrary_pools_never_panic(lines in proptest::collection::vec(entry_line(), 0..12)) {
            let _ = parse_config(&format!("dyn_o_mite:\n{}", lines.concat()));
        }
    }
}

#[test]
fn crdt_and_read_repair() {
    assert!(valid("  crdt_enabled: true\n").crdt_enabled);
    assert!(!valid("  crdt_enabled: true\n").read_repairs_enabled);
    let implied = valid("  read_repairs_enabled: true\n");
    assert!(implied.crdt_enabled && implied.read_repairs_enabled);
    let both = valid("  read_repairs_enabled: true\n  crdt_enabled: true\n");
    assert!(both.crdt_enabled && both.read_repairs_enabled);
    let message = error("  read_repairs_enabled: true\n  crdt_enabled: false\n");
    assert!(message.contains("dyn_o_mite.read_repairs_enabled and dyn_o_mite.crdt_enabled"), "{message}");
    assert!(error("  crdt_enabled: yes\n").contains("'yes' is not true or false"));
}

#[test]
fn anti_entropy_counts_and_durations() {
    let config = valid(
        "  crdt_enabled: true\n  hints_max: 0\n  hints_bytes_max: 1024\n  repair_interval: 0\n  \
         repair_full_interval: 0\n  repair_rate: 5\n  changelog_max: 10\n  tombstone_gc_age: 60000\n  \
         crdt_state_elements_max: 100\n",
    );
    assert_eq!((config.hints_max, config.hints_bytes_max), (0, 1_024));
    assert_eq!((config.repair_interval_ms, config.repair_full_interval_ms), (0, 0));
    assert_eq!((config.repair_rate, config.changelog_max), (5, 10));
    assert_eq!((config.tombstone_gc_age_ms, config.crdt_state_elements_max), (60_000, 100));
    assert!(no_effect_lines(&config).is_empty(), "{:?}", config.warnings());
    assert!(error("  repair_rate: 0\n").contains("repair_rate: 0 is out of range; allowed: 1..=1000000"));
    assert!(error("  changelog_max: 0\n").contains("out of range"));
    assert!(error("  crdt_state_elements_max: 0\n").contains("out of range"));
    assert!(error("  tombstone_gc_age: 0\n").contains("out of range"));
    assert!(error("  repair_interval: 3600001\n").contains("out of range; allowed: 0..=3600000"));
    assert!(error("  hints_max: -1\n").contains("is not a non-negative integer"));
}

#[test]
fn crdt_only_keys_warn_when_crdt_is_off() {
    let config = valid("  repair_rate: 5\n  hints_max: 5\n");
    let lines = no_effect_lines(&config);
    assert_eq!(
        lines,
        ["repair_rate has no effect in dynomite-rs: crdt_enabled is false, so there is no CRDT metadata to \
          repair or collect"]
    );
}
