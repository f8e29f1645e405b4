-- hset: HSET / HMSET / HSETNX as an LWW-element-set of fields (the value follows the field's add).
-- KEYS = [K]; ARGV = [ts, changelog_max, mode ('hset' | 'hmset' | 'hsetnx'), f1, v1, ...].
-- Reply: HSET the number of fields new in K, HMSET OK, HSETNX 1/0.
write_args()
local key, mode = KEYS[1], ARGV[3]
local self = open(key)
if self.exists and self.rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local fields, values = distinct_args(4, 2)
local present, added = {}, 0
for i = 1, #fields do
  if redis.call('HEXISTS', key, fields[i]) == 1 then present[fields[i]] = true else added = added + 1 end
end
local reply = added
if mode == 'hmset' then reply = redis.status_reply('OK') end
if mode == 'hsetnx' and present[fields[1]] then
  flush(self)
  return 0
end
local writes = {}
if claim(self, 'hash') then
  for i = 1, #fields do
    local field = fields[i]
    if add_fresh(self, field) then
      local wins = true
      local counters = field_counter_names(self, field)
      for j = 1, #counters do
        if not newer(TS, mget(self, counters[j])) then wins = false end
      end
      if wins then
        for j = 1, #counters do drop_field_counter(self, counters[j]) end
        mset(self, 'e:' .. field, TS)
        mset(self, 'r:' .. field, '')
        writes[#writes + 1] = field
        writes[#writes + 1] = values[field]
      end
    end
  end
end
if #writes > 0 then
  chunked('HSET', key, writes)
  commit(self)
else
  flush(self)
end
return reply
