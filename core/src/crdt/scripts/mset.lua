-- mset: MSET as one register write per key, exactly as `set` without options (an expiry op with no
-- deadline too); a key given twice takes its last value, as in Redis.
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max, v1, ..., vn]. Reply: OK.
write_args()

-- The general path of one key (the fast path's fast_set declined).
local function write(key, value)
  local L = lib()
  local self = L.open(key, 'string')
  local applied = false
  if L.claim(self, 'string') and newer(TS, L.maxts(L.mget(self, 'a'), L.mget(self, 'd'))) then
    applied = true
    L.mset(self, 'a', TS)
    redis.call('SET', key, value)
  end
  -- The expiry half applies even when the value lost (as the merge keeps the newest xt).
  if newer(TS, L.mget(self, 'xt')) then
    applied = true
    L.mset(self, 'xt', TS)
    L.mset(self, 'xa', '0')
  end
  if applied then
    L.settle_ttl(self)
    L.commit(self)
  else
    L.flush(self)
  end
end

local last = {}
for i = 1, #KEYS do last[KEYS[i]] = i end
for i = 1, #KEYS do
  if last[KEYS[i]] == i and not fast_set(KEYS[i], ARGV[i + 2], '0') then write(KEYS[i], ARGV[i + 2]) end
end
return redis.status_reply('OK')
