-- del: DEL / UNLINK as key deletes: d = ts drops every add at or before it (a register, elements,
-- counter components); adds newer than the delete survive. A delete is also an expiry op (no deadline).
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max]. Reply: how many of the keys existed.
write_args()
local count = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local self = open(key)
  if self.exists then count = count + 1 end
  if newer(TS, mget(self, 'd')) then
    mset(self, 'd', TS)
    if newer(TS, mget(self, 'xt')) then
      mset(self, 'xt', TS)
      mset(self, 'xa', '0')
    end
    local gone, counters = prune(self)
    local kind = mget(self, 't')
    if self.exists then
      if kind == 'string' and self.rtype == 'string' then
        if mget(self, 'a') == '' then redis.call('DEL', key) end
      elseif kind == 'counter' and self.rtype == 'string' then
        local names, any = mload_all(self), false
        for j = 1, #names do
          if starts(names[j], 'h:') and mget(self, names[j]) ~= '' then any = true end
        end
        if any then redis.call('SET', key, int2s(counter_sum(self)), 'KEEPTTL') else redis.call('DEL', key) end
      elseif kind == self.rtype and kind == 'hash' then
        chunked('HDEL', key, gone)
        for j = 1, #counters do
          local sum, any = field_counter_sum(self, counters[j])
          if any then redis.call('HSET', key, counters[j], int2s(sum)) else redis.call('HDEL', key, counters[j]) end
        end
      elseif kind == self.rtype and kind == 'set' then
        chunked('SREM', key, gone)
      elseif kind == self.rtype and kind == 'zset' then
        chunked('ZREM', key, gone)
      else
        redis.call('DEL', key)
      end
      if mget(self, 'xa') == '0' then redis.call('PERSIST', key) else settle_expiry(self, false) end
    end
    flush(self)
    log_write(key)
  else
    flush(self)
  end
end
return count
