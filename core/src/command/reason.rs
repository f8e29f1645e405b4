//! The reasons shown to clients for refused commands ([`super::Routing::Unsupported`]).

/// MULTI, EXEC, DISCARD, WATCH, UNWATCH.
pub const TRANSACTIONS: &str = "MULTI/EXEC transactions cannot span Dynomite nodes";
/// SUBSCRIBE family, PUBLISH, SPUBLISH, PUBSUB.
pub const PUBSUB: &str = "Pub/Sub is not supported: messages cannot be routed across Dynomite nodes";
/// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BLMPOP, BZMPOP.
pub const BLOCKING: &str =
    "blocking commands are not supported: they would stall a shared datastore connection";
/// XREAD/XREADGROUP with the BLOCK option.
pub const BLOCKING_STREAM_READ: &str =
    "XREAD/XREADGROUP with BLOCK is not supported: it would stall a shared datastore connection";
/// MONITOR.
pub const MONITOR: &str = "MONITOR is not supported; connect to the datastore directly";
/// SYNC, PSYNC, REPLCONF, REPLICAOF, SLAVEOF, FAILOVER, WAIT.
pub const REPLICATION: &str =
    "replication commands are not supported: Dynomite replicates across racks itself";
/// SHUTDOWN.
pub const SHUTDOWN: &str = "SHUTDOWN is not supported; stop the datastore directly";
/// DEBUG, PFDEBUG, PFSELFTEST.
pub const DEBUG: &str = "debugging commands are not supported; connect to the datastore directly";
/// CLUSTER, ASKING, READONLY, READWRITE, RESTORE-ASKING.
pub const CLUSTER: &str = "Redis Cluster commands are not supported: Dynomite is the cluster";
/// MIGRATE.
pub const MIGRATE: &str = "MIGRATE is not supported: Dynomite places keys by token";
/// MOVE, SWAPDB.
pub const DATABASES: &str = "only database 0 exists behind Dynomite";
/// CONFIG SET, CONFIG REWRITE.
pub const CONFIG_CHANGE: &str = concat!(
    "CONFIG SET/REWRITE is not supported: it would change one datastore only; ",
    "configure each datastore directly"
);
/// ACL.
pub const ACL: &str = "ACL is not supported; configure each datastore directly";
/// MODULE LOAD, LOADEX, UNLOAD.
pub const MODULES: &str = "loading modules is not supported: every datastore must offer the same commands";
/// SCRIPT DEBUG.
pub const SCRIPT_DEBUG: &str = "SCRIPT DEBUG is not supported; connect to the datastore directly";
