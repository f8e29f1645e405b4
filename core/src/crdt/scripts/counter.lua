-- counter: second half of a counter op (INCR & co., HINCRBY; state.rs "Counters"): the component the
-- applier returned (`incrby`/`hincrby` reply) is joined into this replica, as a `merge` of a state
-- holding only it would: the type follows the key-level timestamp (h), the newer start s wins whole,
-- equal starts take the maximum of each total and of h; then M is normalized and K rebuilt. A join,
-- so a replayed hint or a repeated call changes nothing.
-- KEYS = [K]; ARGV = [ts, changelog_max, field ('' for a counter key), id, s, p, n, h] (id '' when the
-- applier holds no component: nothing is joined). Reply: the counter's (or field's) value here
-- afterwards, to compare with the applier's; WRONGTYPE when the key is not a counter here (another
-- type won by timestamp), Redis's not-an-integer errors when the value is not one.
write_args()
local L = lib()
local key, field, id = KEYS[1], ARGV[3], ARGV[4]
local itype, pre, suffix = 'counter', '', id
if field ~= '' then itype, pre, suffix = 'hash', 'h', id .. ':' .. field end
local incoming, inames = {}, {}
if id ~= '' then
  incoming = { t = itype }
  inames = { 't' }
  local parts = { 's:', 'p:', 'n:', 'h:' }
  for i = 1, 4 do
    local value = ARGV[4 + i]
    if value ~= '' then
      local name = pre .. parts[i] .. suffix
      incoming[name] = value
      inames[#inames + 1] = name
    end
  end
else
  itype = ''
end
local self, changed = L.merge_in(key, itype, incoming, inames, false, {})
if changed > 0 then log_write(key) end
local rtype = redis.call('TYPE', key).ok
if field == '' then
  if rtype == 'none' then return 0 end
  if rtype ~= 'string' or L.mget(self, 't') ~= 'counter' then return redis.error_reply(WRONGTYPE) end
  local value = L.parse_int(redis.call('GET', key))
  if value == nil then return redis.error_reply(NOT_INTEGER) end
  return value
end
if rtype == 'none' then return 0 end
if rtype ~= 'hash' then return redis.error_reply(WRONGTYPE) end
local stored = redis.call('HGET', key, field)
if not stored then return 0 end
local value = L.parse_int(stored)
if value == nil then return redis.error_reply(HASH_NOT_INTEGER) end
return value
