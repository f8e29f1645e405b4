-- incrby: INCR / DECR / INCRBY / DECRBY as a PN-counter. The op (node n of ts, ts, delta) applies iff
-- ts > h:<n> and ts > d, so a duplicate or retry never counts twice: delta goes to p:<n> (positive) or
-- n:<n> (negative), h:<n> = ts, K = Σ (p − n). On a live integer register it is a type change whose
-- op folds the register's value into the delta (SET k 5; INCR k gives 6).
-- KEYS = [K]; ARGV = [ts, changelog_max, delta]. Reply: the new value (the current one when the op is
-- not applied: a duplicate already counted, or an op a newer delete voids), Redis's errors otherwise.
write_args()
local key, delta = KEYS[1], tonumber(ARGV[3])

-- Fast path: a counter (or a missing key, or M holding only d/xt/xa) without a passed expiry, K an
-- integer register or missing: what the general path does there, with one HGETALL of M (the sum
-- needs every component) and no TYPE/EXISTS. Nil (nothing done) when the general path is needed.
local function fast()
  local m = META_PREFIX .. key
  local flat = redis.call('HGETALL', m)
  local fields = {}
  for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
  local t, d, xt, xa = fields['t'] or '', fields['d'] or '', fields['xt'] or '', fields['xa'] or ''
  if t ~= 'counter' and t ~= '' then return nil end
  local live = xa ~= '' and xa ~= '0' and xt > d
  if live then
    -- A live expiry that has passed, or that this op (TS beyond its deadline) makes pass, is settled
    -- by the general path; one that has not keeps K's TTL (SET ... KEEPTTL below).
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    local at = string.format('%012x', tonumber(xa)) .. '000000000000'
    if tonumber(xa) <= now or xt > at or TS > at then return nil end
  end
  local raw = redis.pcall('GET', key)
  if type(raw) == 'table' then return nil end -- K of another type: WRONGTYPE
  if raw and #flat == 0 then return nil end -- unmanaged data: adopted first
  local current, fold = 0, 0
  if raw then
    current = parse_int(raw)
    if current == nil then return nil end
    if t ~= 'counter' then fold = current end
  end
  local value = current + delta
  if value > COUNTER_MAX or value < -COUNTER_MAX then return nil end
  local writes, n = {}, 0
  if t == '' then
    writes[1] = 't'
    writes[2] = 'counter'
    n = 2
  end
  local node = string.sub(TS, 17, 24)
  local last = 'h:' .. node
  local applied = counter_fresh(TS, fields[last] or '') and newer(TS, d)
  if applied then
    local add, total, old, new = delta + fold, 'p:' .. node, nil, nil
    if add >= 0 then
      old = fields[total] or ''
      new = int2s(num(old) + add)
    else
      total = 'n:' .. node
      old = fields[total] or ''
      new = int2s(num(old) - add)
    end
    if new ~= old then
      writes[n + 1] = total
      writes[n + 2] = new
      n = n + 2
      fields[total] = new
    end
    if TS ~= (fields[last] or '') then
      writes[n + 1] = last
      writes[n + 2] = TS
      n = n + 2
    end
    -- The sum over every component (all live in normalized M), in M's order then the new one.
    local sum = 0
    local function add_component(name)
      local component = string.sub(name, 3)
      sum = sum + num(fields['p:' .. component] or '') - num(fields['n:' .. component] or '')
    end
    for i = 1, #flat, 2 do
      if string.sub(flat[i], 1, 2) == 'h:' then add_component(flat[i]) end
    end
    if fields[last] == nil then add_component(last) end
    redis.call('SET', key, int2s(sum), 'KEEPTTL')
    if live and not raw then redis.call('PEXPIREAT', key, xa) end -- K was created: it gets the TTL
    if n > 0 then redis.call('HSET', m, unpack(writes)) end
    log_write(key)
  elseif n > 0 then
    redis.call('HSET', m, unpack(writes))
  end
  if applied then return value end
  return current -- a duplicate (retry, replayed hint) or an op a newer delete voids: counted once
end

local result = fast()
if result ~= nil then return result end
local L = lib()
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
  return value
end
L.flush(self)
return current -- a duplicate (retry, replayed hint) or an op a newer delete voids: counted once
