-- hincrby: HINCRBY as a per-field PN-counter (hp:<n>:<f>, hn:<n>:<f>, hh:<n>:<f>), the rules of incrby
-- with max(e:<f>, r:<f>, d) as the mask and the field's LWW value as what is folded in.
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
if counter_fresh(TS, mget(self, last)) then
  local mask = field_mask(self, field)
  if TS > mask and not (mget(self, last) > mask) then
    counter_reset(self, positive, negative)
    local _, counting = field_counter_live(self, field)
    if not counting and stored and (element_live(self, field) or mget(self, 'e:' .. field) == '') then
      -- the field's LWW value (or a value written by an uncovered command) is folded in
      counter_add(self, positive, negative, current)
    end
  end
  counter_add(self, positive, negative, delta)
  mset(self, last, TS)
  mset(self, 't', 'hash')
  local sum, counting = field_counter_live(self, field)
  if counting then redis.call('HSET', key, field, int2s(sum)) end
  if not self.exists then settle_ttl(self) end
  commit(self)
else
  flush(self)
end
return value
