-- mset: MSET as one LWW register write per key (each also an expiry op with no deadline, like SET).
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max, v1, ..., vn]. Reply: OK.
write_args()
for i = 1, #KEYS do
  local key, value = KEYS[i], ARGV[i + 2]
  local self = open(key, 'string')
  local applied = false
  if newer(TS, mget(self, 'a')) then
    applied = true
    mset(self, 'a', TS)
  end
  if newer(TS, mget(self, 'xt')) then
    applied = true
    mset(self, 'xt', TS)
    mset(self, 'xa', '0')
  end
  if applied then
    mset(self, 't', string_kind(self))
    local sum, counting = counter_live(self)
    if counting then redis.call('SET', key, int2s(sum))
    elseif mget(self, 'a') == TS and newer(TS, mget(self, 'd')) then redis.call('SET', key, value) end
    settle_ttl(self)
    commit(self)
  else
    flush(self)
  end
end
return redis.status_reply('OK')
