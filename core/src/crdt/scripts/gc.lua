-- gc: tombstone collection (called by background repair once the horizon is safe).
-- KEYS = [K]; ARGV = [horizon (24-hex timestamp)]. Removes the whole metadata hash when K is gone and
-- every timestamp in M is at or before the horizon; otherwise element tombstones r:<m> at or before it
-- (with the adds they kill; not for hash fields with counter components), and the key delete d at or
-- before it (with every add, tombstone and expiry it kills) when the key has no counter components.
-- Reply: metadata fields removed.
local key, horizon = KEYS[1], ARGV[1]
local self = meta_open(key)
if redis.call('EXISTS', self.m) == 0 then return 0 end
local names = mload_all(self)
local counters = false
local newest = ''
for i = 1, #names do
  local name = names[i]
  if starts(name, 'h:') or starts(name, 'hh:') then counters = true end
  if name == 'a' or name == 'd' or name == 'xt' or starts(name, 'e:') or starts(name, 'r:')
    or starts(name, 'h:') or starts(name, 'hh:') then
    newest = maxts(newest, mget(self, name))
  end
end
if redis.call('EXISTS', key) == 0 and newest <= horizon then
  redis.call('DEL', self.m)
  return #names
end
for i = 1, #names do
  local name = names[i]
  local removed = mget(self, name)
  if starts(name, 'r:') and removed ~= '' and removed <= horizon then
    local element = string.sub(name, 3)
    if #field_components(self, element) == 0 then
      mset(self, name, '')
      if mget(self, 'e:' .. element) <= removed then mset(self, 'e:' .. element, '') end
    end
  end
end
local d = mget(self, 'd')
if d ~= '' and d <= horizon and not counters then
  mset(self, 'd', '')
  for i = 1, #names do
    local name = names[i]
    local value = mget(self, name)
    if value ~= '' and value <= d and (name == 'a' or starts(name, 'e:') or starts(name, 'r:')) then
      mset(self, name, '')
    end
  end
  if mget(self, 'xt') ~= '' and mget(self, 'xt') <= d then
    mset(self, 'xt', '')
    mset(self, 'xa', '')
  end
end
local removed = flush(self)
if redis.call('HLEN', self.m) == 1 and mget(self, 't') ~= '' then
  -- only the type is left: nothing to remember
  redis.call('DEL', self.m)
  removed = removed + 1
end
return removed
