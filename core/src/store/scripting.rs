//! Lua scripting in the embedded engine: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT
//! LOAD/EXISTS/FLUSH/HELP/KILL/DEBUG, with Redis 7.0's `redis.*` API.
//!
//! ## Why it exists
//! CRDT mode sends every covered write as `EVALSHA` of a Lua script (see `crate::crdt::scripts`), and
//! the simulator runs the embedded engine: it must run the very script text production sends to
//! Redis and answer what redis-server 7.0.15 answers. `core/tests/store_scripting_vs_redis.rs`
//! compares the two byte for byte.
//!
//! ## How it works
//! One Lua 5.1 state per [`Store`] (`mlua`, vendored C sources), created on the first script and
//! kept; scripts are compiled once per SHA-1 and cached. `redis.call` runs the command on the same
//! store with the script's `now_ms`: for each run the store is moved into a slot the Lua state's
//! `redis.call` reads (and moved back after), so the callbacks are created once, not per run (an
//! `mlua` scope per run cost ~6 µs). Replies convert exactly as Redis documents (RESP→Lua:
//! integer→number, bulk→string, null→false, array→table, status→`{ok=}`, error→`{err=}`, RESP3
//! types after `redis.setresp(3)`; Lua→RESP: number→integer (truncated), string→bulk, array up to
//! the first nil, `{ok=}`→status, `{err=}`→error, true→1, false/nil→null). Errors carry Redis's
//! shapes: `ERR user_script:1: ... script: <sha>, on @user_script:1.`.
//!
//! ## Determinism and sandbox
//! No `os`, `io`, `package` or `debug` library. `math.random` is Redis's: the rand48 generator
//! with Redis's initial state, advancing across scripts of one store (as in Redis 7, which no longer
//! reseeds per script), reseeded only by `math.randomseed`. Globals are read-only like Redis 7's:
//! creating or assigning one fails with `Attempt to modify a readonly table`, reading a missing one
//! with `Script attempted to access nonexistent global variable`. Library tables are read-only
//! proxies (writes fail the same way).
//!
//! ## Limits (named maxima)
//! - [`SCRIPTS_MAX`] scripts and [`SCRIPT_BYTES_MAX`] bytes of script text in the cache; past either,
//!   the least recently used script is dropped (it then answers `NOSCRIPT`, like a flushed cache).
//! - [`LUA_INSTRUCTIONS_MAX`] Lua VM instructions per script run (counted every
//!   [`LUA_HOOK_INSTRUCTIONS`]); past it the script fails with `ERR dynomite: script exceeded ...`
//!   (Redis has no such bound: it would keep running and answer BUSY to everyone else).
//! - [`LUA_MEMORY_MAX`] bytes for the whole Lua state; past it the script fails with Lua's
//!   `not enough memory`.
//! - [`REPLY_DEPTH_MAX`] nesting levels when a script's return value is converted to a reply.
//! - [`BYTECODE_CACHE_MAX`] scripts / [`BYTECODE_CACHE_BYTES_MAX`] bytes in the process-wide cache of
//!   compiled scripts (shared by all stores; past it, scripts compile per Lua state).
//!
//! ## Deliberate differences from Redis
//! - No `cjson`, `cmsgpack` or `struct` library (reading them fails as a missing global); `bit` (Lua
//!   BitOp) is there.
//! - `SCRIPT DEBUG YES|SYNC` is refused (`NO` is accepted); `SCRIPT KILL` answers `NOTBUSY` (a script
//!   cannot be running while a command is executed).
//! - A library table is a proxy: `pairs(string)` sees nothing, `getmetatable(string)` is `false`.
//! - Commands run from a script follow the engine's support list: a command Redis knows but the
//!   engine does not is an error reply `ERR <NAME> is not supported by the embedded datastore`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use bytes::Bytes;
use mlua::{
    ChunkMode, Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, Variadic, VmState,
};

use crate::command::Flag;
use crate::resp::{format_double, Frame, Protocol};

use super::args::{self, is};
use super::{Call, Store};

/// Scripts the cache holds at most; the least recently used is dropped past it.
pub const SCRIPTS_MAX: usize = 1024;
/// Bytes of script text the cache holds at most; the least recently used is dropped past it.
pub const SCRIPT_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Lua VM instructions one script run may execute.
pub const LUA_INSTRUCTIONS_MAX: u64 = 100_000_000;
/// The instruction-count hook fires every this many instructions.
pub const LUA_HOOK_INSTRUCTIONS: u32 = 10_000;
/// Bytes the Lua state may allocate in total.
pub const LUA_MEMORY_MAX: usize = 256 * 1024 * 1024;
/// Nesting levels of a script's return value converted to a reply.
pub const REPLY_DEPTH_MAX: usize = 1000;
/// Scripts whose bytecode the process-wide compile cache keeps (see `bytecode_cache`).
pub const BYTECODE_CACHE_MAX: usize = 256;
/// Bytes of bytecode the process-wide compile cache keeps.
pub const BYTECODE_CACHE_BYTES_MAX: usize = 32 * 1024 * 1024;

/// Chunk name of user scripts (Redis's, so error positions read `user_script:1:`).
const SCRIPT_CHUNK: &str = "@user_script";
/// Chunk name of the engine's own Lua code; error positions skip its frames.
const INTERNAL_CHUNK: &str = "=dynomite";
/// The text of the instruction-limit error (recognised by the error handler).
const INSTRUCTIONS_EXCEEDED: &str = "dynomite: script exceeded lua_instructions_max";
/// Redis's reply to EVALSHA of an unknown script.
const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
/// rand48 state of a fresh Redis process (`x = {0x330E, 0xABCD, 0x1234}`).
const RAND48_INITIAL: u64 = 0x1234_ABCD_330E;
/// `REDIS_LRAND48_MAX`.
const RAND48_MAX: u64 = 0x7fff_ffff;

/// Lines of SCRIPT HELP after the first (Redis 7.0.15's text).
const HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];

/// The script state of one store: the cache of script texts, the rand48 generator and the Lua
/// state (created on first use; a clone starts without one and recompiles from the texts).
pub(crate) struct Scripting {
    /// Cached scripts by lowercase hex SHA-1.
    scripts: BTreeMap<String, CachedScript>,
    /// Bytes of script text in `scripts`.
    script_bytes: usize,
    /// Use counter for least-recently-used eviction.
    tick: u64,
    /// Redis's rand48 state (48 bits), shared with the Lua state's `math.random`.
    rand48: Arc<AtomicU64>,
    /// The Lua state, `None` until the first script (and after SCRIPT FLUSH or a clone).
    vm: Option<Vm>,
}

/// One cached script.
struct CachedScript {
    /// The text as given to EVAL / SCRIPT LOAD (shebang included).
    body: Bytes,
    /// Its shebang flags.
    flags: ScriptFlags,
    /// `tick` of its last use.
    last_used: u64,
}

/// The flags of a `#!lua flags=...` shebang.
#[derive(Clone, Copy, Debug, Default)]
struct ScriptFlags {
    /// No shebang: Redis's EVAL compatibility mode.
    compat: bool,
    /// `no-writes`.
    no_writes: bool,
    /// Bytes of the shebang line (skipped when compiling; its line feed is kept).
    shebang_len: usize,
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting {
            scripts: BTreeMap::new(),
            script_bytes: 0,
            tick: 0,
            rand48: Arc::new(AtomicU64::new(RAND48_INITIAL)),
            vm: None,
        }
    }
}

impl Clone for Scripting {
    fn clone(&self) -> Self {
        let scripts = self
            .scripts
            .iter()
            .map(|(sha, script)| {
                let copy = CachedScript {
                    body: script.body.clone(),
                    flags: script.flags,
                    last_used: script.last_used,
                };
                (sha.clone(), copy)
            })
            .collect();
        Scripting {
            scripts,
            script_bytes: self.script_bytes,
            tick: self.tick,
            rand48: Arc::new(AtomicU64::new(self.rand48.load(Ordering::Relaxed))),
            vm: None,
        }
    }
}

