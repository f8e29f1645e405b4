-- incrby: INCR / DECR / INCRBY / DECRBY as a PN-counter. The op (node n of ts, ts, delta) applies iff
-- ts > h:<n> and ts > d, so a duplicate or retry never counts twice: delta goes to p:<n> (positive) or
-- n:<n> (negative), h:<n> = ts, K = Σ (p − n). On a live integer register it is a type change whose
-- op folds the register's value into the delta (SET k 5; INCR k gives 6).
-- KEYS = [K]; ARGV = [ts, changelog_max, delta]. Reply: the new value, Redis's errors otherwise.
write_args()
local L = lib()
local key, delta = KEYS[1], tonumber(ARGV[3])
local self = L.open(key, 'counter')
if self.exists and self.rtype ~= 'string' then return redis.error_reply(WRONGTYPE) end
local current = 0
if self.exists then
  current = L.parse_int(redis.call('GET', key))
  if current == nil then
    L.flush(self)
    return redis.error_reply(NOT_INTEGER)
  end
end
local value = current + delta
if value > COUNTER_MAX or value < -COUNTER_MAX then
  L.flush(self)
  return redis.error_reply(OVERFLOW)
end
local node = L.ts_node(TS)
local positive, negative, last = 'p:' .. node, 'n:' .. node, 'h:' .. node
local fold = 0
if self.exists and L.mget(self, 't') ~= 'counter' then fold = current end
if L.claim(self, 'counter') and counter_fresh(TS, L.mget(self, last)) and newer(TS, L.mget(self, 'd')) then
  L.counter_add(self, positive, negative, delta + fold)
  L.mset(self, last, TS)
  local sum = L.counter_sum(self)
  redis.call('SET', key, L.int2s(sum), 'KEEPTTL')
  if not self.exists then L.settle_ttl(self) end
  L.commit(self)
else
  L.flush(self)
end
return value
