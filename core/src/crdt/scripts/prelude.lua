-- dynomite-rs CRDT prelude: helpers shared by every CRDT script (concatenated in front of each script
-- text at build time, see core/src/crdt/scripts.rs for the data model and every script's KEYS/ARGV).
-- Lua 5.1 + the Redis scripting API only (redis.call/pcall/error_reply/status_reply): the same text runs
-- on Redis 7 and on the embedded engine.

local META_PREFIX = '_dyn:m:'
local LOG_KEY = '_dyn:log'
-- Timestamp given to data found without metadata (written before CRDT mode or by an uncovered
-- command): newer than "missing" (''), older than every real timestamp.
local ADOPT_TS = '000000000000000000000000'
local WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
local NOT_INTEGER = 'ERR value is not an integer or out of range'
local HASH_NOT_INTEGER = 'ERR hash value is not an integer'
local OVERFLOW = 'ERR increment or decrement would overflow'
-- Counters are exact in Lua doubles up to 2^53 - 1; beyond, the scripts answer the overflow error.
local COUNTER_MAX = 9007199254740991
-- Field and argument chunk for multi-argument calls (even: field/value pairs stay together).
local CHUNK = 1000

-- Set by write scripts from ARGV[1] and ARGV[2]: the coordinator timestamp and the change-log bound.
local TS = ''
local LOG_MAX = 0

-- Cost model (Redis compiles a script once, but every run executes its top level): this top level
-- defines only what the fast paths need (each `local function` is a closure created per run); the
-- general path's helpers are created by lib() when a script needs them. Every redis.call costs about
-- as much as the plain command it replaces (argument objects, reply conversion to Lua and back), so
-- the fast paths read M with one HMGET and skip calls whose effect is known (PERSIST right after a
-- SET, LTRIM while the change log is within its bound).

-- True when a write at `ts` is newer than the stored timestamp `stored` ('' = none).
local function newer(ts, stored)
  return ts > stored -- lww
end

-- A decimal metadata number ('' = 0).
local function num(s)
  if s == '' then return 0 end
  return tonumber(s)
end


-- The id of the counter components this datastore owns (state.rs, "Counters"): `_dyn:id`, created
-- from the timestamp of the first counter op applied here (unique: one op is applied by one
-- datastore). A wiped datastore gets a new id, so its new components never meet the totals other
-- replicas kept of its old ones.
local ID_KEY = '_dyn:id'
local function datastore_id()
  local id = redis.call('GET', ID_KEY)
  if not id then
    id = TS
    redis.call('SET', ID_KEY, id)
  end
  return id -- datastore id
end

local function int2s(n)
  return string.format('%.0f', n)
end

-- The join of two totals of one counter component (decimal, '' = 0): the larger. A component only
-- grows on the replica that owns it, so the larger total holds every op the smaller one holds.
local function total_max(a, b) if num(b) > num(a) then return b end return a end -- component join

-- Redis's string2ll: optional '-', no leading zeros, no spaces; nil when not an integer (or beyond
-- the exact range of a Lua number).
local function parse_int(s)
  if s == '0' then return 0 end
  if not string.match(s, '^%-?[1-9]%d*$') or #s > 17 then return nil end
  local n = tonumber(s)
  if n > COUNTER_MAX or n < -COUNTER_MAX then return nil end
  return n
end

-- Reads ARGV[1] (timestamp) and ARGV[2] (change-log bound) of a write script.
local function write_args()
  TS = ARGV[1]
  LOG_MAX = tonumber(ARGV[2])
end

-- Pushes K to the change log; trims it to LOG_MAX entries only when the push went beyond (the same
-- list as trimming after every push, without a call per write).
local function log_write(key)
  if LOG_MAX > 0 and redis.call('LPUSH', LOG_KEY, key) > LOG_MAX then
    redis.call('LTRIM', LOG_KEY, 0, LOG_MAX - 1)
  end
end