impl fmt::Debug for Scripting {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Scripting")
            .field("scripts", &self.scripts.keys().collect::<Vec<_>>())
            .field("script_bytes", &self.script_bytes)
            .field("lua_state", &self.vm.is_some())
            .finish()
    }
}

impl Scripting {
    /// Marks `sha` used and returns its flags and text, if cached.
    fn touch(&mut self, sha: &str) -> Option<(ScriptFlags, Bytes)> {
        self.tick += 1;
        let tick = self.tick;
        let script = self.scripts.get_mut(sha)?;
        script.last_used = tick;
        Some((script.flags, script.body.clone()))
    }

    /// Caches a script that compiled, dropping least recently used ones past the bounds.
    fn insert(&mut self, sha: String, body: Bytes, flags: ScriptFlags) {
        while !self.scripts.is_empty()
            && (self.scripts.len() >= SCRIPTS_MAX || self.script_bytes + body.len() > SCRIPT_BYTES_MAX)
        {
            let oldest =
                self.scripts.iter().min_by_key(|(_, script)| script.last_used).map(|(sha, _)| sha.clone());
            let Some(oldest) = oldest else { break };
            if let Some(script) = self.scripts.remove(&oldest) {
                self.script_bytes -= script.body.len();
            }
            if let Some(vm) = &self.vm {
                vm.forget(&oldest);
            }
        }
        self.tick += 1;
        self.script_bytes += body.len();
        self.scripts.insert(sha, CachedScript { body, flags, last_used: self.tick });
    }

    /// SCRIPT FLUSH: forgets every script and the Lua state (Redis resets its interpreter too).
    fn flush(&mut self) {
        self.scripts.clear();
        self.script_bytes = 0;
        self.vm = None;
    }

    /// The Lua state, created when missing.
    fn take_vm(&mut self) -> Result<Vm, Frame> {
        match self.vm.take() {
            Some(vm) => Ok(vm),
            None => Vm::new(self.rand48.clone())
                .map_err(|error| Frame::error(format!("ERR dynomite: cannot create the Lua state: {error}"))),
        }
    }
}

/// EVAL script numkeys [key ...] [arg ...].
pub(crate) fn eval(store: &mut Store, call: &Call) -> Frame {
    run_script(store, call, false, false)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...].
pub(crate) fn evalsha(store: &mut Store, call: &Call) -> Frame {
    run_script(store, call, true, false)
}

/// EVAL_RO: EVAL whose script may not write.
pub(crate) fn eval_ro(store: &mut Store, call: &Call) -> Frame {
    run_script(store, call, false, true)
}

/// EVALSHA_RO: EVALSHA whose script may not write.
pub(crate) fn evalsha_ro(store: &mut Store, call: &Call) -> Frame {
    run_script(store, call, true, true)
}

/// SCRIPT LOAD | EXISTS | FLUSH | HELP | KILL | DEBUG.
pub(crate) fn script(store: &mut Store, call: &Call) -> Frame {
    let args = call.args;
    let sub = &args[1];
    let arity_ok = |name: &str, arity: i64| {
        let count = args.len() as i64;
        if (arity >= 0 && count == arity) || (arity < 0 && count >= -arity) {
            Ok(())
        } else {
            Err(args::wrong_arity(&format!("script|{name}")))
        }
    };
    let checked = if is(sub, "load") {
        arity_ok("load", 3)
    } else if is(sub, "exists") {
        arity_ok("exists", -3)
    } else if is(sub, "flush") {
        arity_ok("flush", -2)
    } else if is(sub, "help") {
        arity_ok("help", 2)
    } else if is(sub, "kill") {
        arity_ok("kill", 2)
    } else if is(sub, "debug") {
        arity_ok("debug", 3)
    } else {
        let name = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
        return Frame::error(format!("ERR unknown subcommand '{name}'. Try SCRIPT HELP."));
    };
    if let Err(error) = checked {
        return error;
    }
    if is(sub, "help") {
        Frame::Array(HELP.iter().map(|line| Frame::Simple(Bytes::from_static(line.as_bytes()))).collect())
    } else if is(sub, "flush") {
        match &args[2..] {
            [] => {}
            [mode] if is(mode, "sync") || is(mode, "async") => {}
            _ => return Frame::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
        }
        store.scripting.flush();
        Frame::ok()
    } else if is(sub, "exists") {
        let found = args[2..]
            .iter()
            .map(|sha| {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                Frame::Integer(i64::from(store.scripting.scripts.contains_key(&sha)))
            })
            .collect();
        Frame::Array(found)
    } else if is(sub, "load") {
        match load(store, &args[2]) {
            Ok((sha, _, _)) => Frame::Bulk(Bytes::from(sha)),
            Err(error) => error,
        }
    } else if is(sub, "kill") {
        Frame::error("NOTBUSY No scripts in execution right now.")
    } else if is(&args[2], "no") {
        Frame::ok()
    } else if is(&args[2], "yes") || is(&args[2], "sync") {
        Frame::error("ERR SCRIPT DEBUG is not supported by the embedded datastore")
    } else {
        Frame::error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    }
}

/// Caches (and compiles) `body` unless cached; returns its SHA-1 and flags.
fn load(store: &mut Store, body: &Bytes) -> Result<(String, ScriptFlags, Bytes), Frame> {
    let sha = sha1_hex(body);
    if let Some((flags, body)) = store.scripting.touch(&sha) {
        return Ok((sha, flags, body));
    }
    let flags = shebang_flags(body)?;
    let vm = store.scripting.take_vm()?;
    let compiled = vm.compile(&sha, body, flags);
    store.scripting.vm = Some(vm);
    compiled?;
    store.scripting.insert(sha.clone(), body.clone(), flags);
    Ok((sha, flags, body.clone()))
}

/// The four EVAL commands.
fn run_script(store: &mut Store, call: &Call, by_sha: bool, read_only_command: bool) -> Frame {
    let args = call.args;
    if by_sha && args[1].len() != 40 {
        return Frame::error(NOSCRIPT);
    }
    let numkeys = match args::integer(&args[2]) {
        Ok(numkeys) => numkeys,
        Err(error) => return error,
    };
    let available = (args.len() - 3) as i64;
    if numkeys > available {
        return Frame::error("ERR Number of keys can't be greater than number of args");
    }
    if numkeys < 0 {
        return Frame::error("ERR Number of keys can't be negative");
    }
    let (sha, flags, body) = if by_sha {
        let sha = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
        match store.scripting.touch(&sha) {
            Some((flags, body)) => (sha, flags, body),
            None => return Frame::error(NOSCRIPT),
        }
    } else {
        match load(store, &args[1]) {
            Ok(loaded) => loaded,
            Err(error) => return error,
        }
    };
    if !flags.compat && !flags.no_writes && read_only_command {
        return Frame::error("ERR Can not execute a script with write flag using *_ro command.");
    }
    let read_only = read_only_command || (!flags.compat && flags.no_writes);
    let vm = match store.scripting.take_vm() {
        Ok(vm) => vm,
        Err(error) => return error,
    };
    let split = 3 + numkeys as usize;
    let run = Run { sha: &sha, body: &body, flags, keys: &args[3..split], argv: &args[split..], read_only };
    let reply = vm.run(store, &run, call.now_ms);
    store.scripting.vm = Some(vm);
    reply
}

