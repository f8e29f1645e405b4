-- del: DEL / UNLINK as key deletes: d = max(d, ts) kills every add at or before it (register,
-- elements, counter components) and the expiry; M is normalized; adds newer than the delete survive
-- (K is rebuilt from them, usually it is just removed).
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max]. Reply: how many of the keys existed.
write_args()
local L = lib()
local count = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local self = L.open(key, nil)
  self.kind = L.default_kind(self.rtype)
  if self.exists then count = count + 1 end
  if newer(TS, L.mget(self, 'd')) then
    if self.exists and (L.mget(self, 't') == '' or (self.rtype ~= L.mget(self, 't')
      and not (self.rtype == 'string' and L.mget(self, 't') == 'counter'))) then
      redis.call('DEL', key) -- a type CRDT mode does not cover
      self.exists = false
    end
    L.delete_through(self, TS)
    L.commit(self)
  else
    L.flush(self)
  end
end
return count
