-- hincrby: HINCRBY as a per-field PN-counter (hp:<n>:<f>, hn:<n>:<f>, hh:<n>:<f>); a field holding a
-- register value (e:<f>) is folded into the coordinator's component first.
-- KEYS = [K]; ARGV = [ts, changelog_max, field, delta]. Reply: the new value, Redis's errors otherwise.
write_args()
local key, field, delta = KEYS[1], ARGV[3], tonumber(ARGV[4])
local self = open(key)
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
local node = ts_node(TS)
local name = node .. ':' .. field
local ok = claim(self, 'hash') and newer(TS, maxts(mget(self, 'r:' .. field), mget(self, 'd')))
local added = mget(self, 'e:' .. field)
if ok and added ~= '' then
  if newer(TS, added) then
    mset(self, 'e:' .. field, '')
    if stored then counter_add(self, 'hp:' .. name, 'hn:' .. name, current) end
  else
    ok = false
  end
elseif ok and stored and #field_counter_names(self, field) == 0 then
  counter_add(self, 'hp:' .. name, 'hn:' .. name, current)
end
if ok and counter_fresh(TS, mget(self, 'hh:' .. name)) then
  counter_add(self, 'hp:' .. name, 'hn:' .. name, delta)
  mset(self, 'hh:' .. name, TS)
  redis.call('HSET', key, field, int2s(value))
  commit(self)
else
  flush(self)
end
return value
