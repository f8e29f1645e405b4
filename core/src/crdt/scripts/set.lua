-- set: SET (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), GETSET, SETEX, PSETEX, SETNX as an LWW register.
-- KEYS = [K]; ARGV = [ts, changelog_max, value, condition ('' | 'NX' | 'XX'), keepttl ('0' | '1'),
-- deadline_ms (absolute Unix ms, '0' = none), reply ('ok' | 'get' | 'int')].
-- Over another type: a type change (see claim). Applies iff ts > max(a, d): a = ts, K = value.
-- Without KEEPTTL also an expiry op (even when the value lost): iff ts > xt: xt = ts, xa = deadline;
-- a deadline already passed deletes at max((deadline, 0, 0), ts), the value with it.
write_args()
local key, value, condition, keepttl, deadline, reply_kind = KEYS[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
-- SET without condition, GET or KEEPTTL (a TTL allowed) on a register or a missing key: the fast path.
if condition == '' and keepttl ~= '1' and reply_kind == 'ok' and fast_set(key, value, deadline) then
  return redis.status_reply('OK')
end
local L = lib()
local self = L.open(key, 'string')
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
  L.flush(self)
  return reply
end
-- The op's key-level timestamp: a deadline already passed deletes (the value too) at its kill.
local op_level = TS
if keepttl ~= '1' and deadline ~= '0' and L.deadline_passed(deadline, TS, '') then
  op_level = L.maxts(L.deadline_ts_of(deadline), TS)
end
local applied = false
if L.claim(self, 'string', op_level) and newer(TS, L.maxts(L.mget(self, 'a'), L.mget(self, 'd'))) then
  applied = true
  L.mset(self, 'a', TS)
  redis.call('SET', key, value)
end
if keepttl ~= '1' then
  -- The expiry half applies even when the value lost (as the merge keeps the newest xt).
  if L.expire_op(self, deadline) then applied = true end
  if newer(TS, L.mget(self, 'xt')) then
    applied = true
    L.mset(self, 'xt', TS)
    L.mset(self, 'xa', deadline)
  end
end
if applied then
  L.settle_ttl(self)
  L.commit(self)
else
  L.flush(self)
end
return reply
