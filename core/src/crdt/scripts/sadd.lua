-- sadd: SADD as LWW-element-set adds: applies iff ts > max(e:<m>, r:<m>, d): e:<m> = ts.
-- KEYS = [K]; ARGV = [ts, changelog_max, m1, ...]. Reply: members new in K.
write_args()
local L = lib()
local key = KEYS[1]
local self = L.open(key, 'set')
if self.exists and self.rtype ~= 'set' then return redis.error_reply(WRONGTYPE) end
local members = distinct_args(3, 1)
local added = 0
for i = 1, #members do
  if redis.call('SISMEMBER', key, members[i]) == 0 then added = added + 1 end
end
local writes = {}
if L.claim(self, 'set') then
  for i = 1, #members do
    if L.apply_add(self, members[i]) then writes[#writes + 1] = members[i] end
  end
end
if #writes > 0 then
  L.chunked('SADD', key, writes)
  if not self.exists then L.settle_ttl(self) end
  L.commit(self)
else
  L.flush(self)
end
return added
