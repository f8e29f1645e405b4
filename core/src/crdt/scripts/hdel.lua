-- hdel: HDEL as element removes: r:<f> = ts when newer; the field leaves K unless a newer add or a
-- newer field counter keeps it (then K holds that value or the components' sum).
-- KEYS = [K]; ARGV = [ts, changelog_max, f1, ...]. Reply: fields removed from K.
write_args()
local key = KEYS[1]
local self = open(key, 'hash')
if self.exists and self.rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local fields = distinct_args(3, 1)
local count, changed = 0, false
local present = {}
for i = 1, #fields do
  if redis.call('HEXISTS', key, fields[i]) == 1 then
    present[fields[i]] = true
    count = count + 1
  end
end
for i = 1, #fields do
  local field = fields[i]
  local recorded, dead = record_remove(self, field)
  if recorded then changed = true end
  if recorded and present[field] then
    local sum, counting = field_counter_live(self, field)
    if counting then redis.call('HSET', key, field, int2s(sum))
    elseif dead then redis.call('HDEL', key, field) end
  end
end
if changed then commit(self) else flush(self) end
return count
