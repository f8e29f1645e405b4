-- zrem: ZREM as element removes: applies iff ts > max(r:<m>, d) and ts > e:<m>: r:<m> = ts, the
-- member leaves K. KEYS = [K]; ARGV = [ts, changelog_max, m1, ...]. Reply: members removed from K.
write_args()
local key = KEYS[1]
local self = open(key, 'zset')
if self.exists and self.rtype ~= 'zset' then return redis.error_reply(WRONGTYPE) end
local members = distinct_args(3, 1)
local count, removes = 0, {}
for i = 1, #members do
  if redis.call('ZSCORE', key, members[i]) then count = count + 1 end
end
if claim(self, 'zset') then
  for i = 1, #members do
    if apply_remove(self, members[i]) then removes[#removes + 1] = members[i] end
  end
end
if #removes > 0 then
  chunked('ZREM', key, removes)
  commit(self)
else
  flush(self)
end
return count
