//! Golden error texts: one bad configuration per key and per structural mistake. Each snapshot's
//! description holds the YAML that produced it, so a reviewer can judge whether the message alone
//! lets an operator fix the file.

use dynomite_core::config::parse_config;

/// A valid pool body that each case edits.
const VALID_BODY: &str =
    "  listen: 127.0.0.1:8102\n  servers:\n  - 127.0.0.1:6379:1\n  tokens: '101134286'\n";

/// A pool made of the valid body plus `extra` lines.
fn pool_with(extra: &str) -> String {
    format!("dyn_o_mite:\n{VALID_BODY}{extra}")
}

/// Cases whose YAML is written out in full.
fn structural_cases() -> Vec<(&'static str, String)> {
    vec![
        ("syntax_error", "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  servers: [127.0.0.1:6379:1\n".into()),
        ("no_pool", "# only a comment\n".into()),
        ("two_pools", format!("dyn_o_mite:\n{VALID_BODY}second_pool:\n{VALID_BODY}")),
        ("pool_not_mapping", "dyn_o_mite: 127.0.0.1:8102\n".into()),
        ("unknown_key_with_suggestion", pool_with("  lisen: 127.0.0.1:8102\n")),
        ("unknown_key_without_suggestion", pool_with("  cluster_mode: yes\n")),
        ("duplicate_key", pool_with("  listen: 127.0.0.1:8103\n")),
        ("empty_value", pool_with("  rack:\n")),
        ("listen_missing", "dyn_o_mite:\n  servers:\n  - 127.0.0.1:6379:1\n  tokens: '1'\n".into()),
        ("servers_missing", "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  tokens: '1'\n".into()),
        (
            "servers_without_weight",
            "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  servers:\n  - 127.0.0.1:6379\n  tokens: '1'\n".into(),
        ),
        (
            "servers_two",
            "dyn_o_mite:\n  listen: a:1\n  servers:\n  - a:6379:1\n  - b:6379:1\n  tokens: '1'\n".into(),
        ),
        (
            "tokens_missing",
            "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  servers:\n  - 127.0.0.1:6379:1\n".into(),
        ),
        (
            "tokens_not_numbers",
            "dyn_o_mite:\n  listen: a:1\n  servers:\n  - a:6379:1\n  tokens: 1,two\n".into(),
        ),
    ]
}

