-- incrby: INCR / DECR / INCRBY / DECRBY as a PN-counter: the coordinator's component (p:<n> or n:<n>)
-- grows by |delta| iff ts > h:<n> (so a duplicate or retry never counts twice); K holds the sum. A live
-- register with an integer value is folded into the component first.
-- KEYS = [K]; ARGV = [ts, changelog_max, delta]. Reply: the new value, Redis's errors otherwise.
write_args()
local key, delta = KEYS[1], tonumber(ARGV[3])
local self = open(key)
if self.exists and self.rtype ~= 'string' then return redis.error_reply(WRONGTYPE) end
local current = 0
if self.exists then
  current = parse_int(redis.call('GET', key))
  if current == nil then
    flush(self)
    return redis.error_reply(NOT_INTEGER)
  end
end
local value = current + delta
if value > COUNTER_MAX or value < -COUNTER_MAX then
  flush(self)
  return redis.error_reply(OVERFLOW)
end
local node = ts_node(TS)
local kind = mget(self, 't')
local ok = newer(TS, mget(self, 'd'))
if ok then
  if kind == 'string' and self.exists then
    if newer(TS, mget(self, 'a')) then
      mset(self, 'a', '')
      mset(self, 't', 'counter')
      counter_add(self, 'p:' .. node, 'n:' .. node, current)
    else
      ok = false
    end
  elseif kind ~= 'counter' then
    ok = claim(self, 'counter')
  end
end
if ok and counter_fresh(TS, mget(self, 'h:' .. node)) then
  counter_add(self, 'p:' .. node, 'n:' .. node, delta)
  mset(self, 'h:' .. node, TS)
  redis.call('SET', key, int2s(value), 'KEEPTTL')
  commit(self)
else
  flush(self)
end
return value
