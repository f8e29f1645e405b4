//! The sample configurations shipped in `runtime-real/conf/` parse, and mean what their comments say.

use dynomite_core::config::{parse_config, Consistency, DataStore, SecureServerOption, SeedProvider};

#[test]
fn redis_single_sample_parses() {
    let config = parse_config(include_str!("../../runtime-real/conf/redis_single.yml"));
    let config = config.unwrap_or_else(|error| panic!("redis_single.yml: {error}"));
    assert_eq!(config.pool_name, "dyn_o_mite");
    assert_eq!(config.listen.to_string(), "127.0.0.1:8102");
    assert_eq!(config.dyn_listen.to_string(), "127.0.0.1:8101");
    assert_eq!(config.data_store, DataStore::Redis);
    assert_eq!(config.server.map(|server| server.endpoint().to_string()), Some("127.0.0.1:22122".into()));
    assert_eq!(config.tokens, vec![437_425_602]);
    assert_eq!(config.dyn_seed_provider, SeedProvider::Simple);
    assert!(config.dyn_seeds.is_empty());
}

#[test]
fn dynomite_multi_datacenter_sample_parses() {
    let config = parse_config(include_str!("../../runtime-real/conf/dynomite.yml"));
    let config = config.unwrap_or_else(|error| panic!("dynomite.yml: {error}"));
    assert_eq!((config.datacenter.as_str(), config.rack.as_str()), ("dc1", "rack1"));
    let seeds: Vec<String> = config.dyn_seeds.iter().map(ToString::to_string).collect();
    assert_eq!(
        seeds,
        [
            "127.0.0.2:8101:rack2:dc1:1383429731",
            "127.0.0.3:8101:rack1:dc2:1383429731",
            "127.0.0.4:8101:rack2:dc2:1383429731"
        ]
    );
    assert_eq!(config.read_consistency, Consistency::DcSafeQuorum);
    assert_eq!(config.write_consistency, Consistency::DcSafeQuorum);
    assert_eq!(config.secure_server_option, SecureServerOption::Datacenter);
    assert_eq!(config.hash_tag.map(|tag| tag.to_string()), Some("{}".into()));
    assert_eq!(config.env, "network");
}

#[test]
fn embedded_sample_parses_without_servers() {
    let config = parse_config(include_str!("../../runtime-real/conf/embedded.yml"));
    let config = config.unwrap_or_else(|error| panic!("embedded.yml: {error}"));
    assert_eq!(config.data_store, DataStore::Embedded);
    assert_eq!(config.server, None);
    assert_eq!(config.tokens, vec![0]);
}

/// C Dynomite's own `conf/redis_dc1.yml`, verbatim apart from this comment.
#[test]
fn netflix_redis_dc1_parses() {
    let yaml = "dyn_o_mite:\n  datacenter: dc1\n  rack: rack1\n  dyn_listen: 127.0.0.1:8101\n  dyn_seeds:\n  \
                - 127.0.0.2:8101:rack2:dc2:1383429731\n  listen: 127.0.0.1:8102\n  servers:\n  - 127.0.0.1:22122:1\n  \
                tokens: '12345678'\n  secure_server_option: datacenter\n  pem_key_file: conf/dynomite.pem\n  \
                data_store: 0\n";
    let config = parse_config(yaml).unwrap_or_else(|error| panic!("redis_dc1.yml: {error}"));
    assert_eq!(config.tokens, vec![12_345_678]);
    assert_eq!(config.dyn_seeds[0].datacenter, "dc2");
}

/// C Dynomite's `conf/redis_single_with_password.yml` (uses the newer `requirepass` key).
#[test]
fn netflix_redis_single_with_password_parses() {
    let yaml = "dyn_o_mite:\n  dyn_listen: 0.0.0.0:8101\n  data_store: 0\n  listen: 0.0.0.0:8102\n  \
                dyn_seed_provider: simple_provider\n  servers:\n  - 127.0.0.1:22122:1\n  tokens: 437425602\n  \
                stats_listen: 0.0.0.0:22222\n  requirepass: helloworld\n";
    let config = parse_config(yaml).unwrap_or_else(|error| panic!("redis_single_with_password.yml: {error}"));
    assert_eq!(config.datastore_password.as_deref(), Some("helloworld"));
}

/// The `local` command's generated config round-trips through the same validation.
#[test]
fn embedded_default_matches_the_embedded_sample_shape() {
    let config = dynomite_core::config::Config::embedded_default(8102);
    assert_eq!(config.data_store, DataStore::Embedded);
    assert_eq!(config.listen.to_string(), "127.0.0.1:8102");
}
