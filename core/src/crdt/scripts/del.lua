-- del: DEL / UNLINK as key deletes: d = max(d, ts) kills every add at or before it (register,
-- elements, counter components) and the expiry; adds newer than the delete survive (K is rebuilt).
-- KEYS = [K1, ..., Kn]; ARGV = [ts, changelog_max]. Reply: how many of the keys existed.
write_args()
local count = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  local self = open(key, nil)
self.kind = default_kind(self.rtype)
  if self.exists then count = count + 1 end
  if newer(TS, mget(self, 'd')) then
    local value, values = current_values(self)
    mset(self, 'd', TS)
    if self.exists then
      local kind = mget(self, 't')
      if kind == '' or (self.rtype ~= kind and not (self.rtype == 'string' and kind == 'counter')) then
        redis.call('DEL', key)
      else
        rebuild(self, value, values)
      end
    end
    commit(self)
  else
    flush(self)
  end
end
return count
