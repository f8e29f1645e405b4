-- mset: MSET as one LWW register write per key (no expiry: clears the deadline like SET).
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max, v1, ..., vn]. Reply: OK.
write_args()
for i = 1, #KEYS do
  local key, value = KEYS[i], ARGV[i + 2]
  local self = open(key)
  if newer(TS, mget(self, 'a')) and newer(TS, mget(self, 'd')) and claim(self, 'string') then
    mset(self, 'a', TS)
    redis.call('SET', key, value)
    if newer(TS, mget(self, 'xt')) then
      mset(self, 'xt', TS)
      mset(self, 'xa', '0')
    end
    settle_expiry(self, false)
    flush(self)
    log_write(key)
  else
    flush(self)
  end
end
return redis.status_reply('OK')
