-- incrby: INCR / DECR / INCRBY / DECRBY, first half (state.rs, "Counters"). The coordinator sends
-- it to ONE replica of the key, the applier, which adds delta into the component this datastore
-- owns (id `_dyn:id`): p:<id> (positive) or n:<id> (negative), h:<id> = max(h, ts), s:<id> = ts when
-- the component starts (first op, or after a delete pruned it). K = Σ (p − n) over every component.
-- The coordinator then ships the component to the other replicas (`counter`), which join it. The op
-- applies iff ts > d (a newer delete voids it). On a live integer register it is a type change whose
-- op folds the register's value into the delta (SET k 5; INCR k gives 6).
-- KEYS = [K]; ARGV = [ts, changelog_max, delta]. Reply: [value, id, s, p, n, h]: the new value (the
-- current one when a newer delete voids the op) and this datastore's component afterwards (all ''
-- when it holds none); Redis's errors otherwise.
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
local id = datastore_id()
local fold = 0
if self.exists and L.mget(self, 't') ~= 'counter' then fold = current end
if L.claim(self, 'counter') and newer(TS, L.mget(self, 'd')) then
  local own = L.own_add(self, '', id, delta + fold)
  local sum = L.counter_sum(self)
  redis.call('SET', key, L.int2s(sum), 'KEEPTTL')
  if not self.exists then L.settle_ttl(self) end
  L.commit(self)
  if L.mget(self, 'h:' .. id) == '' then return { current, '', '', '', '', '' } end -- settled away
  return { value, id, own[1], own[2], own[3], own[4] }
end
L.flush(self)
if L.mget(self, 'h:' .. id) == '' then return { current, '', '', '', '', '' } end
return { current, id, L.mget(self, 's:' .. id), L.mget(self, 'p:' .. id), L.mget(self, 'n:' .. id),
  L.mget(self, 'h:' .. id) }
