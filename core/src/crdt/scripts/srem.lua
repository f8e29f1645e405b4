-- srem: SREM as element removes: r:<m> = ts when newer; the member leaves K unless
-- a newer add keeps it.
-- KEYS = [K]; ARGV = [ts, changelog_max, m1, ...]. Reply: members removed from K.
write_args()
local key = KEYS[1]
local self = open(key, 'set')
if self.exists and self.rtype ~= 'set' then return redis.error_reply(WRONGTYPE) end
local members = distinct_args(3, 1)
local count, removes, recorded = 0, {}, false
for i = 1, #members do
  if redis.call('SISMEMBER', key, members[i]) == 1 then count = count + 1 end
end
for i = 1, #members do
  local changed, dead = record_remove(self, members[i])
  if changed then recorded = true end
  if dead then removes[#removes + 1] = members[i] end
end
chunked('SREM', key, removes)
if recorded then
  commit(self)
else
  flush(self)
end
return count
