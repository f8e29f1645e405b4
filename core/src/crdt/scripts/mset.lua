-- mset: MSET as one register write per key, exactly as `set` without options (an expiry op with no
-- deadline too). KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max, v1, ..., vn]. Reply: OK.
write_args()
for i = 1, #KEYS do
  local key, value = KEYS[i], ARGV[i + 2]
  local self = open(key, 'string')
  local applied = false
  if claim(self, 'string') then
    if newer(TS, maxts(mget(self, 'a'), mget(self, 'd'))) then
      applied = true
      mset(self, 'a', TS)
      redis.call('SET', key, value)
    end
    if newer(TS, mget(self, 'xt')) then
      applied = true
      mset(self, 'xt', TS)
      mset(self, 'xa', '0')
    end
  end
  if applied then
    settle_ttl(self)
    commit(self)
  else
    flush(self)
  end
end
return redis.status_reply('OK')
