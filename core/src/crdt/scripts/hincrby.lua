-- hincrby: HINCRBY, first half: the applier adds delta into its own component of field <f>
-- (hp:<id>:<f>, hn:<id>:<f>, hh:<id>:<f>, hs:<id>:<f>), as `incrby` does for a key; applies iff
-- ts > max(e:<f>, r:<f>, d); on a field holding an HSET value it folds that value into the delta and
-- the value's add becomes the field's tombstone (r:<f>). K's field = Σ (hp − hn).
-- KEYS = [K]; ARGV = [ts, changelog_max, field, delta]. Reply: [value, id, s, p, n, h] as `incrby`
-- (the field's component); Redis's errors otherwise.
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
local id = datastore_id()
local suffix = id .. ':' .. field
local e, r = 'e:' .. field, 'r:' .. field
local function own()
  if L.mget(self, 'hh:' .. suffix) == '' then return { '', '', '', '' } end
  return { L.mget(self, 'hs:' .. suffix), L.mget(self, 'hp:' .. suffix), L.mget(self, 'hn:' .. suffix),
    L.mget(self, 'hh:' .. suffix) }
end
local function reply(answer, component)
  if component[1] == '' then return { answer, '', '', '', '', '' } end
  return { answer, id, component[1], component[2], component[3], component[4] }
end
if L.claim(self, 'hash') and newer(TS, L.maxts(L.mget(self, e), L.maxts(L.mget(self, r), L.mget(self, 'd')))) then
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
  L.own_add(self, 'h', suffix, delta + fold)
  local sum = L.field_counter_sum(self, field)
  redis.call('HSET', key, field, L.int2s(sum))
  if not self.exists then L.settle_ttl(self) end
  L.commit(self)
  return reply(value, own())
end
L.flush(self)
return reply(current, own())
