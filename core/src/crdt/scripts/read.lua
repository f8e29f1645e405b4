-- read: a covered read at DC_QUORUM / DC_SAFE_QUORUM (read only).
-- KEYS = [K]; ARGV = [max_elements, the original read command and its arguments...].
-- Reply: [state (as the state script) or nil, reply or nil]: the original command's reply (run here,
-- errors included) only when K exists without metadata (unmanaged) or the state is too large.
local key, limit = KEYS[1], tonumber(ARGV[1])
local rtype = redis.call('TYPE', key).ok
local fields = redis.call('HLEN', META_PREFIX .. key)
if fields == 0 and rtype ~= 'none' then
  return { false, redis.pcall(unpack(ARGV, 2)) }
end
local state = state_of(key, limit, rtype, fields)
if state == nil then return { false, redis.pcall(unpack(ARGV, 2)) } end
return { state, false }
