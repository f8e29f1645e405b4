-- sadd: SADD as LWW-element-set adds: e:<m> = ts when newer; live (in K) iff ts > max(r:<m>, d).
-- KEYS = [K]; ARGV = [ts, changelog_max, m1, ...]. Reply: members new in K.
write_args()
local key = KEYS[1]
local self = open(key, 'set')
if self.exists and self.rtype ~= 'set' then return redis.error_reply(WRONGTYPE) end
local members = distinct_args(3, 1)
local added = 0
for i = 1, #members do
  if redis.call('SISMEMBER', key, members[i]) == 0 then added = added + 1 end
end
local writes, recorded = {}, false
for i = 1, #members do
  local before = mget(self, 'e:' .. members[i])
  local live = record_add(self, members[i])
  if mget(self, 'e:' .. members[i]) ~= before then recorded = true; mset(self, 't', 'set') end
  if live then
    writes[#writes + 1] = members[i]
  end
end
chunked('SADD', key, writes)
if #writes > 0 and not self.exists then settle_ttl(self) end
if recorded then
  commit(self)
else
  flush(self)
end
return added
