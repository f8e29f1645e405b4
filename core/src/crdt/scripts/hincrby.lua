-- hincrby: HINCRBY as a per-field PN-counter (hp:<n>:<f>, hn:<n>:<f>, hh:<n>:<f>): applies iff
-- ts > max(hh:<n>:<f>, e:<f>, r:<f>, d); on a field holding an HSET value it folds that value into the
-- delta and the value's add becomes the field's tombstone (r:<f>). K's field = Σ (hp − hn).
-- KEYS = [K]; ARGV = [ts, changelog_max, field, delta]. Reply: the new value, Redis's errors otherwise.
write_args()
local key, field, delta = KEYS[1], ARGV[3], tonumber(ARGV[4])
local self = open(key, 'hash')
if self.exists and self.rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local stored = false
if self.exists then stored = redis.call('HGET', key, field) end
local current = 0
if stored then
  current = parse_int(stored)
  if current == nil then
    flush(self)
    return redis.error_reply(HASH_NOT_INTEGER)
  end
end
local value = current + delta
if value > COUNTER_MAX or value < -COUNTER_MAX then
  flush(self)
  return redis.error_reply(OVERFLOW)
end
local suffix = ts_node(TS) .. ':' .. field
local positive, negative, last = 'hp:' .. suffix, 'hn:' .. suffix, 'hh:' .. suffix
local e, r = 'e:' .. field, 'r:' .. field
if claim(self, 'hash') and counter_fresh(TS, mget(self, last))
  and newer(TS, maxts(mget(self, e), maxts(mget(self, r), mget(self, 'd')))) then
  local fold = 0
  local added = mget(self, e)
  if stored and (added ~= '' or #field_components(self, field) == 0) then
    -- an HSET value (or a value written by an uncovered command) is folded in
    fold = current
  end
  if added ~= '' then
    mset(self, r, maxts(mget(self, r), added))
    mset(self, e, '')
  end
  counter_add(self, positive, negative, delta + fold)
  mset(self, last, TS)
  local sum = field_counter_sum(self, field)
  redis.call('HSET', key, field, int2s(sum))
  if not self.exists then settle_ttl(self) end
  commit(self)
else
  flush(self)
end
return value
