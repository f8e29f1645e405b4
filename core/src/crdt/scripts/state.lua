-- state: the key's CRDT state for read repair and background repair (read only).
-- KEYS = [K]; ARGV = [max_elements]. Reply: [meta_flat (HGETALL M), type of K (TYPE), data, pttl] with
-- data: string GET, hash HGETALL, set SMEMBERS, zset ZRANGE 0 -1 WITHSCORES, other types/none [].
-- More elements (the larger of M's field count and K's cardinality) than max_elements: an error.
local limit = tonumber(ARGV[1])
local state, size = state_of(KEYS[1], limit)
if state == nil then return redis.error_reply(too_large(size, limit)) end
return state
