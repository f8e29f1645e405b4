-- hset: HSET / HMSET / HSETNX as an LWW-element-set of fields (the value follows the field's add).
-- KEYS = [K]; ARGV = [ts, changelog_max, mode ('hset' | 'hmset' | 'hsetnx'), f1, v1, ...].
-- A field add records e:<f> = ts when newer; it is live (K gets the value) iff ts > max(r:<f>, d). Reply: HSET the number of fields new in K,
-- HMSET OK, HSETNX 1/0.
write_args()
local key, mode = KEYS[1], ARGV[3]
local self = open(key, 'hash')
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
local writes, recorded = {}, false
for i = 1, #fields do
  local field = fields[i]
  local before = mget(self, 'e:' .. field)
  local live = record_add(self, field)
  if mget(self, 'e:' .. field) ~= before then recorded = true; mset(self, 't', 'hash') end
  if live then
    local value = values[field]
    if present[field] then
      -- A field counter newer than this add masks the value.
      local sum, counting = field_counter_live(self, field)
      if counting then value = int2s(sum) end
    end
    writes[#writes + 1] = field
    writes[#writes + 1] = value
  end
end
chunked('HSET', key, writes)
if #writes > 0 and not self.exists then settle_ttl(self) end
if recorded then
  commit(self)
else
  flush(self)
end
return reply
