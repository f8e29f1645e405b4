-- hincrby: HINCRBY as a per-field PN-counter (hp:<n>:<f>, hn:<n>:<f>, hh:<n>:<f>): applies iff
-- ts > max(hh:<n>:<f>, e:<f>, r:<f>, d); on a field holding an HSET value it folds that value into the
-- delta and the value's add becomes the field's tombstone (r:<f>). K's field = Σ (hp − hn).
-- KEYS = [K]; ARGV = [ts, changelog_max, field, delta]. Reply: the new value (the current one when the
-- op is not applied: a duplicate already counted, or an op a newer delete voids), Redis's errors
-- otherwise.
write_args()
local L = lib()
local key, field, delta = KEYS[1], ARGV[3], tonumber(ARGV[4])
local self = L.open(key, 'hash')
if self.exists and self.rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local stored = false
if self.exists then stored = redis.call('HGET', key, field) end
local current = 0
if stored then
  current = L.parse_int(stored)
  if current == nil then
    L.flush(self)
    return redis.error_reply(HASH_NOT_INTEGER)
  end
end
local value = current + delta
if value > COUNTER_MAX or value < -COUNTER_MAX then
  L.flush(self)
  return redis.error_reply(OVERFLOW)
end
local suffix = L.ts_node(TS) .. ':' .. field
local positive, negative, last = 'hp:' .. suffix, 'hn:' .. suffix, 'hh:' .. suffix
local e, r = 'e:' .. field, 'r:' .. field
if L.claim(self, 'hash') and counter_fresh(TS, L.mget(self, last))
  and newer(TS, L.maxts(L.mget(self, e), L.maxts(L.mget(self, r), L.mget(self, 'd')))) then
  local fold = 0
  local added = L.mget(self, e)
  if stored and (added ~= '' or #L.field_components(self, field) == 0) then
    -- an HSET value (or a value written by an uncovered command) is folded in
    fold = current
  end
  if added ~= '' then
    L.mset(self, r, L.maxts(L.mget(self, r), added))
    L.mset(self, e, '')
  end
  L.counter_add(self, positive, negative, delta + fold)
  L.mset(self, last, TS)
  local sum = L.field_counter_sum(self, field)
  redis.call('HSET', key, field, L.int2s(sum))
  if not self.exists then L.settle_ttl(self) end
  L.commit(self)
  return value
end
L.flush(self)
return current -- a duplicate (retry, replayed hint) or an op a newer delete voids: counted once
