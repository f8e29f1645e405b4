//! The engine's command table: wire name, Redis arity and handler. Arity follows Redis 7.0's command
//! table (positive: exact argument count including the name; negative: minimum).

use crate::resp::Frame;

use super::{hashes, keyspace, lists, scripting, server, sets, strings, zset_combine, zsets, Call, Store};

/// A command handler; arity is already checked.
pub(crate) type Handler = fn(&mut Store, &Call) -> Frame;

/// One supported command.
pub(crate) struct Command {
    /// Lowercase name, as Redis prints it in errors.
    pub name: &'static str,
    /// Redis arity.
    pub arity: i32,
    /// The implementation.
    pub handler: Handler,
}

impl Command {
    /// True when `count` arguments (name included) satisfy the arity.
    pub fn arity_accepts(&self, count: usize) -> bool {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let arity = i64::from(self.arity);
        if arity >= 0 {
            count == arity
        } else {
            count >= -arity
        }
    }
}

/// The command named `name` (any case).
pub(crate) fn lookup(name: &[u8]) -> Option<&'static Command> {
    COMMANDS.iter().find(|command| name.eq_ignore_ascii_case(command.name.as_bytes()))
}

/// Number of supported commands (COMMAND COUNT).
pub(crate) fn count() -> usize {
    COMMANDS.len()
}

macro_rules! commands {
    ($($name:literal $arity:literal $handler:path;)*) => {
        /// Every supported command.
        static COMMANDS: &[Command] = &[$(Command { name: $name, arity: $arity, handler: $handler }),*];
    };
}

commands! {
    "get" 2 strings::get; "set" -3 strings::set; "getset" 3 strings::getset; "getdel" 2 strings::getdel;
    "getex" -2 strings::getex; "setnx" 3 strings::setnx; "setex" 4 strings::setex;
    "psetex" 4 strings::psetex; "mget" -2 strings::mget; "mset" -3 strings::mset;
    "msetnx" -3 strings::msetnx; "incr" 2 strings::incr; "decr" 2 strings::decr;
    "incrby" 3 strings::incrby; "decrby" 3 strings::decrby; "incrbyfloat" 3 strings::incrbyfloat;
    "append" 3 strings::append; "strlen" 2 strings::strlen; "getrange" 4 strings::getrange;
    "substr" 4 strings::getrange; "setrange" 4 strings::setrange;
    "expire" -3 keyspace::expire; "pexpire" -3 keyspace::pexpire; "expireat" -3 keyspace::expireat;
    "pexpireat" -3 keyspace::pexpireat; "ttl" 2 keyspace::ttl; "pttl" 2 keyspace::pttl;
    "expiretime" 2 keyspace::expiretime; "pexpiretime" 2 keyspace::pexpiretime;
    "persist" 2 keyspace::persist; "del" -2 keyspace::del; "unlink" -2 keyspace::del;
    "exists" -2 keyspace::exists; "type" 2 keyspace::type_of; "keys" 2 keyspace::keys;
    "scan" -2 keyspace::scan; "dbsize" 1 keyspace::dbsize; "flushall" -1 keyspace::flush;
    "flushdb" -1 keyspace::flush; "rename" 3 keyspace::rename; "renamenx" 3 keyspace::renamenx;
    "randomkey" 1 keyspace::randomkey; "touch" -2 keyspace::exists;
    "hset" -4 hashes::hset; "hmset" -4 hashes::hmset; "hsetnx" 4 hashes::hsetnx; "hget" 3 hashes::hget;
    "hmget" -3 hashes::hmget; "hdel" -3 hashes::hdel; "hlen" 2 hashes::hlen;
    "hexists" 3 hashes::hexists; "hgetall" 2 hashes::hgetall; "hkeys" 2 hashes::hkeys;
    "hvals" 2 hashes::hvals; "hincrby" 4 hashes::hincrby; "hincrbyfloat" 4 hashes::hincrbyfloat;
    "hstrlen" 3 hashes::hstrlen; "hscan" -3 hashes::hscan; "hrandfield" -2 hashes::hrandfield;
    "sadd" -3 sets::sadd; "srem" -3 sets::srem; "smembers" 2 sets::smembers;
    "sismember" 3 sets::sismember; "smismember" -3 sets::smismember; "scard" 2 sets::scard;
    "spop" -2 sets::spop; "srandmember" -2 sets::srandmember; "sinter" -2 sets::sinter;
    "sunion" -2 sets::sunion; "sdiff" -2 sets::sdiff; "sinterstore" -3 sets::sinterstore;
    "sunionstore" -3 sets::sunionstore; "sdiffstore" -3 sets::sdiffstore; "smove" 4 sets::smove;
    "sscan" -3 sets::sscan; "sintercard" -3 sets::sintercard;
    "zadd" -4 zsets::zadd; "zrem" -3 zsets::zrem; "zscore" 3 zsets::zscore; "zmscore" -3 zsets::zmscore;
    "zincrby" 4 zsets::zincrby; "zcard" 2 zsets::zcard; "zcount" 4 zsets::zcount;
    "zlexcount" 4 zsets::zlexcount; "zrank" 3 zsets::zrank; "zrevrank" 3 zsets::zrevrank;
    "zrange" -4 zsets::zrange; "zrevrange" -4 zsets::zrevrange; "zrangebyscore" -4 zsets::zrangebyscore;
    "zrevrangebyscore" -4 zsets::zrevrangebyscore; "zrangebylex" -4 zsets::zrangebylex;
    "zrevrangebylex" -4 zsets::zrevrangebylex; "zremrangebyrank" 4 zsets::zremrangebyrank;
    "zremrangebyscore" 4 zsets::zremrangebyscore; "zremrangebylex" 4 zsets::zremrangebylex;
    "zpopmin" -2 zsets::zpopmin; "zpopmax" -2 zsets::zpopmax; "zunionstore" -4 zset_combine::zunionstore;
    "zinterstore" -4 zset_combine::zinterstore; "zscan" -3 zsets::zscan;
    "lpush" -3 lists::lpush; "rpush" -3 lists::rpush; "lpushx" -3 lists::lpushx; "rpushx" -3 lists::rpushx;
    "lpop" -2 lists::lpop; "rpop" -2 lists::rpop; "llen" 2 lists::llen; "lrange" 4 lists::lrange;
    "lindex" 3 lists::lindex; "lset" 4 lists::lset; "linsert" 5 lists::linsert; "lrem" 4 lists::lrem;
    "ltrim" 4 lists::ltrim; "lpos" -3 lists::lpos; "lmove" 5 lists::lmove; "rpoplpush" 3 lists::rpoplpush;
    "ping" -1 server::ping; "echo" 2 server::echo; "info" -1 server::info; "time" 1 server::time;
    "command" -1 server::command; "select" 2 server::select;
    "eval" -3 scripting::eval; "evalsha" -3 scripting::evalsha; "eval_ro" -3 scripting::eval_ro;
    "evalsha_ro" -3 scripting::evalsha_ro; "script" -2 scripting::script;
}

/// Names of every supported command (bare COMMAND).
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|command| command.name)
}
