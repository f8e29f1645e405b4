-- gc: tombstone collection (background repair calls it once the horizon is safe).
-- KEYS = [K]; ARGV = [horizon (24-hex timestamp)]. Removes the whole metadata hash when K is gone and
-- every timestamp in M is at or before the horizon; otherwise the element tombstones r:<m> at or before
-- it (not for hash fields with counter components: r:<f> masks their older components), and the key
-- delete d at or before it when nothing else in M is at or before d (normalized M keeps nothing else
-- below d but the expiry, which goes with it when xt <= d).
-- Reply: metadata fields removed.
local L = lib()
local key, horizon = KEYS[1], ARGV[1]
local self = L.meta_open(key)
if redis.call('EXISTS', self.m) == 0 then return 0 end
local names = L.mload_all(self)
local newest = L.key_level(self.cache, names)
if L.mget(self, 'xt') > newest then newest = L.mget(self, 'xt') end
if redis.call('EXISTS', key) == 0 and newest <= horizon then
  redis.call('DEL', self.m)
  return #names
end
for i = 1, #names do
  local name = names[i]
  local removed = L.mget(self, name)
  if L.starts(name, 'r:') and removed ~= '' and removed <= horizon and #L.field_components(self, string.sub(name, 3)) == 0 then
    L.mset(self, name, '')
  end
end
local d = L.mget(self, 'd')
if d ~= '' and d <= horizon then
  L.mset(self, 'd', '')
  if L.mget(self, 'xt') ~= '' and L.mget(self, 'xt') <= d then
    L.mset(self, 'xt', '')
    L.mset(self, 'xa', '')
  end
end
return L.flush(self)