-- Distinct elements of ARGV[first], ARGV[first + step], ... in first-appearance order, with the last
-- value (ARGV[i + 1]) when step is 2.
local function distinct_args(first, step)
  local elements, values = {}, {}
  for i = first, #ARGV, step do
    local element = ARGV[i]
    if values[element] == nil then elements[#elements + 1] = element end
    if step == 2 then values[element] = ARGV[i + 1] else values[element] = true end
  end
  return elements, values
end

-- M's fields t, a, d, xt, xa and then `...` with one HMGET ('' for a missing field); and whether M
-- may exist (false only when none of them is there).
local function meta_fields(m, ...)
  local raw = redis.call('HMGET', m, 't', 'a', 'd', 'xt', 'xa', ...)
  local values, any = {}, false
  for i = 1, #raw do
    if raw[i] then any = true end
    values[i] = raw[i] or ''
  end
  return values, any
end

-- Fast path of a register write without condition or KEEPTTL (SET, SETEX & co., MSET) when the key
-- holds a register or nothing, no expiry has passed (M's live one, if any, and `deadline`, '0' =
-- none): exactly what the general path does there (`set.lua`), with one read of M and no
-- TYPE/EXISTS/PERSIST. False (nothing done) when the general path is needed: a passed expiry, a type
-- change, unmanaged data.
local function fast_set(key, value, deadline)
  local m = META_PREFIX .. key
  local meta, any = meta_fields(m)
  local t, a, d, xt, xa = meta[1], meta[2], meta[3], meta[4], meta[5]
  local was_live = xa ~= '' and xa ~= '0' and xt > d
  if was_live or deadline ~= '0' then
    -- A passed expiry (its deadline at or before the datastore's clock, or its op after it) deletes:
    -- the general path.
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    if was_live and (tonumber(xa) <= now or xt > string.format('%012x', tonumber(xa)) .. '000000000000') then
      return false
    end
    if deadline ~= '0'
      and (tonumber(deadline) <= now or TS > string.format('%012x', tonumber(deadline)) .. '000000000000') then
      return false
    end
  end
  local writes, n = {}, 0
  if t == '' then
    -- Normalized M without a type holds only d, xt, xa; without M, K must be missing (else: adopt).
    if not any and redis.call('EXISTS', key, m) > 0 then return false end
    writes[1] = 't'
    writes[2] = 'string'
    n = 2
  elseif t ~= 'string' then
    return false
  end
  local level = a
  if d > a then level = d end
  local value_applied = newer(TS, level)
  local expiry_applied = newer(TS, xt)
  -- The expiry after this write: the op's deadline when it wins the expiry register (live iff TS > d),
  -- else the one found (TS <= xt then, so it stays unpassed).
  local live, at = was_live, xa
  if expiry_applied then live, at = deadline ~= '0' and TS > d, deadline end
  if value_applied then
    writes[n + 1] = 'a'
    writes[n + 2] = TS
    n = n + 2
    -- SET leaves K without TTL (what PERSIST would do), or with the deadline (PEXPIREAT).
    if live then redis.call('SET', key, value, 'PXAT', at) else redis.call('SET', key, value) end
  elseif live and expiry_applied then
    redis.call('PEXPIREAT', key, at) -- a no-op (0) when K is gone
  elseif expiry_applied then
    redis.call('PERSIST', key)
  end
  if expiry_applied then
    writes[n + 1] = 'xt'
    writes[n + 2] = TS
    n = n + 2
    if xa ~= deadline then
      writes[n + 1] = 'xa'
      writes[n + 2] = deadline
      n = n + 2
    end
  end
  if n > 0 then redis.call('HSET', m, unpack(writes)) end
  if value_applied or expiry_applied then log_write(key) end
  return true
end

-- The state of a key as the `state` and `read` scripts return it: {meta_flat, type, data, pttl}, or
-- nil and the element count when it holds more than `limit` elements. `rtype` (TYPE of K), `fields`
-- (HLEN of M) and `value` (GET of a string K) when the caller has them already.
local function state_of(key, limit, rtype, fields, value)
  local m = META_PREFIX .. key
  rtype = rtype or redis.call('TYPE', key).ok
  fields = fields or redis.call('HLEN', m)
  local size = fields
  if rtype == 'hash' then size = math.max(size, redis.call('HLEN', key))
  elseif rtype == 'set' then size = math.max(size, redis.call('SCARD', key))
  elseif rtype == 'zset' then size = math.max(size, redis.call('ZCARD', key)) end
  if size > limit then return nil, size end
  local data = {}
  if rtype == 'string' then data = value or redis.call('GET', key)
  elseif rtype == 'hash' then data = redis.call('HGETALL', key)
  elseif rtype == 'set' then data = redis.call('SMEMBERS', key)
  elseif rtype == 'zset' then data = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES') end
  local meta = {}
  if fields > 0 then meta = redis.call('HGETALL', m) end
  return { meta, rtype, data, redis.call('PTTL', key) }, size
end

local function too_large(size, limit)
  return string.format('ERR dynomite: crdt state of key holds %d elements, more than %d', size, limit)
end

-- The general path: every helper below, created only when a script calls lib() (a script's fast path
-- for the common case does not, so each call does not pay for creating ~50 closures). Returns them
-- in one table, built once per script run.
local LIB = nil
local function lib()
  if LIB then return LIB end
  local function maxts(a, b)
    if a > b then return a end
    return b
  end

  -- Byte-wise comparison (tie-break of equal timestamps with different values; not locale collation).
  local function bytes_gt(a, b)
    local n = math.min(#a, #b)
    for i = 1, n do
      local x, y = string.byte(a, i), string.byte(b, i)
      if x ~= y then return x > y end
    end
    return #a > #b
  end




  -- A score as ZADD reads it (Redis's strtod rules, NaN rejected); nil when not a valid float.
  local function parse_score(s)
    local lower = string.lower(s)
    if lower == 'inf' or lower == '+inf' or lower == 'infinity' or lower == '+infinity' then return math.huge end
    if lower == '-inf' or lower == '-infinity' then return -math.huge end
    if string.match(s, '^%s') or string.match(s, '%s$') then return nil end
    local n = tonumber(s)
    if n == nil or n ~= n then return nil end
    return n
  end

  local function format_score(n)
    if n == math.huge then return 'inf' end
    if n == -math.huge then return '-inf' end
    return string.format('%.17g', n)
  end

  local function chunked(command, key, list)
    local i = 1
    while i <= #list do
      local j = math.min(i + CHUNK - 1, #list)
      redis.call(command, key, unpack(list, i, j))
      i = j + 1
    end
  end

  -- Metadata hash M of key K, read lazily and written back once by `flush` (in first-change order).
  local function meta_open(key)
    return { key = key, m = META_PREFIX .. key, cache = {}, dirty = {}, order = {}, full = false }
  end

  local function mget(self, field)
    local value = self.cache[field]
    if value == nil then
      if self.full then return '' end
      value = redis.call('HGET', self.m, field) or ''
      self.cache[field] = value
    end
    return value
  end

  -- Sets a metadata field; '' removes it.
  local function mset(self, field, value)
    if mget(self, field) ~= value then
      self.cache[field] = value
      if not self.dirty[field] then
        self.dirty[field] = true
        self.order[#self.order + 1] = field
      end
    end
  end

  -- Loads every field of M into the cache (once); returns the field names (M's order, then new ones).
  local function mload_all(self)
    if not self.names then
      self.names, self.known = {}, {}
      if not self.full then
        local flat = redis.call('HGETALL', self.m)
        for i = 1, #flat, 2 do
          if self.cache[flat[i]] == nil then self.cache[flat[i]] = flat[i + 1] end
          self.names[#self.names + 1] = flat[i]
          self.known[flat[i]] = true
        end
        self.full = true
      end
    end
    local names = {}
    for i = 1, #self.names do names[#names + 1] = self.names[i] end
    for i = 1, #self.order do
      if not self.known[self.order[i]] then names[#names + 1] = self.order[i] end
    end
    return names
  end

  -- Writes the changed fields back; returns how many changed.
  local function flush(self)
    -- Metadata always names its type (the script's default when the key had none).
    if #self.order > 0 and mget(self, 't') == '' and self.kind then mset(self, 't', self.kind) end
    local sets, dels = {}, {}
    for i = 1, #self.order do
      local field = self.order[i]
      local value = self.cache[field]
      if value == '' then dels[#dels + 1] = field else
        sets[#sets + 1] = field
        sets[#sets + 1] = value
      end
    end
    chunked('HSET', self.m, sets)
    chunked('HDEL', self.m, dels)
    local changed = #self.order
    if self.names then
      for i = 1, #self.order do
        if not self.known[self.order[i]] then
          self.names[#self.names + 1] = self.order[i]
          self.known[self.order[i]] = true
        end
      end
    end
    self.dirty, self.order = {}, {}
    return changed
  end

  local function starts(s, prefix)
    return string.sub(s, 1, #prefix) == prefix
  end

  -- Node id (8 hex) of a timestamp.
  local function ts_node(ts)
    return string.sub(ts, 17, 24)
  end

  -- The field of a per-field counter name 'hp:<id>:<f>' / 'hn:' / 'hh:' / 'hs:' (prefix 3 + id 24 + 1).
  local function hfield_of(name)
    return string.sub(name, 29)
  end

  -- The key-level timestamp: the newest add or delete, max(a, d, e:*, r:*, h:*, hh:*) (not xt).
  local function key_level(fields, names)
    local newest = ''
    for i = 1, #names do
      local name = names[i]
      if name == 'a' or name == 'd' or starts(name, 'e:') or starts(name, 'r:') or starts(name, 'h:')
        or starts(name, 'hh:') then
        newest = maxts(newest, fields[name] or '')
      end
    end
    return newest
  end

  -- Suffixes '<n>:<f>' of hash field `field`'s counter components (loads M).
  local function field_components(self, field)
    local names, found = mload_all(self), {}
    for i = 1, #names do
      local name = names[i]
      if starts(name, 'hh:') and hfield_of(name) == field and mget(self, name) ~= '' then
        found[#found + 1] = string.sub(name, 4)
      end
    end
    return found
  end

  local function drop_component(self, prefix_p, prefix_n, prefix_h, suffix)
    mset(self, prefix_p .. suffix, '')
    mset(self, prefix_n .. suffix, '')
    mset(self, prefix_h .. suffix, '')
    if prefix_h == 'h:' then mset(self, 's:' .. suffix, '') else mset(self, 'hs:' .. suffix, '') end
  end

  -- Joins the component (s, p, n, h) into the one named `pre .. 'p:' .. suffix` & co. (pre '' for a
  -- counter, 'h' for a hash field): the newer start s wins whole (the owner started it again after a
  -- delete); on equal starts each total takes the maximum; h takes the maximum (state.rs, "Counters").
  local function join_component(self, pre, suffix, s, p, n, h)
    local fs, fp, fn, fh = pre .. 's:' .. suffix, pre .. 'p:' .. suffix, pre .. 'n:' .. suffix, pre .. 'h:' .. suffix
    local mine = mget(self, fs)
    local last = maxts(mget(self, fh), h)
    if p == '0' then p = '' end -- a zero total is stored as no field, as own_add leaves it
    if n == '0' then n = '' end
    if s > mine then
      mset(self, fs, s)
      mset(self, fp, p)
      mset(self, fn, n)
    elseif s == mine then
      mset(self, fp, total_max(mget(self, fp), p))
      mset(self, fn, total_max(mget(self, fn), n))
    end
    mset(self, fh, last)
  end

  -- Applies `delta` at TS to this datastore's own component (`pre`, `suffix` as in join_component): a
  -- missing one (never created, or pruned by a delete) starts at TS from 0; h = max(h, TS).
  local function own_add(self, pre, suffix, delta)
    local fs, fp, fn, fh = pre .. 's:' .. suffix, pre .. 'p:' .. suffix, pre .. 'n:' .. suffix, pre .. 'h:' .. suffix
    if mget(self, fh) == '' then
      mset(self, fs, TS)
      mset(self, fp, '')
      mset(self, fn, '')
    end
    -- A zero total is stored as no field (as join_component stores it), so replicas compare equal.
    local function total(value) if value == 0 then return '' end return int2s(value) end
    if delta >= 0 then
      mset(self, fp, total(num(mget(self, fp)) + delta))
    else
      mset(self, fn, total(num(mget(self, fn)) - delta))
    end
    mset(self, fh, maxts(mget(self, fh), TS))
    return { mget(self, fs), mget(self, fp), mget(self, fn), mget(self, fh) }
  end

  -- The normalized form of the data model (KeyState::normalize, same rules in the same order): drops
  -- every field at or below a threshold that is kept. Loads M.
  local function normalize(self)
    local names = mload_all(self)
    local d = mget(self, 'd')
    if mget(self, 'a') ~= '' and mget(self, 'a') <= d then mset(self, 'a', '') end
    local fields, seen = {}, {}
    for i = 1, #names do
      local name = names[i]
      local value = mget(self, name)
      if value ~= '' then
        if starts(name, 'h:') and value <= d then
          drop_component(self, 'p:', 'n:', 'h:', string.sub(name, 3))
        elseif starts(name, 'hh:') and not seen[hfield_of(name)] then
          seen[hfield_of(name)] = true
          fields[#fields + 1] = hfield_of(name)
        end
      end
    end
    for i = 1, #fields do
      local field = fields[i]
      local added = mget(self, 'e:' .. field)
      local mask = maxts(added, maxts(mget(self, 'r:' .. field), d))
      local left = false
      local suffixes = field_components(self, field)
      for j = 1, #suffixes do
        if mget(self, 'hh:' .. suffixes[j]) <= mask then drop_component(self, 'hp:', 'hn:', 'hh:', suffixes[j])
        else left = true end
      end
      if left and added ~= '' then
        -- The counter is newer than the field's HSET value: masked for good, its timestamp a tombstone.
        mset(self, 'r:' .. field, maxts(mget(self, 'r:' .. field), added))
        mset(self, 'e:' .. field, '')
      end
    end
    local elements = {}
    seen = {}
    names = mload_all(self)
    for i = 1, #names do
      local name = names[i]
      if (starts(name, 'e:') or starts(name, 'r:')) and not seen[string.sub(name, 3)] then
        seen[string.sub(name, 3)] = true
        elements[#elements + 1] = string.sub(name, 3)
      end
    end
    for i = 1, #elements do
      local element = elements[i]
      local added, removed = mget(self, 'e:' .. element), mget(self, 'r:' .. element)
      if added ~= '' and added <= maxts(removed, d) then mset(self, 'e:' .. element, '') end
      if removed ~= '' and (removed <= d or removed < added) then mset(self, 'r:' .. element, '') end
    end
  end

  -- Σ (p − n) over the components of a normalized M (all live: h:<n> > d); and whether there is one.
  local function counter_sum(self)
    local names = mload_all(self)
    local sum, any = 0, false
    for i = 1, #names do
      local name = names[i]
      if starts(name, 'h:') and mget(self, name) ~= '' then
        local node = string.sub(name, 3)
        sum = sum + num(mget(self, 'p:' .. node)) - num(mget(self, 'n:' .. node))
        any = true
      end
    end
    return sum, any
  end

  -- Σ (hp − hn) over field `field`'s components of a normalized M; and whether it has one.
  local function field_counter_sum(self, field)
    local suffixes = field_components(self, field)
    local sum = 0
    for i = 1, #suffixes do
      sum = sum + num(mget(self, 'hp:' .. suffixes[i])) - num(mget(self, 'hn:' .. suffixes[i]))
    end
    return sum, #suffixes > 0
  end

  -- True when the expiry register still applies: xt > d and a deadline is set.
  local function expiry_live(self)
    local deadline = mget(self, 'xa')
    return deadline ~= '' and deadline ~= '0' and mget(self, 'xt') > mget(self, 'd')
  end

  -- The datastore's clock in Unix ms (TIME, read once per script): the clock K's TTL runs on.
  local CLOCK_MS = nil

  local function now_ms()
    if CLOCK_MS == nil then
      local time = redis.call('TIME')
      CLOCK_MS = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    end
    return CLOCK_MS
  end

  -- (deadline, 0, 0): the timestamp of a deadline (ms, decimal), as the kill rule uses it.
  local function deadline_ts_of(deadline)
    return string.format('%012x', tonumber(deadline)) .. '000000000000'
  end

  -- True when a deadline (ms, not '0') set at timestamp `set` has passed: it is at or before the
  -- datastore's clock, or `set` or `newest` (a timestamp the key holds) is beyond it (state.rs).
  local function deadline_passed(deadline, set, newest)
    return tonumber(deadline) <= now_ms() or maxts(set, newest) > deadline_ts_of(deadline)
  end

  -- Gives K the TTL the metadata says: PEXPIREAT xa when the expiry is live, else none.
  local function settle_ttl(self)
    if expiry_live(self) then
      if redis.call('EXISTS', self.key) == 1 then redis.call('PEXPIREAT', self.key, mget(self, 'xa')) end
    else
      redis.call('PERSIST', self.key) -- a no-op (0) when K is gone or has no TTL
    end
  end

  -- Rebuilds K from the live part of a normalized M; `value` is the register value, `values` the hash
  -- field values or zset scores by element (each live LWW element must have one).
  local function rebuild(self, value, values)
    local key, kind = self.key, mget(self, 't')
    local names = mload_all(self)
    redis.call('DEL', key)
    if kind == 'string' then
      if mget(self, 'a') ~= '' and value then redis.call('SET', key, value) end
    elseif kind == 'counter' then
      local sum, any = counter_sum(self)
      if any then redis.call('SET', key, int2s(sum)) end
    elseif kind == 'hash' or kind == 'set' or kind == 'zset' then
      local writes, seen = {}, {}
      for i = 1, #names do
        local name = names[i]
        if mget(self, name) ~= '' then
          if starts(name, 'e:') then
            local element = string.sub(name, 3)
            if kind == 'set' then writes[#writes + 1] = element
            elseif values[element] then
              if kind == 'hash' then
                writes[#writes + 1] = element
                writes[#writes + 1] = values[element]
              else
                writes[#writes + 1] = values[element]
                writes[#writes + 1] = element
              end
            end
          elseif kind == 'hash' and starts(name, 'hh:') and not seen[hfield_of(name)] then
            local field = hfield_of(name)
            seen[field] = true
            writes[#writes + 1] = field
            writes[#writes + 1] = int2s((field_counter_sum(self, field)))
          end
        end
      end
      if kind == 'hash' then chunked('HSET', key, writes)
      elseif kind == 'set' then chunked('SADD', key, writes)
      else chunked('ZADD', key, writes) end
    end
    settle_ttl(self)
  end

  -- The values K holds now, as `rebuild` takes them.
  local function current_values(self)
    local value, values = false, {}
    if self.rtype == 'string' then value = redis.call('GET', self.key)
    elseif self.rtype == 'hash' then
      local flat = redis.call('HGETALL', self.key)
      for i = 1, #flat, 2 do values[flat[i]] = flat[i + 1] end
    elseif self.rtype == 'zset' then
      local flat = redis.call('ZRANGE', self.key, 0, -1, 'WITHSCORES')
      for i = 1, #flat, 2 do values[flat[i]] = flat[i + 1] end
    end
    return value, values
  end

  -- Raises d to `at`, normalizes and rebuilds K from what stays live.
  local function delete_through(self, at)
    if not (at > mget(self, 'd')) then return end
    local value, values = current_values(self)
    mset(self, 'd', at)
    normalize(self)
    if self.exists then
      rebuild(self, value, values)
      self.rtype = redis.call('TYPE', self.key).ok
      self.exists = self.rtype ~= 'none'
    end
  end

  -- Gives data found without metadata the adopt timestamp, so merges keep it.
  local function adopt(self)
    local rtype = self.rtype
    if rtype == 'string' then
      mset(self, 't', 'string')
      mset(self, 'a', ADOPT_TS)
    elseif rtype == 'hash' or rtype == 'set' or rtype == 'zset' then
      mset(self, 't', rtype)
      local elements
      if rtype == 'hash' then elements = redis.call('HKEYS', self.key)
      elseif rtype == 'set' then elements = redis.call('SMEMBERS', self.key)
      else elements = redis.call('ZRANGE', self.key, 0, -1) end
      for i = 1, #elements do mset(self, 'e:' .. elements[i], ADOPT_TS) end
    end
    local deadline = redis.call('PEXPIRETIME', self.key)
    if deadline > 0 then
      mset(self, 'xt', ADOPT_TS)
      mset(self, 'xa', int2s(deadline))
    end
  end

  -- Notes K's Redis type again (after the script changed K).
  local function refresh(self)
    self.rtype = redis.call('TYPE', self.key).ok
    self.exists = self.rtype ~= 'none'
  end

  -- The kill rule made explicit (state.rs, "Expiry"): when the live expiry has passed (its deadline is
  -- at or before the datastore's clock, or its op or `newest` is beyond the deadline), d rises to
  -- max((xa, 0, 0), xt): the expiry is no longer live, M is normalized and K rebuilt without a TTL.
  local function settle_expiry(self, newest)
    if expiry_live(self) and deadline_passed(mget(self, 'xa'), mget(self, 'xt'), newest) then
      refresh(self)
      delete_through(self, maxts(deadline_ts_of(mget(self, 'xa')), mget(self, 'xt')))
    end
  end

  -- An expiry op at TS with deadline `deadline` (ms, '0' = none) that has passed on its own deletes at
  -- max((deadline, 0, 0), TS), whether or not it wins the expiry register (state.rs, "Expiry"). True when
  -- it raised d.
  local function expire_op(self, deadline)
    if deadline == '0' or not deadline_passed(deadline, TS, '') then return false end
    local at = maxts(deadline_ts_of(deadline), TS)
    if not (at > mget(self, 'd')) then return false end
    refresh(self)
    delete_through(self, at)
    return true
  end

  -- Opens key K for a script of default CRDT type `kind` (written to t when M has none): notes K's Redis
  -- type and adopts unmanaged data. A live expiry that has passed (by the datastore's clock, or because
  -- its op was after its deadline) is folded into d first (settle_expiry), so K holds the live part.
  local function open(key, kind)
    local self = meta_open(key)
    self.kind = kind
    self.rtype = redis.call('TYPE', key).ok
    self.exists = self.rtype ~= 'none'
    self.managed = redis.call('EXISTS', self.m) == 1
    if self.managed then
      -- One round for the key-level fields every script reads.
      local common = { 't', 'a', 'd', 'xt', 'xa' }
      local values = redis.call('HMGET', self.m, unpack(common))
      for i = 1, #common do self.cache[common[i]] = values[i] or '' end
    else
      self.full = true -- M is empty: nothing to read
    end
    if self.exists and not self.managed then adopt(self) end
    -- Every script leaves no timestamp beyond a live deadline, so the key-level timestamp need not be read.
    if self.managed then settle_expiry(self, '') end
    return self
  end

  -- Makes `want` the key's CRDT type for a write at TS whose own key-level timestamp is `op_level`
  -- (TS, or for a SET whose deadline passed the later of TS and that deadline). A write of another type
  -- than t applies only when op_level is newer than the key-level timestamp: d first rises to it (the old
  -- type's data is deleted, as SET deletes a hash in Redis). When it loses, d rises to op_level (as in a
  -- merge, the losing type's key-level timestamp deletes what is older). False when the write lost.
  local function claim(self, want, op_level)
    op_level = op_level or TS
    local current = mget(self, 't')
    if current == want then return true end
    if current ~= '' then
      local names = mload_all(self)
      local level = key_level(self.cache, names)
      if not newer(op_level, level) then
        if op_level > mget(self, 'd') then
          refresh(self)
          delete_through(self, op_level)
        end
        return false
      end
      if level ~= '' then
        mset(self, 'd', maxts(mget(self, 'd'), level))
        normalize(self)
      end
    end
    mset(self, 't', want)
    return true
  end

  -- Default t for ops of no type (DEL, EXPIRE): the covered type K holds, else none (M then holds only
  -- d and the expiry, and such metadata takes no part in type decisions: the result does not depend on
  -- whether the op arrived before or after the key's first typed write).
  local function default_kind(rtype)
    if rtype == 'string' or rtype == 'hash' or rtype == 'set' or rtype == 'zset' then return rtype end
    return nil
  end

  -- Element add at TS: applies iff TS > max(e:<m>, r:<m>, d): e:<m> = TS (and r:<m>, now older, goes).
  local function apply_add(self, element)
    local e, r = 'e:' .. element, 'r:' .. element
    if not newer(TS, maxts(mget(self, e), maxts(mget(self, r), mget(self, 'd')))) then return false end
    mset(self, e, TS)
    mset(self, r, '')
    return true
  end

  -- Element remove at TS: applies iff TS > max(r:<m>, d) and TS > e:<m> (an older remove would be
  -- pruned at once): r:<m> = TS and e:<m> goes. True when applied (the element leaves K).
  local function apply_remove(self, element)
    local e, r = 'e:' .. element, 'r:' .. element
    if not newer(TS, maxts(mget(self, r), mget(self, 'd'))) then return false end
    if not (TS > mget(self, e)) then return false end
    mset(self, r, TS)
    mset(self, e, '')
    return true
  end

  -- Finishes a write that changed something: metadata, change log.
  local function commit(self)
    settle_expiry(self, TS)
    flush(self)
    log_write(self.key)
  end

  -- Merges a replica's state (the `merge` script's arguments, parsed: type, metadata fields and their
  -- names in order, register value, element values) into key K by the rules of merge::merge; returns
  -- the opened key and the count of changes (metadata fields plus values taken on equal timestamps).
  local function merge_in(key, itype, incoming, inames, ivalue, ivalues)
    local L = LIB
    local self = L.open(key, nil)
    local lnames = L.mload_all(self)
    local ltype = L.mget(self, 't')
    local lvalue, lvalues = L.current_values(self)
    -- K of another Redis type than t (left by an uncovered write) holds no CRDT data (KeyState::parse).
    local rtype_of_t = ltype
    if ltype == 'counter' then rtype_of_t = 'string' end
    if self.rtype ~= rtype_of_t then lvalue, lvalues = false, {} end
    if ltype ~= 'string' or L.mget(self, 'a') == '' then lvalue = false end

    -- Equal timestamps: present beats missing, then the larger bytes. A value taken here changes K
    -- without changing M, so it is counted (K is rebuilt and the reply says the replica was stale).
    local taken = 0
    local function pick(mine, theirs)
      if theirs and (not mine or L.bytes_gt(theirs, mine)) then
        taken = taken + 1
        return theirs
      end
      return mine
    end

    -- Type, and the loser's key-level timestamp into d.
    local llevel, ilevel = L.key_level(self.cache, lnames), L.key_level(incoming, inames)
    local kind, loser_level = ltype, ''
    if itype ~= '' and itype ~= ltype then
      if ltype == '' or ilevel > llevel or (ilevel == llevel and L.bytes_gt(itype, ltype)) then
        kind = itype
        if ltype ~= '' then loser_level = llevel end
        lvalue, lvalues = false, {}
      else
        loser_level = ilevel
      end
    end
    if kind ~= '' then L.mset(self, 't', kind) end

    local function is_total(name)
      return L.starts(name, 'p:') or L.starts(name, 'n:') or L.starts(name, 'h:') or L.starts(name, 'hp:')
        or L.starts(name, 'hn:') or L.starts(name, 'hh:')
    end

    for i = 1, #inames do
      local name = inames[i]
      local value = incoming[name]
      if name == 't' or name == 'xa' or is_total(name) then
        -- t is resolved above; xa follows xt; a component's totals and h follow its start s below.
      elseif name == 'xt' then
        local mine = L.mget(self, 'xt')
        local deadline = incoming['xa'] or ''
        if value > mine then
          L.mset(self, 'xt', value)
          L.mset(self, 'xa', deadline)
        elseif value == mine and L.num(deadline) > L.num(L.mget(self, 'xa')) then
          L.mset(self, 'xa', deadline)
        end
      elseif L.starts(name, 's:') or L.starts(name, 'hs:') then
        local pre, suffix = '', string.sub(name, 3)
        if L.starts(name, 'hs:') then pre, suffix = 'h', string.sub(name, 4) end
        local function part(prefix) return incoming[pre .. prefix .. suffix] or '' end
        L.join_component(self, pre, suffix, value, part('p:'), part('n:'), part('h:'))
      elseif name == 'a' then
        local mine = L.mget(self, 'a')
        if value > mine then
          L.mset(self, 'a', value)
          lvalue = ivalue
        elseif value == mine then
          lvalue = pick(lvalue, ivalue)
        end
      elseif L.starts(name, 'e:') then
        local element = string.sub(name, 3)
        local mine = L.mget(self, name)
        if value > mine then
          L.mset(self, name, value)
          lvalues[element] = ivalues[element]
        elseif value == mine then
          lvalues[element] = pick(lvalues[element], ivalues[element])
        end
      else
        -- d, r:<m>: timestamps, the max wins.
        if value > L.mget(self, name) then L.mset(self, name, value) end
      end
    end
    if loser_level > L.mget(self, 'd') then L.mset(self, 'd', loser_level) end
    -- A live expiry that has passed (by the datastore's clock, or the merged data is beyond its deadline)
    -- is folded into d, as every script does (KeyState::settle).
    if L.expiry_live(self) then
      local level = L.key_level(self.cache, L.mload_all(self))
      if L.deadline_passed(L.mget(self, 'xa'), L.mget(self, 'xt'), level) then
        L.mset(self, 'd', L.maxts(L.mget(self, 'd'), L.maxts(L.deadline_ts_of(L.mget(self, 'xa')), L.mget(self, 'xt'))))
      end
    end

    L.normalize(self)
    local changed = L.flush(self) + taken
    if changed > 0 then L.rebuild(self, lvalue, lvalues) end
    return self, changed
  end

  LIB = {
    maxts = maxts,
    bytes_gt = bytes_gt,
    num = num,
    int2s = int2s,
    parse_int = parse_int,
    parse_score = parse_score,
    format_score = format_score,
    chunked = chunked,
    meta_open = meta_open,
    mget = mget,
    mset = mset,
    mload_all = mload_all,
    flush = flush,
    starts = starts,
    ts_node = ts_node,
    hfield_of = hfield_of,
    key_level = key_level,
    field_components = field_components,
    drop_component = drop_component,
    join_component = join_component,
    own_add = own_add,
    normalize = normalize,
    counter_sum = counter_sum,
    field_counter_sum = field_counter_sum,
    expiry_live = expiry_live,
    now_ms = now_ms,
    deadline_ts_of = deadline_ts_of,
    deadline_passed = deadline_passed,
    settle_ttl = settle_ttl,
    rebuild = rebuild,
    current_values = current_values,
    delete_through = delete_through,
    adopt = adopt,
    refresh = refresh,
    settle_expiry = settle_expiry,
    expire_op = expire_op,
    open = open,
    claim = claim,
    default_kind = default_kind,
    apply_add = apply_add,
    apply_remove = apply_remove,
    commit = commit,
    merge_in = merge_in,
  }
  return LIB
end
