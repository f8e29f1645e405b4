-- del: DEL / UNLINK as key deletes: d = max(d, ts) kills every add at or before it (register,
-- elements, counter components) and the expiry; M is normalized; adds newer than the delete survive
-- (K is rebuilt from them, usually it is just removed).
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max]. Reply: how many of the keys existed.
write_args()

-- Fast path of one key: a register the delete kills (a <= ts), or a missing key with at most d/xt/xa
-- in M, without a passed expiry: what the general path does there (d = ts, a pruned, K removed) with
-- one read of M. Nil (nothing done) when the general path is needed.
local function fast(key)
  local m = META_PREFIX .. key
  local meta = meta_fields(m)
  local t, a, d, xt, xa = meta[1], meta[2], meta[3], meta[4], meta[5]
  if xa ~= '' and xa ~= '0' and xt > d then
    -- A live expiry that has passed (deadline at or before the datastore's clock, or its op after
    -- it) is settled first: the general path. One that has not stays as it is (or ends: xt <= ts).
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    if tonumber(xa) <= now or xt > string.format('%012x', tonumber(xa)) .. '000000000000' then return nil end
  end
  if t == 'string' then
    if not newer(TS, d) then return redis.call('EXISTS', key) end
    if not (TS > d) or a > TS then return nil end
    local existed = redis.call('DEL', key)
    redis.call('HSET', m, 'd', TS)
    if a ~= '' then redis.call('HDEL', m, 'a') end
    log_write(key)
    return existed
  elseif t == '' then
    if redis.call('EXISTS', key) == 1 then return nil end
    if not newer(TS, d) then return 0 end
    if not (TS > d) then return nil end
    redis.call('HSET', m, 'd', TS)
    log_write(key)
    return 0
  end
  return nil
end

local count = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local existed = fast(key)
  if existed ~= nil then
    count = count + existed
  else
    local L = lib()
    local self = L.open(key, nil)
    self.kind = L.default_kind(self.rtype)
    if self.exists then count = count + 1 end
    if newer(TS, L.mget(self, 'd')) then
      if self.exists and (L.mget(self, 't') == '' or (self.rtype ~= L.mget(self, 't')
        and not (self.rtype == 'string' and L.mget(self, 't') == 'counter'))) then
        redis.call('DEL', key) -- a type CRDT mode does not cover
        self.exists = false
      end
      L.delete_through(self, TS)
      L.commit(self)
    else
      L.flush(self)
    end
  end
end
return count
