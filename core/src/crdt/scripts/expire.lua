-- expire: EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT (NX/XX/GT/LT) and PERSIST as an LWW register of the
-- deadline: applies iff ts > xt: xt = ts, xa = deadline (absolute Unix ms, '0' = none), recorded even
-- when K is missing (a late write of K then gets the deadline). K then gets PEXPIREAT xa while the
-- expiry is live (xt > d), else no TTL. A deadline that has passed (at or before the datastore's clock,
-- or before ts) deletes at max((deadline, 0, 0), ts) whether or not the op wins the register.
-- KEYS = [K]; ARGV = [ts, changelog_max, deadline_ms ('0' = PERSIST), condition ('' | 'NX' | 'XX' |
-- 'GT' | 'LT')]. Reply: 1 when Redis would set (or remove) the timeout, else 0 (nothing recorded when
-- a condition fails).
write_args()
local L = lib()
local key, deadline, condition = KEYS[1], ARGV[3], ARGV[4]
local self = L.open(key, nil)
self.kind = L.default_kind(self.rtype)
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
  if not met then
    L.flush(self)
    return 0
  end
  reply = 1
end
-- A deadline already passed deletes at once (before the register, so K never gets a past TTL).
local applied = L.expire_op(self, deadline)
if newer(TS, L.mget(self, 'xt')) then
  applied = true
  L.mset(self, 'xt', TS)
  L.mset(self, 'xa', deadline)
  L.settle_ttl(self)
end
if applied then L.commit(self) else L.flush(self) end
return reply
