-- sadd: SADD as LWW-element-set adds: applies iff ts > max(e:<m>, r:<m>, d): e:<m> = ts.
-- KEYS = [K]; ARGV = [ts, changelog_max, m1, ...]. Reply: members new in K.
write_args()
local key = KEYS[1]
local members = distinct_args(3, 1)

-- Fast path: a set (or a missing key) without a passed expiry: what the general path does there, with
-- one HMGET of M (t, a, d, xt, xa, e:<m>, r:<m>) and no TYPE. Nil (nothing done) when the general
-- path is needed.
local function fast()
  if #members > 100 then return nil end
  local m = META_PREFIX .. key
  local names = {}
  for i = 1, #members do
    names[2 * i - 1] = 'e:' .. members[i]
    names[2 * i] = 'r:' .. members[i]
  end
  local meta, any = meta_fields(m, unpack(names))
  local t, d, xt, xa = meta[1], meta[3], meta[4], meta[5]
  if t ~= 'set' and t ~= '' then return nil end
  local live = xa ~= '' and xa ~= '0' and xt > d
  if live then
    -- A live expiry that has passed, or that this op (TS beyond its deadline) makes pass, is settled
    -- by the general path; one that has not gives K its deadline if this write creates K.
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    local at = string.format('%012x', tonumber(xa)) .. '000000000000'
    if tonumber(xa) <= now or xt > at or TS > at then return nil end
  end
  local added = 0
  if not any then
    if redis.call('EXISTS', key, m) > 0 then return nil end -- unmanaged data: adopted first
    added = #members
  else
    for i = 1, #members do
      local member = redis.pcall('SISMEMBER', key, members[i])
      if type(member) == 'table' then return nil end -- K of another type: WRONGTYPE
      if member == 0 then added = added + 1 end
    end
  end
  local writes, n, removes, data = {}, 0, {}, {}
  if t == '' then
    writes[1] = 't'
    writes[2] = 'set'
    n = 2
  end
  for i = 1, #members do
    local e, r = meta[4 + 2 * i], meta[5 + 2 * i]
    local level = e
    if r > level then level = r end
    if d > level then level = d end
    if newer(TS, level) then
      if e ~= TS then
        writes[n + 1] = names[2 * i - 1]
        writes[n + 2] = TS
        n = n + 2
      end
      if r ~= '' then removes[#removes + 1] = names[2 * i] end
      data[#data + 1] = members[i]
    end
  end
  if #data > 0 then
    local created = live and added == #members and redis.call('EXISTS', key) == 0
    redis.call('SADD', key, unpack(data))
    if created then redis.call('PEXPIREAT', key, xa) end
    if n > 0 then redis.call('HSET', m, unpack(writes)) end
    if #removes > 0 then redis.call('HDEL', m, unpack(removes)) end
    log_write(key)
  elseif n > 0 then
    redis.call('HSET', m, unpack(writes))
  end
  return added
end

local added = fast()
if added ~= nil then return added end
local L = lib()
local self = L.open(key, 'set')
if self.exists and self.rtype ~= 'set' then return redis.error_reply(WRONGTYPE) end
added = 0
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
