-- hdel: HDEL as element removes (tombstone r:<f>); a counter field keeps the components newer than
-- the remove. KEYS = [K]; ARGV = [ts, changelog_max, f1, ...]. Reply: fields removed from K.
write_args()
local key = KEYS[1]
local self = open(key)
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
if claim(self, 'hash') then
  for i = 1, #fields do
    local field = fields[i]
    if remove_fresh(self, field) then
      changed = true
      local remove = record_remove(self, field)
      local counters = field_counter_names(self, field)
      local sum, left = 0, false
      for j = 1, #counters do
        local name = counters[j]
        if newer(TS, mget(self, name)) then
          drop_field_counter(self, name)
        else
          local suffix = string.sub(name, 4)
          sum = sum + tonumber(mget(self, 'hp:' .. suffix)) - tonumber(mget(self, 'hn:' .. suffix))
          left = true
        end
      end
      if left then
        redis.call('HSET', key, field, int2s(sum))
      elseif remove and present[field] then
        redis.call('HDEL', key, field)
      end
    end
  end
end
if changed then commit(self) else flush(self) end
return count
