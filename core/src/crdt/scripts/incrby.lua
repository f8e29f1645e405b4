-- incrby: INCR / DECR / INCRBY / DECRBY as a PN-counter. The op (node n of ts, ts, delta) applies iff
-- ts > h:<n>, so a duplicate or retry never counts twice. A component that is not live
-- (h:<n> <= max(a, d)) is reset first (the smaller total rises to the larger); when no component is
-- live and the register is, the register's integer value is folded in (SET k 5; INCR k gives 6); both
-- only when the op itself is live (ts > max(a, d)), so the totals do not depend on arrival order. Then
-- delta is added to p:<n> or n:<n>, h:<n> = ts, t = counter, K = Σ (p − n) over live components.
-- KEYS = [K]; ARGV = [ts, changelog_max, delta]. Reply: the new value, Redis's errors otherwise.
write_args()
local key, delta = KEYS[1], tonumber(ARGV[3])
local self = open(key, 'counter')
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
local positive, negative, last = 'p:' .. node, 'n:' .. node, 'h:' .. node
if counter_fresh(TS, mget(self, last)) then
  local d = mget(self, 'd')
  local mask = maxts(mget(self, 'a'), d)
  -- (An op masked itself, ts <= max(a, d), is only recorded: its component stays dead.)
  if TS > mask and not (mget(self, last) > mask) then
    counter_reset(self, positive, negative)
    local _, counting = counter_live(self)
    if not counting and mget(self, 'a') > d and self.exists then
      counter_add(self, positive, negative, current)
    end
  end
  counter_add(self, positive, negative, delta)
  mset(self, last, TS)
  mset(self, 't', string_kind(self))
  local sum, counting = counter_live(self)
  if counting then redis.call('SET', key, int2s(sum), 'KEEPTTL') end
  if not self.exists then settle_ttl(self) end
  commit(self)
else
  flush(self)
end
return value
