-- del: DEL / UNLINK as key deletes: d = max(d, ts) kills every add at or before it (register,
-- elements, counter components) and the expiry; M is normalized; adds newer than the delete survive
-- (K is rebuilt from them, usually it is just removed).
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max]. Reply: how many of the keys existed.
write_args()
local count = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local self = open(key, nil)
  self.kind = default_kind(self.rtype)
  if self.exists then count = count + 1 end
  if newer(TS, mget(self, 'd')) then
    if self.exists and (mget(self, 't') == '' or (self.rtype ~= mget(self, 't')
      and not (self.rtype == 'string' and mget(self, 't') == 'counter'))) then
      redis.call('DEL', key) -- a type CRDT mode does not cover
      self.exists = false
    end
    delete_through(self, TS)
    commit(self)
  else
    flush(self)
  end
end
return count
