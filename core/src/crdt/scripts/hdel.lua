-- hdel: HDEL as element removes: applies iff ts > max(r:<f>, d) and ts > e:<f>: r:<f> = ts, the field
-- leaves K; counter components at or before ts go, newer ones keep the field (their sum).
-- KEYS = [K]; ARGV = [ts, changelog_max, f1, ...]. Reply: fields removed from K.
write_args()
local L = lib()
local key = KEYS[1]
local self = L.open(key, 'hash')
if self.exists and self.rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local fields = distinct_args(3, 1)
local count, applied = 0, false
local present = {}
for i = 1, #fields do
  if redis.call('HEXISTS', key, fields[i]) == 1 then
    present[fields[i]] = true
    count = count + 1
  end
end
if L.claim(self, 'hash') then
  for i = 1, #fields do
    local field = fields[i]
    local counted = present[field] and L.mget(self, 'e:' .. field) == ''
    if L.apply_remove(self, field) then
      applied = true
      local left = false
      if counted then
        local suffixes = L.field_components(self, field)
        for j = 1, #suffixes do
          if L.mget(self, 'hh:' .. suffixes[j]) <= TS then L.drop_component(self, 'hp:', 'hn:', 'hh:', suffixes[j]) end
        end
        local sum
        sum, left = L.field_counter_sum(self, field)
        if left then redis.call('HSET', key, field, L.int2s(sum)) end
      end
      if present[field] and not left then redis.call('HDEL', key, field) end
    end
  end
end
if applied then L.commit(self) else L.flush(self) end
return count