/// Cases that add one bad key to the valid body.
fn key_cases() -> Vec<(&'static str, &'static str)> {
    vec![
        ("listen_without_port", "  dyn_listen: 127.0.0.1\n"),
        ("stats_listen_unix_socket", "  stats_listen: /var/run/dynomite.sock\n"),
        ("dyn_listen_port_out_of_range", "  dyn_listen: 0.0.0.0:65536\n"),
        ("listeners_share_a_port", "  stats_listen: 0.0.0.0:8102\n"),
        ("data_store_memcached", "  data_store: 1\n"),
        ("data_store_unknown", "  data_store: rocksdb\n"),
        ("dyn_seeds_without_rack", "  dyn_seeds:\n  - 127.0.0.5:8101:DC1:5,5005\n"),
        ("dyn_seed_provider_unknown", "  dyn_seed_provider: consul_provider\n"),
        ("read_consistency_unknown", "  read_consistency: dc_two\n"),
        ("write_consistency_list", "  write_consistency: [dc_one]\n"),
        ("secure_server_option_unknown", "  secure_server_option: everything\n"),
        ("timeout_zero", "  timeout: 0\n"),
        ("server_retry_timeout_negative", "  server_retry_timeout: -1\n"),
        ("gos_interval_with_unit", "  gos_interval: 30s\n"),
        ("preconnect_not_boolean", "  preconnect: yes\n"),
        ("server_failure_limit_zero", "  server_failure_limit: 0\n"),
        ("hash_not_supported_yet", "  hash: fnv1a_64\n"),
        ("hash_unknown", "  hash: sha256\n"),
        ("hash_tag_one_character", "  hash_tag: '{'\n"),
        ("mbuf_size_not_multiple_of_16", "  mbuf_size: 1000\n"),
        ("max_msgs_too_small", "  max_msgs: 10\n"),
        ("datastore_connections_zero", "  datastore_connections: 0\n"),
        ("remote_peer_connections_too_many", "  remote_peer_connections: 1000\n"),
        ("dyn_connections_zero", "  dyn_connections: 0\n"),
        ("rack_with_colon", "  rack: 'rack:1'\n"),
        ("enable_gossip_not_boolean", "  enable_gossip: on\n"),
        ("peer_heartbeat_timeout_too_small", "  peer_heartbeat_timeout: 50\n"),
        ("gossip_down_after_under_two_intervals", "  gos_interval: 1000\n  gossip_down_after: 1500\n"),
        ("gossip_down_after_under_default_interval", "  gossip_down_after: 30000\n"),
        ("gossip_down_after_with_unit", "  gossip_down_after: 5s\n"),
        ("peer_heartbeat_timeout_with_unit", "  peer_heartbeat_timeout: 1.5s\n"),
        ("read_repairs_without_crdt", "  read_repairs_enabled: true\n  crdt_enabled: false\n"),
        ("crdt_enabled_not_boolean", "  crdt_enabled: 1\n"),
        ("hints_max_too_many", "  hints_max: 20000000\n"),
        ("hints_bytes_max_with_unit", "  hints_bytes_max: 16MiB\n"),
        ("repair_interval_too_long", "  repair_interval: 3600001\n"),
        ("repair_full_interval_negative", "  repair_full_interval: -1\n"),
        ("repair_rate_zero", "  repair_rate: 0\n"),
        ("changelog_max_zero", "  changelog_max: 0\n"),
        ("tombstone_gc_age_zero", "  tombstone_gc_age: 0\n"),
        ("crdt_state_elements_max_zero", "  crdt_state_elements_max: 0\n"),
        ("peer_secret_too_short", "  peer_secret: tooshort\n"),
        ("client_tls_cert_without_listen", "  client_tls_cert_file: /etc/dynomite/client.crt\n"),
        ("client_tls_listen_without_cert", "  client_tls_listen: 0.0.0.0:6380\n  client_tls_key_file: k.pem\n"),
        (
            "client_tls_listen_without_key",
            "  client_tls_listen: 0.0.0.0:6380\n  client_tls_cert_file: c.pem\n",
        ),
        (
            "client_tls_auth_clients_unknown",
            "  client_tls_listen: 0.0.0.0:6380\n  client_tls_cert_file: c.pem\n  client_tls_key_file: k.pem\n  \
             client_tls_auth_clients: sometimes\n",
        ),
        (
            "client_tls_auth_clients_without_ca",
            "  client_tls_listen: 0.0.0.0:6380\n  client_tls_cert_file: c.pem\n  client_tls_key_file: k.pem\n  \
             client_tls_auth_clients: yes\n",
        ),
        (
            "client_tls_listen_shares_a_port",
            "  client_tls_listen: 0.0.0.0:8102\n  client_tls_cert_file: c.pem\n  client_tls_key_file: k.pem\n",
        ),
    ]
}

fn assert_error_snapshot(name: &str, yaml: &str) {
    let text = match parse_config(yaml) {
        Ok(config) => panic!("case {name} unexpectedly parsed: {config:?}"),
        Err(error) => error.to_string(),
    };
    insta::with_settings!({ description => yaml, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn structural_error_texts() {
    for (name, yaml) in structural_cases() {
        assert_error_snapshot(name, &yaml);
    }
}

#[test]
fn per_key_error_texts() {
    for (name, extra) in key_cases() {
        assert_error_snapshot(name, &pool_with(extra));
    }
}

/// Every key accepted without effect, set at once: the startup warning lines, in order.
#[test]
fn warning_texts() {
    let extra = "  distribution: vnode\n  server_connections: 1\n  dyn_read_timeout: 100\n  \
                 dyn_write_timeout: 100\n  dyn_port: 8101\n  dyn_connections: 10\n  gos_interval: 1000\n  \
                 pem_key_file: k.pem\n  pem_cert_file: c.pem\n  ca_file: ca.pem\n  recon_key_file: r.pem\n  \
                 recon_iv_file: i.pem\n  env: aws\n  conn_msg_rate: 10\n  stats_interval: 1000\n  \
                 enable_gossip: true\n  mbuf_size: 16384\n  max_msgs: 200000\n  \
                 crdt_enabled: false\n  repair_interval: 1000\n  repair_full_interval: 0\n  repair_rate: 10\n  \
                 changelog_max: 10\n  tombstone_gc_age: 1000\n  crdt_state_elements_max: 10\n";
    let yaml = pool_with(extra);
    let config = parse_config(&yaml).unwrap_or_else(|error| panic!("warning case: {error}"));
    let lines: Vec<String> = config.warnings().iter().map(ToString::to_string).collect();
    insta::with_settings!({ description => yaml, omit_expression => true }, {
        insta::assert_snapshot!("warnings_every_key_without_effect", lines.join("\n"));
    });
}