/// Parses a `#!lua [flags=a,b]` shebang; no shebang is compatibility mode.
fn shebang_flags(body: &[u8]) -> Result<ScriptFlags, Frame> {
    if !body.starts_with(b"#!") {
        return Ok(ScriptFlags { compat: true, no_writes: false, shebang_len: 0 });
    }
    let Some(end) = body.iter().position(|byte| *byte == b'\n') else {
        return Err(Frame::error("ERR Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let parts: Vec<&str> = line.split_ascii_whitespace().collect();
    let Some(engine) = parts.first() else {
        return Err(Frame::error("ERR Invalid engine in script shebang"));
    };
    if *engine != "#!lua" {
        return Err(Frame::error(format!("ERR Unexpected engine in script shebang: {engine}")));
    }
    let mut flags = ScriptFlags { compat: false, no_writes: false, shebang_len: end };
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(Frame::error(format!("ERR Unknown lua shebang option: {part}")));
        };
        if list.is_empty() {
            continue;
        }
        for flag in list.split(',') {
            match flag {
                "no-writes" => flags.no_writes = true,
                "allow-oom" | "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                _ => return Err(Frame::error(format!("ERR Unexpected flag in script shebang: {flag}"))),
            }
        }
    }
    Ok(flags)
}

/// Lowercase hex SHA-1 (Redis's script names and `redis.sha1hex`).
pub fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}

/// One script execution.
struct Run<'a> {
    sha: &'a str,
    body: &'a Bytes,
    flags: ScriptFlags,
    keys: &'a [Bytes],
    argv: &'a [Bytes],
    read_only: bool,
}

/// A Lua state prepared like Redis's: libraries, the `redis` table, protected globals.
struct Vm {
    lua: Lua,
    /// The base library's `xpcall`.
    xpcall: Function,
    /// The error handler that adds the script position (Redis's `__redis__err__handler`).
    handler: Function,
    /// Where `redis.call` finds the store during a run.
    lent: Arc<Mutex<Lent>>,
    /// Backing table of the read-only globals (KEYS and ARGV are set here per run).
    globals: Table,
    /// The protected globals table user scripts run in.
    environment: Table,
    /// Compiled scripts by SHA-1.
    functions: Table,
    /// The protocol `redis.call` replies are shaped for (2 or 3, `redis.setresp`).
    resp: Arc<AtomicU8>,
    /// Instructions executed by the current run (approximate: counted per hook).
    instructions: Arc<AtomicU64>,
}

/// The engine's Lua code, run once per state: builds `redis`, `math.random`, `pcall` and the
/// read-only globals. Arguments: primitives (Rust functions), globals backing table. Every function a
/// script calls that can fail is a Rust (C) function, so a tail call (`return redis.call(...)`) keeps the script's frame for the error position, as in Redis.
const PRELUDE: &str = r#"
local primitives, backing = ...
local G = _G
local error, type, select, unpack, tostring = error, type, select, unpack, tostring
local sub = string.sub
local rawset, setmetatable, pairs, pcall = rawset, setmetatable, pairs, pcall
local readonly = setmetatable({}, {__mode = 'k'})

local function modify_error() error('Attempt to modify a readonly table', 2) end
local function protect(real)
  local proxy = setmetatable({}, {__index = real, __newindex = modify_error, __metatable = false})
  readonly[proxy] = true
  return proxy
end
local wrong_type = 'ERR wrong number or type of arguments'

local redis = {}
redis.call = primitives.call
redis.pcall = primitives.pcall
redis.setresp = primitives.setresp
redis.log = primitives.log
redis.sha1hex = primitives.sha1hex
redis.set_repl = primitives.set_repl
redis.acl_check_cmd = primitives.acl_check_cmd
function redis.error_reply(...)
  local text = ...
  if select('#', ...) ~= 1 or type(text) ~= 'string' then return {err = wrong_type} end
  return {err = primitives.error_text(text)}
end
function redis.status_reply(...)
  local text = ...
  if select('#', ...) ~= 1 or type(text) ~= 'string' then return {err = wrong_type} end
  return {ok = text}
end
function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = '7.0.15', 458767

local math_table = {}
for name, value in pairs(math) do math_table[name] = value end
math_table.random = primitives.random
math_table.randomseed = primitives.randomseed

local function pack(...) return {n = select('#', ...), ...} end
-- Redis 7's pcall: an error table with a string `err` becomes that string; errors raised by the
-- engine's Rust functions become their message.
local check_limit = primitives.check_limit
local function redis_pcall(f, ...)
  local results = pack(pcall(f, ...))
  if not results[1] then
    check_limit()
    local e = results[2]
    if type(e) == 'table' then
      local message = e.err
      if type(message) == 'string' or type(message) == 'number' then e = message end
    elseif type(e) == 'userdata' then
      e = primitives.error_message(e)
    end
    return false, e
  end
  return unpack(results, 1, results.n)
end

-- xpcall and coroutine.resume catch errors too: past the instruction bound, they raise it again.
local raw_xpcall, raw_resume = xpcall, coroutine.resume
local function guarded_xpcall(f, handler)
  local results = pack(raw_xpcall(f, handler))
  if not results[1] then check_limit() end
  return unpack(results, 1, results.n)
end
-- Coroutines are Lua threads: each gets the instruction-count hook.
local coroutine_table = {}
for name, value in pairs(coroutine) do coroutine_table[name] = value end
local raw_create, hook_thread = coroutine.create, primitives.hook_thread
function coroutine_table.create(f)
  local co = raw_create(f)
  hook_thread(co)
  return co
end
function coroutine_table.resume(co, ...)
  local results = pack(raw_resume(co, ...))
  if not results[1] then check_limit() end
  return unpack(results, 1, results.n)
end
function coroutine_table.wrap(f)
  local co = coroutine_table.create(f)
  return function(...)
    local results = pack(raw_resume(co, ...))
    if not results[1] then
      check_limit()
      error(results[2], 0)
    end
    return unpack(results, 2, results.n)
  end
end

local function guarded_rawset(t, k, v)
  if readonly[t] or t == G then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end

for _, name in pairs({'tostring', 'getfenv', 'setmetatable', 'next', 'assert', 'tonumber',
    'rawequal', 'collectgarbage', 'getmetatable', 'type', 'select', 'unpack', 'gcinfo', 'pairs',
    'rawget', 'ipairs', '_VERSION', 'setfenv', 'error', 'newproxy'}) do
  backing[name] = G[name]
