-- read: a covered read at DC_QUORUM / DC_SAFE_QUORUM (read only).
-- KEYS = [K]; ARGV = [max_elements, the original read command and its arguments...].
-- Reply: [state (as the state script) or nil, reply or nil]: the original command's reply (run here,
-- errors included) only when K exists without metadata (unmanaged) or the state is too large.
local key, limit = KEYS[1], tonumber(ARGV[1])
local rtype, value = nil, nil
if ARGV[2] and string.upper(ARGV[2]) == 'GET' then
  -- A GET reads a register: one GET gives K's type (string, or none when missing) and the data.
  value = redis.pcall('GET', key)
  if type(value) == 'table' then value = nil -- another type
  elseif value then rtype = 'string'
  else rtype = 'none' end
end
rtype = rtype or redis.call('TYPE', key).ok
local fields = redis.call('HLEN', META_PREFIX .. key)
if fields == 0 and rtype ~= 'none' then
  return { false, redis.pcall(unpack(ARGV, 2)) }
end
local state = state_of(key, limit, rtype, fields, value)
if state == nil then return { false, redis.pcall(unpack(ARGV, 2)) } end
return { state, false }
