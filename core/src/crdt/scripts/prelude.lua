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

-- True for fields that belong to the CRDT type (not d, xt, xa, t).
local function type_field(name)
  return name == 'a' or starts(name, 'e:') or starts(name, 'r:') or starts(name, 'p:') or starts(name, 'n:')
    or starts(name, 'h:') or starts(name, 'hp:') or starts(name, 'hn:') or starts(name, 'hh:')
end

-- Newest add timestamp of the key's current type (a, e:*, h:*, hh:*) over a field table.
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

-- Removes what the key delete timestamp d and element tombstones dominate. Returns the elements
-- (hash fields, set/zset members) whose add was removed and the hash fields whose counter
-- components changed.
local function prune(self)
  local names = mload_all(self)
  local d = mget(self, 'd')
  local gone, counters = {}, {}
  for i = 1, #names do
    local name = names[i]
    local value = mget(self, name)
    if value ~= '' then
      if name == 'a' then
        if value <= d then mset(self, 'a', '') end
      elseif starts(name, 'e:') then
        local element = string.sub(name, 3)
        if value <= maxts(mget(self, 'r:' .. element), d) then
          mset(self, name, '')
          gone[#gone + 1] = element
        end
      elseif starts(name, 'r:') then
        if value <= d or mget(self, 'e:' .. string.sub(name, 3)) > value then mset(self, name, '') end
      elseif starts(name, 'h:') then
        if value <= d then
          local node = string.sub(name, 3)
          mset(self, name, '')
          mset(self, 'p:' .. node, '')
          mset(self, 'n:' .. node, '')
        end
      elseif starts(name, 'hh:') then
        local field = hfield_of(name)
        if value <= maxts(mget(self, 'r:' .. field), d) then
          local suffix = string.sub(name, 4)
          mset(self, name, '')
          mset(self, 'hp:' .. suffix, '')
          mset(self, 'hn:' .. suffix, '')
          counters[#counters + 1] = field
        end
      end
    end
  end
  return gone, counters
end

-- Sum of the key's PN-counter components (after prune).
local function counter_sum(self)
  local names = mload_all(self)
  local sum = 0
  for i = 1, #names do
    local name = names[i]
    local value = mget(self, name)
    if value ~= '' then
      if starts(name, 'p:') then sum = sum + tonumber(value)
      elseif starts(name, 'n:') then sum = sum - tonumber(value) end
    end
  end
  return sum
end

-- Sum of hash field `field`'s counter components and whether it has any (after prune).
local function field_counter_sum(self, field)
  local names = mload_all(self)
  local sum, any = 0, false
  for i = 1, #names do
    local name = names[i]
    local value = mget(self, name)
    if value ~= '' and hfield_of(name) == field then
      if starts(name, 'hp:') then sum = sum + tonumber(value); any = true
      elseif starts(name, 'hn:') then sum = sum - tonumber(value); any = true end
    end
  end
  return sum, any
end

-- Gives data found without metadata the adopt timestamp, so later merges keep it.
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

-- K is gone but M holds a deadline: the key expired. Everything added so far is deleted.
local function expired(self)
  local names = mload_all(self)
  mset(self, 'd', maxts(mget(self, 'd'), newest_add(self.cache, names)))
  prune(self)
end

-- Opens key K for a script: its Redis type before the write, metadata adopted or expired as needed.
local function open(key)
  local self = meta_open(key)
  self.rtype = redis.call('TYPE', key).ok
  self.exists = self.rtype ~= 'none'
  self.managed = redis.call('EXISTS', self.m) == 1
  if self.exists and not self.managed then adopt(self) end
  if not self.exists and self.managed then
    local deadline = mget(self, 'xa')
    if deadline ~= '' and deadline ~= '0' then expired(self) end
  end
  return self
end

-- Makes `want` the key's CRDT type for a write at TS. False when M holds a newer value of another
-- type (the write is then discarded); a newer write of another type drops the old type's fields.
local function claim(self, want)
  local current = mget(self, 't')
  if current == want then return true end
  if current ~= '' then
    local names = mload_all(self)
    if not newer(TS, newest_add(self.cache, names)) then return false end
    for i = 1, #names do
      if type_field(names[i]) then mset(self, names[i], '') end
    end
  end
  mset(self, 't', want)
  return true
end

-- Applies the stored expiry to K after a write: a write that created K clears an old deadline (a new
-- Redis key has no TTL) when it is newer than the last expiry op.
local function settle_expiry(self, created)
  local deadline = mget(self, 'xa')
  if deadline == '' or deadline == '0' then return end
  if created and newer(TS, mget(self, 'xt')) then
    mset(self, 'xt', TS)
    mset(self, 'xa', '0')
    return
  end
  if redis.call('EXISTS', self.key) == 1 then redis.call('PEXPIREAT', self.key, deadline) end
end

-- Element add at TS is newer than its add, its tombstone and the key delete.
local function add_fresh(self, element)
  return newer(TS, mget(self, 'e:' .. element)) and newer(TS, mget(self, 'r:' .. element))
    and newer(TS, mget(self, 'd'))
end

-- Element remove at TS is newer than its tombstone and the key delete (an older add stays dominated).
local function remove_fresh(self, element)
  return newer(TS, mget(self, 'r:' .. element)) and newer(TS, mget(self, 'd'))
end

-- Reads ARGV[1] (timestamp) and ARGV[2] (change-log bound) of a write script.
local function write_args()
  TS = ARGV[1]
  LOG_MAX = tonumber(ARGV[2])
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

-- Names of hash field `field`'s counter components 'hh:<n>:<field>' (loads M).
local function field_counter_names(self, field)
  local names, found = mload_all(self), {}
  for i = 1, #names do
    if starts(names[i], 'hh:') and hfield_of(names[i]) == field and mget(self, names[i]) ~= '' then
      found[#found + 1] = names[i]
    end
  end
  return found
end

-- Drops the counter component whose 'hh:' name is given.
local function drop_field_counter(self, name)
  local suffix = string.sub(name, 4)
  mset(self, 'hh:' .. suffix, '')
  mset(self, 'hp:' .. suffix, '')
  mset(self, 'hn:' .. suffix, '')
end

-- Records an element remove at TS (call when remove_fresh). True when no newer add keeps it.
local function record_remove(self, element)
  mset(self, 'r:' .. element, TS)
  local added = mget(self, 'e:' .. element)
  if added ~= '' and not newer(TS, added) then return false end
  mset(self, 'e:' .. element, '')
  return true
end

-- Finishes a write that changed something: expiry, metadata, change log.
local function commit(self)
  settle_expiry(self, not self.exists)
  flush(self)
  log_write(self.key)
end

-- Adds `delta` to the PN-counter component named by its positive and negative fields.
local function counter_add(self, positive, negative, delta)
  if delta >= 0 then
    mset(self, positive, int2s(num(mget(self, positive)) + delta))
  else
    mset(self, negative, int2s(num(mget(self, negative)) - delta))
  end
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