end
backing.pcall = redis_pcall
-- Text chunks only (Redis's Lua parses everything as text): a leading space makes the parser read a
-- bytecode-looking string as text (same error as Redis: unexpected symbol near '<\27>').
local raw_loadstring, raw_load = loadstring, load
backing.loadstring = function(source, chunkname)
  if type(source) == 'string' and sub(source, 1, 1) == '\27' then
    return raw_loadstring(' ' .. source, chunkname or source)
  end
  return raw_loadstring(source, chunkname)
end
backing.load = function(reader, chunkname)
  local first = true
  return raw_load(function()
    if first then
      first = false
      return ' '
    end
    return reader()
  end, chunkname)
end
backing.xpcall = guarded_xpcall
backing.rawset = guarded_rawset
backing.string = protect(string)
backing.table = protect(table)
backing.coroutine = protect(coroutine_table)
backing.math = protect(math_table)
backing.bit = protect(primitives.bit)
backing.redis = protect(redis)
backing._G = G
setmetatable(backing, {__index = function(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end, __newindex = modify_error, __metatable = false})
local names = {}
for name in pairs(G) do names[#names + 1] = name end
for _, name in pairs(names) do rawset(G, name, nil) end
setmetatable(G, {__index = backing, __newindex = modify_error, __metatable = false})
readonly[G] = true
"#;

/// Prefix of a Rust-raised error that stands for a Redis error table (`{err=<rest>}`).
const TABLE_ERROR: &str = "\u{1}dynomite-err\u{1}";

/// An error raised as Redis raises an `{err=...}` table; `buffer` as for [`error_text`].
fn table_error(buffer: &[u8]) -> mlua::Error {
    let text = String::from_utf8_lossy(&error_text(buffer)).into_owned();
    mlua::Error::RuntimeError(format!("{TABLE_ERROR}{text}"))
}

/// An error raised as `luaL_error` raises it: the caller's position, then `message`.
fn positioned_error(lua: &Lua, message: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("{}{message}", caller_position(lua)))
}

/// `luaL_where(L, 1)`: `source:line: ` of the function calling the running Rust function.
fn caller_position(lua: &Lua) -> String {
    match lua.inspect_stack(1) {
        Some(frame) if frame.curr_line() > 0 => {
            let source = frame.source().short_src.map(|text| text.into_owned()).unwrap_or_default();
            format!("{source}:{}: ", frame.curr_line())
        }
        _ => String::new(),
    }
}

/// `luaL_checkint`: the argument as a C int, or Lua's "bad argument" error naming the function.
fn check_int(lua: &Lua, args: &[Value], position: usize) -> mlua::Result<i64> {
    let value = args.get(position - 1);
    let number = match value {
        Some(value) => lua.coerce_number(value.clone())?,
        None => None,
    };
    match number {
        Some(number) => Ok(i64::from(truncate(number) as i32)),
        None => {
            let got = value.map_or("no value", |value| match value {
                Value::LightUserData(_) => "userdata",
                other => other.type_name(),
            });
            Err(argument_error(lua, position, &format!("number expected, got {got}")))
        }
    }
}

/// `luaL_argerror`: `bad argument #n to 'name' (message)` at the caller's position.
fn argument_error(lua: &Lua, position: usize, message: &str) -> mlua::Error {
    let name = lua
        .inspect_stack(0)
        .and_then(|frame| frame.names().name.map(|name| name.into_owned()))
        .unwrap_or_else(|| "?".to_string());
    positioned_error(lua, &format!("bad argument #{position} to '{name}' ({message})"))
}

/// Lua's `lua_tonumber` then a C `(int)` cast; 0 when not a number.
fn lua_int(lua: &Lua, value: &Value) -> i64 {
    let number = lua.coerce_number(value.clone()).ok().flatten().unwrap_or(0.0);
    i64::from(truncate(number) as i32)
}

/// The Rust functions of the `redis` table and `math` that do not need the store.
fn primitives(
    lua: &Lua,
    rand48: Arc<AtomicU64>,
    resp: Arc<AtomicU8>,
    instructions: Arc<AtomicU64>,
) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let counter = instructions.clone();
    table.raw_set(
        "hook_thread",
        lua.create_function(move |_, thread: mlua::Thread| {
            thread.set_hook(instruction_triggers(), instruction_hook(counter.clone()));
            Ok(())
        })?,
    )?;
    table.raw_set(
        "check_limit",
        lua.create_function(move |_, ()| {
            if instructions.load(Ordering::Relaxed) >= LUA_INSTRUCTIONS_MAX {
                return Err(mlua::Error::RuntimeError(INSTRUCTIONS_EXCEEDED.to_string()));
            }
            Ok(())
        })?,
    )?;
    table.raw_set(
        "setresp",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(table_error(b"redis.setresp() requires one argument."));
            }
            let version = lua_int(lua, &args[0]);
            if version != 2 && version != 3 {
                return Err(table_error(b"RESP version must be 2 or 3."));
            }
            resp.store(version as u8, Ordering::Relaxed);
            Ok(())
        })?,
    )?;
    table.raw_set(
        "log",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() < 2 {
                return Err(table_error(b"redis.log() requires two arguments or more."));
            }
            if lua.coerce_number(args[0].clone())?.is_none() {
                return Err(table_error(b"First argument must be a number (log level)."));
            }
            if !(0..=3).contains(&lua_int(lua, &args[0])) {
                return Err(table_error(b"Invalid debug level."));
            }
            Ok(())
        })?,
    )?;
    table.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(table_error(b"wrong number of arguments"));
            }
            let text = match &args[0] {
                value @ (Value::String(_) | Value::Integer(_) | Value::Number(_)) => {
                    lua.coerce_string(value.clone())?.map(|text| text.as_bytes().to_vec()).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            Ok(sha1_hex(&text))
        })?,
    )?;
    table.raw_set(
        "set_repl",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(table_error(b"redis.set_repl() requires two arguments."));
            }
            if lua_int(lua, &args[0]) & !3 != 0 {
                let message =
                    b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.";
                return Err(table_error(message));
            }
            Ok(())
        })?,
    )?;
    table.raw_set(
        "acl_check_cmd",
        lua.create_function(|_, args: MultiValue| {
            let words = command_words(args).map_err(|message| table_error(message.as_bytes()))?;
            if spec_of(&words).is_none() {
                return Err(table_error(b"Invalid command passed to redis.acl_check_cmd()"));
            }
            Ok(true)
        })?,
    )?;
    table.raw_set(
        "error_text",
        lua.create_function(|lua, text: mlua::String| {
            let text = text.as_bytes();
            let mut buffer = Vec::with_capacity(text.len() + 1);
            if !text.starts_with(b"-") {
                buffer.push(b'-');
            }
            buffer.extend_from_slice(&text);
            lua.create_string(error_text(&buffer))
        })?,
    )?;
    table.raw_set(
        "error_message",
        lua.create_function(|lua, error: Value| match error {
            Value::Error(error) => {
                let message = match root_message(&error) {
                    Some(message) => message.strip_prefix(TABLE_ERROR).unwrap_or(message).to_string(),
                    None => error.to_string(),
                };
                Ok(Value::String(lua.create_string(message)?))
            }
            other => Ok(other),
        })?,
    )?;
    let state = rand48.clone();
    table.raw_set(
        "random",
        lua.create_function(move |lua, args: Variadic<Value>| {
            let next = rand48_next(state.load(Ordering::Relaxed));
            state.store(next, Ordering::Relaxed);
            let r = ((next >> 17) % RAND48_MAX) as f64 / RAND48_MAX as f64;
            match args.len() {
                0 => Ok(r),
                1 => {
                    let upper = check_int(lua, &args, 1)?;
                    if upper < 1 {
                        return Err(argument_error(lua, 1, "interval is empty"));
                    }
                    Ok((r * upper as f64).floor() + 1.0)
                }
                2 => {
                    let lower = check_int(lua, &args, 1)?;
                    let upper = check_int(lua, &args, 2)?;
                    if lower > upper {
                        return Err(argument_error(lua, 2, "interval is empty"));
                    }
                    Ok((r * (upper - lower + 1) as f64).floor() + lower as f64)
                }
                _ => Err(positioned_error(lua, "wrong number of arguments")),
            }
        })?,
    )?;
    table.raw_set(
        "randomseed",
        lua.create_function(move |lua, args: Variadic<Value>| {
            let seed = check_int(lua, &args, 1)?;
            rand48.store(rand48_seed(seed), Ordering::Relaxed);
            Ok(())
        })?,
    )?;
    table.raw_set("bit", bit_library(lua)?)?;
    Ok(table)
}

