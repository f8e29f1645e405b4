-- zrem: ZREM as element removes (tombstone r:<m>). KEYS = [K]; ARGV = [ts, changelog_max, m1, ...].
-- Reply: members removed from K.
write_args()
local key = KEYS[1]
local self = open(key)
if self.exists and self.rtype ~= 'zset' then return redis.error_reply(WRONGTYPE) end
local members = distinct_args(3, 1)
local count, removes, changed = 0, {}, false
for i = 1, #members do
  if redis.call('ZSCORE', key, members[i]) then count = count + 1 end
end
if claim(self, 'zset') then
  for i = 1, #members do
    if remove_fresh(self, members[i]) then
      changed = true
      if record_remove(self, members[i]) then removes[#removes + 1] = members[i] end
    end
  end
end
chunked('ZREM', key, removes)
if changed then commit(self) else flush(self) end
return count
