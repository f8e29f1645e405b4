-- gc: tombstone collection. Removes element tombstones (r:<m>) and the key delete (d) at or before the
-- horizon, and the whole metadata hash when K is gone and every timestamp in it is at or before it.
-- KEYS = [K]; ARGV = [horizon (24 hex timestamp)]. Reply: metadata fields removed.
local key, horizon = KEYS[1], ARGV[1]
local self = meta_open(key)
if redis.call('EXISTS', self.m) == 0 then return 0 end
local names = mload_all(self)
if redis.call('EXISTS', key) == 0 then
  local newest = ''
  for i = 1, #names do
    local name = names[i]
    if name == 'a' or name == 'd' or name == 'xt' or starts(name, 'e:') or starts(name, 'r:')
      or starts(name, 'h:') or starts(name, 'hh:') then
      newest = maxts(newest, mget(self, name))
    end
  end
  if newest <= horizon then
    redis.call('DEL', self.m)
    return #names
  end
end
prune(self)
for i = 1, #names do
  local name = names[i]
  local value = mget(self, name)
  if value ~= '' and (name == 'd' or starts(name, 'r:')) and value <= horizon then mset(self, name, '') end
end
return flush(self)