/// Lua BitOp's `bit` library (Redis ships it): 32-bit operations on numbers.
fn bit_library(lua: &Lua) -> mlua::Result<Table> {
    let bit = lua.create_table()?;
    type Fold = fn(u32, u32) -> u32;
    let folds: [(&str, Fold); 3] = [("band", |a, b| a & b), ("bor", |a, b| a | b), ("bxor", |a, b| a ^ b)];
    for (name, fold) in folds {
        let function = lua.create_function(move |lua, args: Variadic<Value>| {
            let mut result = bit_argument(lua, &args, 1)?;
            for position in 2..=args.len() {
                result = fold(result, bit_argument(lua, &args, position)?);
            }
            Ok(f64::from(result as i32))
        })?;
        bit.raw_set(name, function)?;
    }
    type Unary = fn(u32) -> u32;
    let unary: [(&str, Unary); 3] = [("tobit", |a| a), ("bnot", |a| !a), ("bswap", u32::swap_bytes)];
    for (name, operation) in unary {
        let function = lua.create_function(move |lua, args: Variadic<Value>| {
            Ok(f64::from(operation(bit_argument(lua, &args, 1)?) as i32))
        })?;
        bit.raw_set(name, function)?;
    }
    type Shift = fn(u32, u32) -> u32;
    let shifts: [(&str, Shift); 5] = [
        ("lshift", |a, n| a << n),
        ("rshift", |a, n| a >> n),
        ("arshift", |a, n| ((a as i32) >> n) as u32),
        ("rol", u32::rotate_left),
        ("ror", u32::rotate_right),
    ];
    for (name, shift) in shifts {
        let function = lua.create_function(move |lua, args: Variadic<Value>| {
            let value = bit_argument(lua, &args, 1)?;
            let count = bit_argument(lua, &args, 2)? & 31;
            Ok(f64::from(shift(value, count) as i32))
        })?;
        bit.raw_set(name, function)?;
    }
    let tohex = lua.create_function(|lua, args: Variadic<Value>| {
        let value = bit_argument(lua, &args, 1)?;
        let digits = if args.len() >= 2 { bit_argument(lua, &args, 2)? as i32 } else { 8 };
        let (upper, digits) = if digits < 0 { (true, digits.unsigned_abs()) } else { (false, digits as u32) };
        let digits = digits.min(8) as usize;
        let text = if upper { format!("{value:08X}") } else { format!("{value:08x}") };
        Ok(text[8 - digits..].to_string())
    })?;
    bit.raw_set("tohex", tohex)?;
    Ok(bit)
}

/// BitOp's argument conversion: a number (or numeric string) rounded to an integer, modulo 2^32.
fn bit_argument(lua: &Lua, args: &[Value], position: usize) -> mlua::Result<u32> {
    let value = args.get(position - 1);
    let number = match value {
        Some(value) => lua.coerce_number(value.clone())?,
        None => None,
    };
    let Some(number) = number else {
        let got = value.map_or("no value", |value| match value {
            Value::LightUserData(_) => "userdata",
            other => other.type_name(),
        });
        return Err(argument_error(lua, position, &format!("number expected, got {got}")));
    };
    // BitOp adds 2^52 + 2^51 and keeps the low 32 bits of the double's representation.
    Ok((number + 6_755_399_441_055_744.0).to_bits() as u32)
}

/// When the instruction-count hook fires.
fn instruction_triggers() -> HookTriggers {
    HookTriggers { every_nth_instruction: Some(LUA_HOOK_INSTRUCTIONS), ..HookTriggers::default() }
}

/// The instruction-count hook: adds to `counter` and fails once past [`LUA_INSTRUCTIONS_MAX`] (and
/// at every later firing, so a script cannot catch it and go on).
fn instruction_hook(
    counter: Arc<AtomicU64>,
) -> impl Fn(&Lua, mlua::Debug) -> mlua::Result<VmState> + Send + 'static {
    move |_, _| {
        let done = counter.fetch_add(u64::from(LUA_HOOK_INSTRUCTIONS), Ordering::Relaxed);
        if done + u64::from(LUA_HOOK_INSTRUCTIONS) >= LUA_INSTRUCTIONS_MAX {
            Err(mlua::Error::RuntimeError(INSTRUCTIONS_EXCEEDED.to_string()))
        } else {
            Ok(VmState::Continue)
        }
    }
}

/// The message of the innermost cause of an error raised inside Lua, when it is a message.
fn root_message(error: &mlua::Error) -> Option<&str> {
    let mut cause = error;
    while let mlua::Error::CallbackError { cause: inner, .. } = cause {
        cause = inner;
    }
    match cause {
        mlua::Error::RuntimeError(message) | mlua::Error::MemoryError(message) => Some(message),
        _ => None,
    }
}

/// Why `redis.call` did not return a reply: the error text and whether it is a command's error
/// reply (Redis then marks the table `ignore_error_stats_update`).
struct CallFailure {
    buffer: Vec<u8>,
    from_reply: bool,
}

impl Vm {
    /// A fresh state; `rand48` is the store's generator state.
    fn new(rand48: Arc<AtomicU64>) -> mlua::Result<Vm> {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::new())?;
        lua.set_memory_limit(LUA_MEMORY_MAX)?;
        let environment = lua.globals();
        let xpcall: Function = environment.get("xpcall")?;
        let resp = Arc::new(AtomicU8::new(2));
        let backing = lua.create_table()?;
        let instructions = Arc::new(AtomicU64::new(0));
        let primitives = primitives(&lua, rand48, resp.clone(), instructions.clone())?;
        let lent = Arc::new(Mutex::new(Lent::default()));
        let (slot, protocol) = (lent.clone(), resp.clone());
        let call = lua.create_function(move |lua, args: MultiValue| {
            match run_command(lua, &slot, &protocol, args)? {
                Ok(value) => Ok(value),
                Err(failure) => Err(table_error(&failure.buffer)),
            }
        })?;
        let (slot, protocol) = (lent.clone(), resp.clone());
        let pcall = lua.create_function(move |lua, args: MultiValue| {
            match run_command(lua, &slot, &protocol, args)? {
                Ok(value) => Ok(value),
                Err(failure) => Ok(Value::Table(error_table(lua, &failure.buffer, failure.from_reply)?)),
            }
        })?;
        primitives.raw_set("call", call)?;
        primitives.raw_set("pcall", pcall)?;
        lua.load(PRELUDE).set_name(INTERNAL_CHUNK).call::<()>((primitives, backing.clone()))?;
        let handler = lua.create_function(error_handler)?;
        lua.set_hook(instruction_triggers(), instruction_hook(instructions.clone()));
        let functions = lua.create_table()?;
        Ok(Vm { lua, xpcall, handler, lent, globals: backing, environment, functions, resp, instructions })
    }

    /// Compiles `body` as script `sha` unless already compiled; the error reply is Redis's.
    fn compile(&self, sha: &str, body: &[u8], flags: ScriptFlags) -> Result<Function, Frame> {
        if let Ok(Value::Function(function)) = self.functions.raw_get::<Value>(sha) {
            return Ok(function);
        }
        if let Some(bytecode) = cached_bytecode(sha) {
            let loaded = self
                .lua
                .load(&bytecode[..])
                .set_name(SCRIPT_CHUNK)
                .set_mode(ChunkMode::Binary)
                .set_environment(self.environment.clone())
                .into_function();
            if let Ok(function) = loaded {
                let _ = self.functions.raw_set(sha, function.clone());
                return Ok(function);
            }
        }
        // Text only, like Redis's Lua (whose parser never reads bytecode: crafted bytecode can corrupt
        // memory). A leading space makes Lua parse a chunk that starts like bytecode as text, so it
        // fails with Redis's syntax error instead of mlua's mode error.
        let source = &body[flags.shebang_len..];
        let source: Cow<'_, [u8]> = match source.first() {
            Some(0x1b) => Cow::Owned([&b" "[..], source].concat()),
            _ => Cow::Borrowed(source),
        };
        let compiled = self
            .lua
            .load(&*source)
            .set_name(SCRIPT_CHUNK)
            .set_mode(ChunkMode::Text)
            .set_environment(self.environment.clone())
            .into_function();
        let function = compiled.map_err(|error| {
            let message = match &error {
                mlua::Error::SyntaxError { message, .. } => message.clone(),
                other => other.to_string(),
            };
            Frame::Error(sanitize(format!("ERR Error compiling script (new function): {message}").as_bytes()))
        })?;
        cache_bytecode(sha, function.dump(false));
        let _ = self.functions.raw_set(sha, function.clone());
        Ok(function)
    }

    /// Drops the compiled function of `sha`.
    fn forget(&self, sha: &str) {
        let _ = self.functions.raw_set(sha, Value::Nil);
    }

    /// Runs a cached script against `store`.
    fn run(&self, store: &mut Store, run: &Run, now_ms: u64) -> Frame {
        let function = match self.compile(run.sha, run.body, run.flags) {
            Ok(function) => function,
            Err(error) => return error,
        };
        let outcome = self.run_function(store, run, now_ms, function);
        let _ = self.globals.raw_set("KEYS", Value::Nil);
        let _ = self.globals.raw_set("ARGV", Value::Nil);
        outcome.unwrap_or_else(|error| {
            Frame::Error(sanitize(format!("ERR dynomite: Lua failure: {error}").as_bytes()))
        })
    }

    fn run_function(
        &self,
        store: &mut Store,
        run: &Run,
        now_ms: u64,
        function: Function,
    ) -> mlua::Result<Frame> {
        let lua = &self.lua;
        self.instructions.store(0, Ordering::Relaxed);
        self.resp.store(2, Ordering::Relaxed);
        let strings =
            |items: &[Bytes]| items.iter().map(|item| lua.create_string(item)).collect::<Result<Vec<_>, _>>();
        self.globals.raw_set("KEYS", lua.create_sequence_from(strings(run.keys)?)?)?;
        self.globals.raw_set("ARGV", lua.create_sequence_from(strings(run.argv)?)?)?;
        {
            let mut lent = lend(&self.lent);
            lent.store = Some(std::mem::take(store));
            lent.now_ms = now_ms;
            lent.read_only = run.read_only;
        }
        let outcome = self.xpcall.call::<MultiValue>((function, self.handler.clone()));
        if let Some(lent) = lend(&self.lent).store.take() {
            *store = lent;
        }
        let mut results = outcome?.into_iter();
        let ok = matches!(results.next(), Some(Value::Boolean(true)));
        let value = results.next().unwrap_or(Value::Nil);
        if ok {
            Ok(lua_to_frame(&value, protocol_of(&self.resp) == Protocol::Resp3, 0))
        } else {
            Ok(failure_frame(lua, value, run.sha))
        }
    }
}

