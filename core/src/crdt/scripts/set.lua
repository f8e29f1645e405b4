-- set: SET (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), GETSET, SETEX, PSETEX, SETNX as an LWW register.
-- KEYS = [K]; ARGV = [ts, changelog_max, value, condition ('' | 'NX' | 'XX'), keepttl ('0' | '1'),
-- deadline_ms (absolute Unix ms, '0' = none), reply ('ok' | 'get' | 'int')].
write_args()
local key, value, condition, keepttl, deadline, reply_kind = KEYS[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local self = open(key)
local old = false
if reply_kind == 'get' then
  if self.exists and self.rtype ~= 'string' then return redis.error_reply(WRONGTYPE) end
  old = redis.call('GET', key)
end
local met = not ((condition == 'NX' and self.exists) or (condition == 'XX' and not self.exists))
local reply
if reply_kind == 'get' then reply = old
elseif reply_kind == 'int' then if met then reply = 1 else reply = 0 end
elseif met then reply = redis.status_reply('OK')
else reply = false end
if not met then
  flush(self)
  return reply
end
if newer(TS, mget(self, 'a')) and newer(TS, mget(self, 'd')) and claim(self, 'string') then
  mset(self, 'a', TS)
  if keepttl == '1' then
    redis.call('SET', key, value, 'KEEPTTL')
  else
    redis.call('SET', key, value)
    if newer(TS, mget(self, 'xt')) then
      mset(self, 'xt', TS)
      mset(self, 'xa', deadline)
    end
  end
  settle_expiry(self, false)
  flush(self)
  log_write(key)
else
  flush(self)
end
return reply
