-- zrem: ZREM as element removes: applies iff ts > max(r:<m>, d) and ts > e:<m>: r:<m> = ts, the
-- member leaves K. KEYS = [K]; ARGV = [ts, changelog_max, m1, ...]. Reply: members removed from K.
write_args()
local L = lib()
local key = KEYS[1]
local self = L.open(key, 'zset')
if self.exists and self.rtype ~= 'zset' then return redis.error_reply(WRONGTYPE) end
local members = distinct_args(3, 1)
local count, removes = 0, {}
for i = 1, #members do
  if redis.call('ZSCORE', key, members[i]) then count = count + 1 end
end
if L.claim(self, 'zset') then
  for i = 1, #members do
    if L.apply_remove(self, members[i]) then removes[#removes + 1] = members[i] end
  end
end
if #removes > 0 then
  L.chunked('ZREM', key, removes)
  L.commit(self)
else
  L.flush(self)
end
return count