/// Compiled scripts shared by every Lua state of the process (stores of a simulation, stores
/// re-created after SCRIPT FLUSH or a clone): SHA-1 → bytecode with debug info (error positions need
/// the line numbers). Only bytecode this module dumped from script text it compiled goes in; scripts
/// from clients are always compiled as text. Loading it skips the parser (the 16 CRDT scripts take
/// ~10 ms to compile per Lua state).
fn bytecode_cache() -> MutexGuard<'static, BTreeMap<String, Arc<[u8]>>> {
    static CACHE: OnceLock<Mutex<BTreeMap<String, Arc<[u8]>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(BTreeMap::new())).lock().unwrap_or_else(PoisonError::into_inner)
}

fn cached_bytecode(sha: &str) -> Option<Arc<[u8]>> {
    bytecode_cache().get(sha).cloned()
}

/// Remembers the bytecode of `sha` while the cache holds fewer than [`BYTECODE_CACHE_MAX`] scripts
/// and [`BYTECODE_CACHE_BYTES_MAX`] bytes (past either, scripts are compiled per Lua state).
fn cache_bytecode(sha: &str, bytecode: Vec<u8>) {
    let mut cache = bytecode_cache();
    let bytes: usize = cache.values().map(|code| code.len()).sum();
    if cache.len() < BYTECODE_CACHE_MAX && bytes + bytecode.len() <= BYTECODE_CACHE_BYTES_MAX {
        cache.insert(sha.to_string(), bytecode.into());
    }
}

/// The store a script runs against, lent to the Lua state for one run: `redis.call` and
/// `redis.pcall` are created once with the state and find the store here.
#[derive(Default)]
struct Lent {
    /// The store, moved in for the run and moved back after it.
    store: Option<Store>,
    /// The run's clock.
    now_ms: u64,
    /// EVAL_RO / `no-writes`: write commands are refused.
    read_only: bool,
}

fn lend(slot: &Mutex<Lent>) -> MutexGuard<'_, Lent> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `redis.call` / `redis.pcall`: runs a command on the lent store; the reply as a Lua value, or why
/// it failed.
fn run_command(
    lua: &Lua,
    slot: &Mutex<Lent>,
    resp: &AtomicU8,
    args: MultiValue,
) -> mlua::Result<Result<Value, CallFailure>> {
    let words = match command_words(args) {
        Ok(words) => words,
        Err(message) => return Ok(Err(CallFailure { buffer: message.into_bytes(), from_reply: false })),
    };
    let protocol = protocol_of(resp);
    let reply = {
        let mut lent = lend(slot);
        let (now_ms, read_only) = (lent.now_ms, lent.read_only);
        let Some(store) = lent.store.as_mut() else {
            return Err(table_error(b"redis.call/pcall can only be called inside a script invocation"));
        };
        if let Err(message) = allowed_from_script(&words, read_only) {
            return Ok(Err(CallFailure { buffer: message.as_bytes().to_vec(), from_reply: false }));
        }
        store.execute(&words, now_ms, protocol)
    };
    match reply {
        Frame::Error(text) | Frame::BlobError(text) => {
            let mut buffer = Vec::with_capacity(text.len() + 1);
            buffer.push(b'-');
            buffer.extend_from_slice(&text);
            Ok(Err(CallFailure { buffer, from_reply: true }))
        }
        reply => Ok(Ok(frame_to_lua(lua, &reply, protocol)?)),
    }
}

/// The protocol `redis.call` replies are shaped for (`redis.setresp`).
fn protocol_of(resp: &AtomicU8) -> Protocol {
    if resp.load(Ordering::Relaxed) == 3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    }
}

/// Converts `redis.call` arguments to command words (numbers as `%.17g`), or Redis's error text.
fn command_words(args: MultiValue) -> Result<Vec<Bytes>, String> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call".to_string());
    }
    let mut words = Vec::with_capacity(args.len());
    for arg in args {
        let word = match arg {
            Value::String(text) => Bytes::copy_from_slice(&text.as_bytes()),
            Value::Integer(number) => Bytes::from(format_double(number as f64)),
            Value::Number(number) => Bytes::from(format_double(number)),
            _ => return Err("Lua redis lib command arguments must be strings or integers".to_string()),
        };
        words.push(word);
    }
    Ok(words)
}

/// The Redis command spec `words` names (subcommand of a container), if Redis knows it.
fn spec_of(words: &[Bytes]) -> Option<&'static crate::command::CommandSpec> {
    let command = crate::command::lookup(&words[0])?;
    match words.get(1) {
        Some(sub) if command.is_container() => command.subcommand(sub),
        _ => Some(command),
    }
}

/// Redis's checks before a command runs from a script (`scriptCall`).
fn allowed_from_script(words: &[Bytes], read_only: bool) -> Result<(), &'static str> {
    let Some(spec) = spec_of(words) else {
        return Err("Unknown Redis command called from script");
    };
    if !spec.accepts_argument_count(words.len()) {
        return Err("Wrong number of args calling Redis command from script");
    }
    if spec.flags.contains(Flag::Noscript) {
        return Err("This Redis command is not allowed from script");
    }
    if read_only && spec.flags.contains(Flag::Write) {
        return Err("Write commands are not allowed from read-only scripts.");
    }
    Ok(())
}

/// Redis's `luaPushErrorBuff` text: `-CODE message` keeps its code, anything else gets `ERR`;
/// CR/LF trimmed from the message's ends.
fn error_text(buffer: &[u8]) -> Vec<u8> {
    let (code, message): (&[u8], &[u8]) = match buffer.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|byte| *byte == b' ') {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", buffer),
    };
    let is_newline = |byte: &u8| *byte == b'\r' || *byte == b'\n';
    let start = message.iter().position(|byte| !is_newline(byte)).unwrap_or(message.len());
    let end = message.iter().rposition(|byte| !is_newline(byte)).map_or(start, |last| last + 1);
    let mut text = code.to_vec();
    text.push(b' ');
    text.extend_from_slice(&message[start..end.max(start)]);
    text
}

