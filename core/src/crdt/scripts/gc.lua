-- gc: tombstone collection (background repair calls it once the horizon is safe).
-- KEYS = [K]; ARGV = [horizon (24-hex timestamp)]. Removes the whole metadata hash when K is gone and
-- every timestamp in M is at or before the horizon; otherwise the element tombstones r:<m> at or before
-- it (not for hash fields with counter components: r:<f> masks their older components), and the key
-- delete d at or before it when nothing else in M is at or before d (normalized M keeps nothing else
-- below d but the expiry, which goes with it when xt <= d).
-- Reply: metadata fields removed.
local key, horizon = KEYS[1], ARGV[1]
local self = meta_open(key)
if redis.call('EXISTS', self.m) == 0 then return 0 end
local names = mload_all(self)
local newest = key_level(self.cache, names)
if mget(self, 'xt') > newest then newest = mget(self, 'xt') end
if redis.call('EXISTS', key) == 0 and newest <= horizon then
  redis.call('DEL', self.m)
  return #names
end
for i = 1, #names do
  local name = names[i]
  local removed = mget(self, name)
  if starts(name, 'r:') and removed ~= '' and removed <= horizon and #field_components(self, string.sub(name, 3)) == 0 then
    mset(self, name, '')
  end
end
local d = mget(self, 'd')
if d ~= '' and d <= horizon then
  mset(self, 'd', '')
  if mget(self, 'xt') ~= '' and mget(self, 'xt') <= d then
    mset(self, 'xt', '')
    mset(self, 'xa', '')
  end
end
return flush(self)
