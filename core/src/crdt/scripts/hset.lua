-- hset: HSET / HMSET / HSETNX as an LWW-element-set of fields (the value follows the field's add).
-- KEYS = [K]; ARGV = [ts, changelog_max, mode ('hset' | 'hmset' | 'hsetnx'), f1, v1, ...].
-- A field add applies iff ts > max(e:<f>, r:<f>, d); a field counter newer than it keeps masking it.
-- Reply: HSET the number of fields new in K, HMSET OK, HSETNX 1/0.
write_args()
local L = lib()
local key, mode = KEYS[1], ARGV[3]
local self = L.open(key, 'hash')
if self.exists and self.rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local fields, values = distinct_args(4, 2)
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