/// A `{err=...}` table for `buffer` (see [`error_text`]); `from_reply` marks a command's error
/// reply (Redis adds `ignore_error_stats_update`).
fn error_table(lua: &Lua, buffer: &[u8], from_reply: bool) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.raw_set("err", lua.create_string(error_text(buffer))?)?;
    if from_reply {
        table.raw_set("ignore_error_stats_update", true)?;
    }
    Ok(table)
}

/// The error handler: turns any error into `{err=..., source=..., line=...}` with the position of
/// the innermost user-script frame (Redis's `__redis__err__handler`).
fn error_handler(lua: &Lua, error: Value) -> mlua::Result<Table> {
    let table = match error {
        Value::Table(table) => table,
        Value::Error(error)
            if root_message(&error).is_some_and(|message| message.starts_with(TABLE_ERROR)) =>
        {
            let message = root_message(&error).unwrap_or_default();
            let table = lua.create_table()?;
            table.raw_set("err", lua.create_string(&message[TABLE_ERROR.len()..])?)?;
            table
        }
        other => {
            let message = describe(lua, other);
            let table = lua.create_table()?;
            table.raw_set("err", lua.create_string(format!("ERR {message}"))?)?;
            table
        }
    };
    let mut level = 0;
    while let Some(frame) = lua.inspect_stack(level) {
        let source = frame.source();
        let internal = source.what == "C" || source.source.as_deref() == Some(INTERNAL_CHUNK);
        if !internal {
            if let Some(name) = source.source {
                table.raw_set("source", lua.create_string(name.as_bytes())?)?;
                table.raw_set("line", frame.curr_line())?;
            }
            break;
        }
        level += 1;
    }
    Ok(table)
}

/// `tostring` of a non-table error value; Rust-side errors by their innermost cause.
fn describe(lua: &Lua, value: Value) -> String {
    match value {
        Value::Error(error) => match root_message(&error) {
            Some(INSTRUCTIONS_EXCEEDED) => {
                format!("{INSTRUCTIONS_EXCEEDED} ({LUA_INSTRUCTIONS_MAX} instructions)")
            }
            Some(message) => message.to_string(),
            None => error.to_string(),
        },
        Value::Nil => "nil".to_string(),
        Value::Boolean(value) => value.to_string(),
        other => match lua.coerce_string(other) {
            Ok(Some(text)) => String::from_utf8_lossy(&text.as_bytes()).into_owned(),
            _ => "(error object is not a string)".to_string(),
        },
    }
}

/// The reply to a failed script (Redis's `luaCallFunction` error branch).
fn failure_frame(lua: &Lua, value: Value, sha: &str) -> Frame {
    let Value::Table(table) = value else {
        let message = describe(lua, value);
        let message: String = message.chars().take(100).collect();
        return Frame::Error(sanitize(format!("ERR Error running script {sha}, {message}").as_bytes()));
    };
    let text_field = |name: &str| -> Option<Vec<u8>> {
        match table.get::<Value>(name).ok()? {
            Value::String(text) => Some(text.as_bytes().to_vec()),
            number @ (Value::Integer(_) | Value::Number(_)) => {
                lua.coerce_string(number).ok().flatten().map(|text| text.as_bytes().to_vec())
            }
            _ => None,
        }
    };
    let mut text = text_field("err").unwrap_or_else(|| b"ERR unknown error".to_vec());
    if let (Some(source), Some(line)) = (text_field("source"), text_field("line")) {
        text.extend_from_slice(format!(" script: {sha}, on ").as_bytes());
        text.extend_from_slice(&source);
        text.push(b':');
        text.extend_from_slice(&line);
        text.push(b'.');
    }
    Frame::Error(sanitize(&text))
}

/// CR and LF become spaces (a simple string or error cannot hold them).
fn sanitize(text: &[u8]) -> Bytes {
    text.iter()
        .map(|byte| if *byte == b'\r' || *byte == b'\n' { b' ' } else { *byte })
        .collect::<Vec<u8>>()
        .into()
}

/// C's `(long long)` of a double on x86-64: truncation, and the "integer indefinite" value
/// (`i64::MIN`) when out of range or NaN.
fn truncate(number: f64) -> i64 {
    let lowest = i64::MIN as f64; // -2^63, exact
    if number.is_nan() || !(lowest..-lowest).contains(&number) {
        i64::MIN
    } else {
        number.trunc() as i64
    }
}

/// A script's return value as a reply (Redis's `luaReplyToRedisReply`); `resp3` is the script's
/// `redis.setresp` choice.
fn lua_to_frame(value: &Value, resp3: bool, depth: usize) -> Frame {
    if depth > REPLY_DEPTH_MAX {
        return Frame::error("ERR reached lua stack limit");
    }
    match value {
        Value::String(text) => Frame::Bulk(Bytes::copy_from_slice(&text.as_bytes())),
        Value::Boolean(flag) if resp3 => Frame::Boolean(*flag),
        Value::Boolean(true) => Frame::Integer(1),
        Value::Integer(number) => Frame::Integer(*number),
        Value::Number(number) => Frame::Integer(truncate(*number)),
        Value::Table(table) => table_to_frame(table, resp3, depth),
        _ => Frame::Null,
    }
}

fn table_to_frame(table: &Table, resp3: bool, depth: usize) -> Frame {
    let field = |name: &str| table.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(text) = field("err") {
        // Redis formats `-<err>`, trims CR/LF at the end and maps the others to spaces.
        let text = text.as_bytes();
        let until_nul = text.iter().position(|byte| *byte == 0).unwrap_or(text.len());
        let text = &text[..until_nul];
        let end = text.iter().rposition(|byte| *byte != b'\r' && *byte != b'\n').map_or(0, |last| last + 1);
        return Frame::Error(sanitize(&text[..end]));
    }
    if let Value::String(text) = field("ok") {
        let text = text.as_bytes();
        let until_nul = text.iter().position(|byte| *byte == 0).unwrap_or(text.len());
        return Frame::Simple(sanitize(&text[..until_nul]));
    }
    match field("double") {
        Value::Number(number) => return Frame::double(number),
        Value::Integer(number) => return Frame::double(number as f64),
        _ => {}
    }
    if let Value::String(text) = field("big_number") {
        return Frame::BigNumber(sanitize(&text.as_bytes()));
    }
    if let Value::Table(verbatim) = field("verbatim_string") {
        let format = verbatim.raw_get::<Value>("format").unwrap_or(Value::Nil);
        let text = verbatim.raw_get::<Value>("string").unwrap_or(Value::Nil);
        if let (Value::String(format), Value::String(text)) = (format, text) {
            let mut tag = [b' '; 3];
            for (slot, byte) in tag.iter_mut().zip(format.as_bytes().iter()) {
                *slot = *byte;
            }
            return Frame::Verbatim { format: tag, text: Bytes::copy_from_slice(&text.as_bytes()) };
        }
    }
    if let Value::Table(map) = field("map") {
        let pairs = map
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(key, value)| {
                (lua_to_frame(&key, resp3, depth + 1), lua_to_frame(&value, resp3, depth + 1))
            })
            .collect();
        return Frame::Map(pairs);
    }
    if let Value::Table(set) = field("set") {
        let members = set
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(key, _)| lua_to_frame(&key, resp3, depth + 1));
        return Frame::Set(members.collect());
    }
    let mut items = Vec::new();
    for index in 1.. {
        match table.raw_get::<Value>(index) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(value) => items.push(lua_to_frame(&value, resp3, depth + 1)),
        }
    }
    Frame::Array(items)
}

