-- hset: HSET / HMSET / HSETNX as an LWW-element-set of fields (the value follows the field's add).
-- KEYS = [K]; ARGV = [ts, changelog_max, mode ('hset' | 'hmset' | 'hsetnx'), f1, v1, ...].
-- A field add applies iff ts > max(e:<f>, r:<f>, d); a field counter newer than it keeps masking it.
-- Reply: HSET the number of fields new in K, HMSET OK, HSETNX 1/0.
write_args()
local key, mode = KEYS[1], ARGV[3]
local fields, values = distinct_args(4, 2)

-- Fast path: a hash (or a missing key) without a passed expiry whose given fields have no counter
-- components (HINCRBY): what the general path does there, with one HMGET of M (t, a, d, xt, xa,
-- e:<f>, r:<f>) and no TYPE. Nil (nothing done) when the general path is needed.
local function fast()
  if #fields > 100 then return nil end
  local m = META_PREFIX .. key
  local names = {}
  for i = 1, #fields do
    names[2 * i - 1] = 'e:' .. fields[i]
    names[2 * i] = 'r:' .. fields[i]
  end
  local meta, any = meta_fields(m, unpack(names))
  local t, d, xt, xa = meta[1], meta[3], meta[4], meta[5]
  if t ~= 'hash' and t ~= '' then return nil end
  local live = xa ~= '' and xa ~= '0' and xt > d
  if live then
    -- A live expiry that has passed, or that this op (TS beyond its deadline) makes pass, is settled
    -- by the general path; one that has not gives K its deadline if this write creates K.
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    local at = string.format('%012x', tonumber(xa)) .. '000000000000'
    if tonumber(xa) <= now or xt > at or TS > at then return nil end
  end
  local present, added = {}, 0
  if not any then
    if redis.call('EXISTS', key, m) > 0 then return nil end -- unmanaged data: adopted first
    added = #fields
  else
    for i = 1, #fields do
      local exists = redis.pcall('HEXISTS', key, fields[i])
      if type(exists) == 'table' then return nil end -- K of another type: WRONGTYPE
      if exists == 1 then
        -- Only a field without an LWW add can have counter components (normalized form).
        if meta[4 + 2 * i] == '' then return nil end
        present[fields[i]] = true
      else
        added = added + 1
      end
    end
  end
  local reply = added
  if mode == 'hmset' then reply = redis.status_reply('OK') end
  if mode == 'hsetnx' and present[fields[1]] then return added end
  local writes, n, removes, data = {}, 0, {}, {}
  if t == '' then
    writes[1] = 't'
    writes[2] = 'hash'
    n = 2
  end
  for i = 1, #fields do
    local field, e, r = fields[i], meta[4 + 2 * i], meta[5 + 2 * i]
    local level = e
    if r > level then level = r end
    if d > level then level = d end
    if newer(TS, level) then
      if e ~= TS then
        writes[n + 1] = names[2 * i - 1]
        writes[n + 2] = TS
        n = n + 2
      end
      if r ~= '' then removes[#removes + 1] = names[2 * i] end
      data[#data + 1] = field
      data[#data + 1] = values[field]
    end
  end
  if #data > 0 then
    local created = live and added == #fields and redis.call('EXISTS', key) == 0
    redis.call('HSET', key, unpack(data))
    if created then redis.call('PEXPIREAT', key, xa) end
    if n > 0 then redis.call('HSET', m, unpack(writes)) end
    if #removes > 0 then redis.call('HDEL', m, unpack(removes)) end
    log_write(key)
  elseif n > 0 then
    redis.call('HSET', m, unpack(writes))
  end
  return reply
end

local reply = fast()
if reply ~= nil then return reply end
local L = lib()
local self = L.open(key, 'hash')
if self.exists and self.rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local present, added = {}, 0
for i = 1, #fields do
  if redis.call('HEXISTS', key, fields[i]) == 1 then present[fields[i]] = true else added = added + 1 end
end
local reply = added
if mode == 'hmset' then reply = redis.status_reply('OK') end
if (mode == 'hsetnx' and present[fields[1]]) or not L.claim(self, 'hash') then
  L.flush(self)
  if mode == 'hsetnx' then return added end
  return reply
end
local writes, applied = {}, false
for i = 1, #fields do
  local field = fields[i]
  -- Only a field without an LWW add can have counter components (normalized form).
  local counted = present[field] and L.mget(self, 'e:' .. field) == ''
  if L.apply_add(self, field) then
    applied = true
    local value = values[field]
    if counted then
      local suffixes = L.field_components(self, field)
      for j = 1, #suffixes do
        if L.mget(self, 'hh:' .. suffixes[j]) <= TS then L.drop_component(self, 'hp:', 'hn:', 'hh:', suffixes[j]) end
      end
      local sum, left = L.field_counter_sum(self, field)
      if left then
        -- A newer HINCRBY masks this value: the add becomes the field's tombstone.
        L.mset(self, 'r:' .. field, TS)
        L.mset(self, 'e:' .. field, '')
        value = L.int2s(sum)
      end
    end
    writes[#writes + 1] = field
    writes[#writes + 1] = value
  end
end
if applied then
  L.chunked('HSET', key, writes)
  if not self.exists then L.settle_ttl(self) end
  L.commit(self)
else
  L.flush(self)
end
return reply
