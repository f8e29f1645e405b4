-- expire: EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT (NX/XX/GT/LT) and PERSIST as an LWW register of the
-- deadline (xt = op timestamp, xa = absolute Unix ms, '0' = none). Recorded when K or M exists.
-- KEYS = [K]; ARGV = [ts, changelog_max, deadline_ms ('0' = PERSIST), condition ('' | 'NX' | 'XX' |
-- 'GT' | 'LT')]. Reply: 1 when Redis would set (or remove) the timeout, else 0.
write_args()
local key, deadline, condition = KEYS[1], ARGV[3], ARGV[4]
local self = open(key)
local current = -2
if self.exists then current = redis.call('PEXPIRETIME', key) end
local reply = 0
if deadline == '0' then
  if current > 0 then reply = 1 end
elseif self.exists then
  local new = tonumber(deadline)
  local met = true
  if condition == 'NX' then met = current < 0
  elseif condition == 'XX' then met = current > 0
  elseif condition == 'GT' then met = current > 0 and new > current
  elseif condition == 'LT' then met = current < 0 or new < current end
  if met then reply = 1 else
    flush(self)
    return 0
  end
end
if (self.exists or self.managed) and newer(TS, mget(self, 'xt')) then
  mset(self, 'xt', TS)
  mset(self, 'xa', deadline)
  if self.exists then
    if deadline == '0' then redis.call('PERSIST', key) else redis.call('PEXPIREAT', key, deadline) end
  end
  flush(self)
  log_write(key)
else
  flush(self)
end
return reply