/// A `redis.call` reply as a Lua value, as Redis's RESP parser builds it for `protocol`.
fn frame_to_lua(lua: &Lua, frame: &Frame, protocol: Protocol) -> mlua::Result<Value> {
    let resp3 = protocol == Protocol::Resp3;
    let string = |bytes: &[u8]| -> mlua::Result<Value> { Ok(Value::String(lua.create_string(bytes)?)) };
    let wrapped = |name: &str, value: Value| -> mlua::Result<Value> {
        let table = lua.create_table()?;
        table.raw_set(name, value)?;
        Ok(Value::Table(table))
    };
    Ok(match frame {
        Frame::Simple(text) => wrapped("ok", string(text)?)?,
        Frame::Error(text) | Frame::BlobError(text) => {
            let mut buffer = b"-".to_vec();
            buffer.extend_from_slice(text);
            Value::Table(error_table(lua, &buffer, true)?)
        }
        Frame::Integer(number) => Value::Number(*number as f64),
        Frame::Bulk(bytes) => string(bytes)?,
        Frame::Null | Frame::NullArray => {
            if resp3 {
                Value::Nil
            } else {
                Value::Boolean(false)
            }
        }
        Frame::Array(items) | Frame::Push(items) => array(lua, items.iter(), protocol)?,
        Frame::Set(items) if !resp3 => array(lua, items.iter(), protocol)?,
        Frame::Set(items) => {
            let set = lua.create_table()?;
            for item in items {
                set.raw_set(frame_to_lua(lua, item, protocol)?, true)?;
            }
            wrapped("set", Value::Table(set))?
        }
        Frame::Map(pairs) if !resp3 => {
            array(lua, pairs.iter().flat_map(|(key, value)| [key, value]), protocol)?
        }
        Frame::Map(pairs) => {
            let map = lua.create_table()?;
            for (key, value) in pairs {
                map.raw_set(frame_to_lua(lua, key, protocol)?, frame_to_lua(lua, value, protocol)?)?;
            }
            wrapped("map", Value::Table(map))?
        }
        Frame::Double(text) if !resp3 => string(text)?,
        Frame::Double(text) => {
            let number = match &text[..] {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                b"nan" => f64::NAN,
                other => std::str::from_utf8(other).ok().and_then(|text| text.parse().ok()).unwrap_or(0.0),
            };
            wrapped("double", Value::Number(number))?
        }
        Frame::Boolean(flag) if !resp3 => Value::Number(if *flag { 1.0 } else { 0.0 }),
        Frame::Boolean(flag) => Value::Boolean(*flag),
        Frame::BigNumber(text) if !resp3 => string(text)?,
        Frame::BigNumber(text) => wrapped("big_number", string(text)?)?,
        Frame::Verbatim { text, .. } if !resp3 => string(text)?,
        Frame::Verbatim { format, text } => {
            let verbatim = lua.create_table()?;
            verbatim.raw_set("string", string(text)?)?;
            verbatim.raw_set("format", string(format)?)?;
            wrapped("verbatim_string", Value::Table(verbatim))?
        }
        Frame::Attribute { frame, .. } => frame_to_lua(lua, frame, protocol)?,
    })
}

/// A Lua array of converted frames (RESP3 nulls leave holes, as in Redis).
fn array<'a>(lua: &Lua, items: impl Iterator<Item = &'a Frame>, protocol: Protocol) -> mlua::Result<Value> {
    let table = lua.create_table()?;
    for (index, item) in items.enumerate() {
        table.raw_set(index + 1, frame_to_lua(lua, item, protocol)?)?;
    }
    Ok(Value::Table(table))
}

/// One step of rand48: `x = (0x5DEECE66D * x + 0xB) mod 2^48`.
fn rand48_next(state: u64) -> u64 {
    state.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB) & 0xFFFF_FFFF_FFFF
}

/// Redis's `redisSrand48(seed)`: the 32-bit seed in the high bits, `0x330E` below.
fn rand48_seed(seed: i64) -> u64 {
    let seed = seed as i32 as u32;
    (u64::from(seed) << 16) | 0x330E
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand48_matches_redis_first_values() {
        // A fresh redis-server 7.0.15 answers 397 to `EVAL "return math.random(1000)" 0`.
        let state = rand48_next(RAND48_INITIAL);
        let r = ((state >> 17) % RAND48_MAX) as f64 / RAND48_MAX as f64;
        assert_eq!((r * 1000.0).floor() + 1.0, 397.0);
    }

    fn run(store: &mut Store, words: &[&str]) -> Frame {
        let args: Vec<Bytes> = words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect();
        store.execute(&args, 1_700_000_000_000, Protocol::Resp2)
    }

    fn error_of(frame: Frame) -> String {
        match frame {
            Frame::Error(text) => String::from_utf8_lossy(&text).into_owned(),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn runaway_scripts_stop_at_the_instruction_bound() {
        let mut store = Store::new();
        let error = error_of(run(&mut store, &["EVAL", "while true do end", "0"]));
        assert!(error.starts_with("ERR dynomite: script exceeded lua_instructions_max"), "{error}");
        assert!(error.ends_with("on @user_script:1."), "{error}");
        // pcall, xpcall and coroutines cannot swallow it.
        for script in [
            "while true do pcall(function() while true do end end) end",
            "while true do xpcall(function() while true do end end, function(e) return e end) end",
            "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
        ] {
            let error = error_of(run(&mut store, &["EVAL", script, "0"]));
            assert!(error.contains("lua_instructions_max"), "{script}: {error}");
        }
        // The state is still usable.
        assert_eq!(run(&mut store, &["EVAL", "return 7", "0"]), Frame::Integer(7));
    }

    #[test]
    fn memory_is_bounded() {
        let mut store = Store::new();
        let script = "return #string.rep('x', 300 * 1024 * 1024)";
        let error = error_of(run(&mut store, &["EVAL", script, "0"]));
        assert!(error.contains("not enough memory") || error.contains("memory"), "{error}");
        assert_eq!(run(&mut store, &["EVAL", "return 'alive'", "0"]), Frame::bulk("alive"));
    }

    #[test]
    fn cache_drops_least_recently_used_scripts() {
        let mut store = Store::new();
        let first = sha1_hex(b"return 0");
        run(&mut store, &["SCRIPT", "LOAD", "return 0"]);
        for index in 1..=SCRIPTS_MAX {
            let body = format!("return {index}");
            run(&mut store, &["SCRIPT", "LOAD", &body]);
        }
        assert_eq!(store.scripting.scripts.len(), SCRIPTS_MAX);
        assert_eq!(run(&mut store, &["EVALSHA", &first, "0"]), Frame::error(NOSCRIPT));
        let last = sha1_hex(format!("return {SCRIPTS_MAX}").as_bytes());
        assert_eq!(run(&mut store, &["EVALSHA", &last, "0"]), Frame::Integer(SCRIPTS_MAX as i64));
    }

    #[test]
    fn clones_keep_scripts_and_random_state() {
        let mut store = Store::new();
        run(&mut store, &["SCRIPT", "LOAD", "return math.random(1000000)"]);
        let sha = sha1_hex(b"return math.random(1000000)");
        run(&mut store, &["EVALSHA", &sha, "0"]);
        let mut copy = store.clone();
        let original = run(&mut store, &["EVALSHA", &sha, "0"]);
        assert_eq!(run(&mut copy, &["EVALSHA", &sha, "0"]), original);
        assert!(format!("{copy:?}").contains("Scripting"));
    }

    #[test]
    fn scripts_see_the_store_and_its_clock() {
        let mut store = Store::new();
        assert_eq!(
            run(&mut store, &["EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"]),
            Frame::ok()
        );
        assert_eq!(run(&mut store, &["GET", "k"]), Frame::bulk("v"));
        let time = run(&mut store, &["EVAL", "return redis.call('time')[1]", "0"]);
        assert_eq!(time, Frame::bulk("1700000000"));
    }

    #[test]
    fn error_text_keeps_codes() {
        assert_eq!(error_text(b"-WRONGTYPE Operation"), b"WRONGTYPE Operation");
        assert_eq!(error_text(b"-NOCODE"), b"ERR NOCODE");
        assert_eq!(error_text(b"plain text\r\n"), b"ERR plain text");
    }
}
