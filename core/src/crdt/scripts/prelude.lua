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

-- True when a write at `ts` is newer than the stored timestamp `stored` ('' = none).
local function newer(ts, stored)
  return ts > stored -- lww
end

-- True when a counter op at `ts` from a node was not yet applied (`stored` = that node's h field).
local function counter_fresh(ts, stored)
  return ts > stored -- counter
end

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

-- A decimal metadata number ('' = 0).
local function num(s)
  if s == '' then return 0 end
  return tonumber(s)
end

local function int2s(n)
  return string.format('%.0f', n)
end

-- Redis's string2ll: optional '-', no leading zeros, no spaces; nil when not an integer (or beyond
-- the exact range of a Lua number).
local function parse_int(s)
  if s == '0' then return 0 end
  if not string.match(s, '^%-?[1-9]%d*$') or #s > 17 then return nil end
  local n = tonumber(s)
  if n > COUNTER_MAX or n < -COUNTER_MAX then return nil end
  return n
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

-- Loads every field of M into the cache; returns the field names (M's order, then new ones).
local function mload_all(self)
  if not self.full then
    local flat = redis.call('HGETALL', self.m)
    for i = 1, #flat, 2 do
      if self.cache[flat[i]] == nil then self.cache[flat[i]] = flat[i + 1] end
    end
    self.full = true
  end
  local names = {}
  for i = 1, #self.order do names[#names + 1] = self.order[i] end
  local flat = redis.call('HKEYS', self.m)
  for i = 1, #flat do
    if not self.dirty[flat[i]] then names[#names + 1] = flat[i] end
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
  self.dirty, self.order = {}, {}
  return changed
end

local function log_write(key)
  if LOG_MAX > 0 then
    redis.call('LPUSH', LOG_KEY, key)
    redis.call('LTRIM', LOG_KEY, 0, LOG_MAX - 1)
  end
end

local function starts(s, prefix)
  return string.sub(s, 1, #prefix) == prefix
end

-- Node id (8 hex) of a timestamp.
local function ts_node(ts)
  return string.sub(ts, 17, 24)
end

-- The field of a per-field counter name 'hp:<n>:<f>' / 'hn:' / 'hh:' (prefix length 3 + 9).
local function hfield_of(name)
  return string.sub(name, 13)
end

-- The key-level timestamp: the newest add of any kind, max(a, e:*, h:*, hh:*), over a field table.
local function newest_add(fields, names)
  local newest = ''
  for i = 1, #names do
    local name = names[i]
    if name == 'a' or starts(name, 'e:') or starts(name, 'h:') or starts(name, 'hh:') then
      newest = maxts(newest, fields[name] or '')
    end
  end
  return newest
end


-- Liveness (core/src/crdt/state.rs). Inside a script the kill timestamp is d: a passed deadline was
-- folded into d when the script found K expired (see `open`).

-- Σ (p − n) over the key's counter components newer than max(a, d); and whether any is live.
local function counter_live(self)
  local names = mload_all(self)
  local mask = maxts(mget(self, 'a'), mget(self, 'd'))
  local sum, any = 0, false
  for i = 1, #names do
    local name = names[i]
    if starts(name, 'h:') then
      local last = mget(self, name)
      if last ~= '' and last > mask then
        local node = string.sub(name, 3)
        sum = sum + num(mget(self, 'p:' .. node)) - num(mget(self, 'n:' .. node))
        any = true
      end
    end
  end
  return sum, any
end

-- Suffixes '<n>:<f>' of hash field `field`'s counter components.
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

-- The mask of field `field`'s counter components: max(e:<f>, r:<f>, d).
local function field_mask(self, field)
  return maxts(mget(self, 'e:' .. field), maxts(mget(self, 'r:' .. field), mget(self, 'd')))
end

-- Σ (hp − hn) over field `field`'s components newer than its mask; and whether any is live.
local function field_counter_live(self, field)
  local suffixes = field_components(self, field)
  local mask = field_mask(self, field)
  local sum, any = 0, false
  for i = 1, #suffixes do
    local suffix = suffixes[i]
    if mget(self, 'hh:' .. suffix) > mask then
      sum = sum + num(mget(self, 'hp:' .. suffix)) - num(mget(self, 'hn:' .. suffix))
      any = true
    end
  end
  return sum, any
end

-- True when element `element`'s add is live: e:<m> > max(r:<m>, d).
local function element_live(self, element)
  local added = mget(self, 'e:' .. element)
  return added ~= '' and added > maxts(mget(self, 'r:' .. element), mget(self, 'd'))
end

-- Resets a component that is not live before a counter op: the smaller total rises to the larger, so
-- its net value is 0 while totals only grow (the per-field-max merge stays a CRDT).
local function counter_reset(self, positive, negative)
  local p, n = num(mget(self, positive)), num(mget(self, negative))
  if p > n then mset(self, negative, int2s(p)) elseif n > p then mset(self, positive, int2s(n)) end
end

-- Adds `delta` to the PN-counter component named by its positive and negative fields.
local function counter_add(self, positive, negative, delta)
  if delta >= 0 then
    mset(self, positive, int2s(num(mget(self, positive)) + delta))
  else
    mset(self, negative, int2s(num(mget(self, negative)) - delta))
  end
end

-- True when the expiry register still applies: xt > d and a deadline is set.
local function expiry_live(self)
  local deadline = mget(self, 'xa')
  return deadline ~= '' and deadline ~= '0' and mget(self, 'xt') > mget(self, 'd')
end

-- Gives K the TTL the metadata says: PEXPIREAT xa when the expiry is live, else none.
local function settle_ttl(self)
  if redis.call('EXISTS', self.key) == 0 then return end
  if expiry_live(self) then redis.call('PEXPIREAT', self.key, mget(self, 'xa'))
  else redis.call('PERSIST', self.key) end
end

-- True when M says some data of K is live (register, counter, element or field counter).
local function claims_live(self)
  local names = mload_all(self)
  local d = mget(self, 'd')
  if mget(self, 'a') > d then return true end
  local _, counting = counter_live(self)
  if counting then return true end
  for i = 1, #names do
    local name = names[i]
    if starts(name, 'e:') and element_live(self, string.sub(name, 3)) then return true end
    if starts(name, 'hh:') and mget(self, name) > field_mask(self, hfield_of(name)) then return true end
  end
  return false
end

-- Rebuilds K from the live part of M; `value` is the register value, `values` the hash field values
-- or zset scores by element (the live ones that are not counters must be present).
local function rebuild(self, value, values)
  local key, kind = self.key, mget(self, 't')
  local names = mload_all(self)
  redis.call('DEL', key)
  if kind == 'string' or kind == 'counter' then
    local sum, counting = counter_live(self)
    if counting then redis.call('SET', key, int2s(sum))
    elseif mget(self, 'a') > mget(self, 'd') and value then redis.call('SET', key, value) end
  elseif kind == 'hash' or kind == 'set' or kind == 'zset' then
    local writes, seen = {}, {}
    for i = 1, #names do
      local name = names[i]
      local element = nil
      if starts(name, 'e:') then element = string.sub(name, 3)
      elseif kind == 'hash' and starts(name, 'hh:') then element = hfield_of(name) end
      if element and not seen[element] and mget(self, name) ~= '' then
        seen[element] = true
        if kind == 'set' then
          if element_live(self, element) then writes[#writes + 1] = element end
        elseif kind == 'zset' then
          if element_live(self, element) and values[element] then
            writes[#writes + 1] = values[element]
            writes[#writes + 1] = element
          end
        else
          local sum, counting = field_counter_live(self, element)
          if counting then
            writes[#writes + 1] = element
            writes[#writes + 1] = int2s(sum)
          elseif element_live(self, element) and values[element] then
            writes[#writes + 1] = element
            writes[#writes + 1] = values[element]
          end
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

-- (xa, 0, 0): the timestamp of the deadline, as the kill rule uses it.
local function deadline_ts(self)
  return string.format('%012x', tonumber(mget(self, 'xa'))) .. '000000000000'
end

-- Opens key K for a script of default CRDT type `kind` (written to t when M has none): notes K's Redis
-- type and adopts unmanaged data. A live deadline has passed when the write's timestamp is beyond it,
-- or when K is gone although M says it is live: then d rises to max(d, (xa, 0, 0), xt) (an expiry
-- is a delete at its deadline, or at the EXPIRE itself when that deadline was already past) and K is
-- rebuilt, so the kill rule of the data model holds in the datastore too.
local function open(key, kind)
  local self = meta_open(key)
  self.kind = kind
  self.rtype = redis.call('TYPE', key).ok
  self.exists = self.rtype ~= 'none'
  self.managed = redis.call('EXISTS', self.m) == 1
  if self.exists and not self.managed then adopt(self) end
  if self.managed and expiry_live(self) then
    local at = deadline_ts(self)
    if (TS ~= '' and TS > at) or (not self.exists and claims_live(self)) then
      mset(self, 'd', maxts(mget(self, 'd'), maxts(at, mget(self, 'xt'))))
      if self.exists then
        local value, values = current_values(self)
        rebuild(self, value, values)
        self.rtype = redis.call('TYPE', key).ok
        self.exists = self.rtype ~= 'none'
      end
    end
  end
  return self
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

-- t of a string/counter key after a register or counter op: counter when the newest add is a counter
-- op (the key-level timestamp rule of the merge, so t does not depend on arrival order).
local function string_kind(self)
  local names = mload_all(self)
  local newest = ''
  for i = 1, #names do
    if starts(names[i], 'h:') then newest = maxts(newest, mget(self, names[i])) end
  end
  if newest > mget(self, 'a') then return 'counter' end
  return 'string'
end

-- Default t for ops of no type (DEL, EXPIRE): the type K holds, else string.
local function default_kind(rtype)
  if rtype == 'hash' or rtype == 'set' or rtype == 'zset' then return rtype end
  return 'string'
end

-- Every op records its timestamp into its field when newer (the metadata is then the join of the
-- ops it has seen, whatever their order); the data follows liveness.

-- Element add at TS: e:<m> = TS when newer. True when the add is live, i.e. TS > max(r:<m>, d) too:
-- its value goes to K.
local function record_add(self, element)
  if not newer(TS, mget(self, 'e:' .. element)) then return false end
  mset(self, 'e:' .. element, TS)
  return newer(TS, maxts(mget(self, 'r:' .. element), mget(self, 'd')))
end

-- Element remove at TS: r:<m> = TS when newer. True when it was recorded; `dead` when no newer add
-- keeps the element (it leaves K).
local function record_remove(self, element)
  if not newer(TS, mget(self, 'r:' .. element)) then return false, false end
  mset(self, 'r:' .. element, TS)
  return true, mget(self, 'e:' .. element) <= TS
end

-- Finishes a write that changed something: metadata, change log.
local function commit(self)
  flush(self)
  log_write(self.key)
end

-- The state of a key as the `state` and `read` scripts return it: {meta_flat, type, data, pttl}, or
-- nil and the element count when it holds more than `limit` elements.
local function state_of(key, limit)
  local m = META_PREFIX .. key
  local rtype = redis.call('TYPE', key).ok
  local size = redis.call('HLEN', m)
  if rtype == 'hash' then size = math.max(size, redis.call('HLEN', key))
  elseif rtype == 'set' then size = math.max(size, redis.call('SCARD', key))
  elseif rtype == 'zset' then size = math.max(size, redis.call('ZCARD', key)) end
  if size > limit then return nil, size end
  local data = {}
  if rtype == 'string' then data = redis.call('GET', key)
  elseif rtype == 'hash' then data = redis.call('HGETALL', key)
  elseif rtype == 'set' then data = redis.call('SMEMBERS', key)
  elseif rtype == 'zset' then data = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES') end
  return { redis.call('HGETALL', m), rtype, data, redis.call('PTTL', key) }, size
end

local function too_large(size, limit)
  return string.format('ERR dynomite: crdt state of key holds %d elements, more than %d', size, limit)
end

-- Reads ARGV[1] (timestamp) and ARGV[2] (change-log bound) of a write script.
local function write_args()
  TS = ARGV[1]
  LOG_MAX = tonumber(ARGV[2])
end
