-- set: SET (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), GETSET, SETEX, PSETEX, SETNX as an LWW register.
-- KEYS = [K]; ARGV = [ts, changelog_max, value, condition ('' | 'NX' | 'XX'), keepttl ('0' | '1'),
-- deadline_ms (absolute Unix ms, '0' = none), reply ('ok' | 'get' | 'int')].
-- a = ts when newer; live (K = value, t = string) iff also ts > d. Without KEEPTTL also an expiry op
-- (iff ts > xt).
write_args()
local key, value, condition, keepttl, deadline, reply_kind = KEYS[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local self = open(key, 'string')
local reply = false
if reply_kind == 'get' then
  if self.exists and self.rtype ~= 'string' then return redis.error_reply(WRONGTYPE) end
  reply = redis.call('GET', key)
end
local met = not ((condition == 'NX' and self.exists) or (condition == 'XX' and not self.exists))
if reply_kind == 'int' then
  if met then reply = 1 else reply = 0 end
elseif reply_kind == 'ok' and met then
  reply = redis.status_reply('OK')
end
if not met then
  flush(self)
  return reply
end
local applied = false
if newer(TS, mget(self, 'a')) then
  applied = true
  mset(self, 'a', TS)
end
if keepttl ~= '1' and newer(TS, mget(self, 'xt')) then
  applied = true
  mset(self, 'xt', TS)
  mset(self, 'xa', deadline)
end
if applied then
  mset(self, 't', string_kind(self))
  -- A newer counter component (INCR after this SET, arrived first) masks the value.
  local sum, counting = counter_live(self)
  if counting then redis.call('SET', key, int2s(sum))
  elseif mget(self, 'a') == TS and newer(TS, mget(self, 'd')) then redis.call('SET', key, value) end
  settle_ttl(self)
  commit(self)
else
  flush(self)
end
return reply
