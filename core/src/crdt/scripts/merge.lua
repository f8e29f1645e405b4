-- merge: merges a replica's state into this key (read repair write-back, background repair).
-- KEYS = [K]; ARGV = [type, pair_count, meta field/value pairs..., data...] with data: string [value];
-- hash field,value pairs of live fields; zset member,score pairs of live members; set/counter nothing.
-- Every timestamp field takes the max (values follow their winning timestamp, equal timestamps: the
-- byte-wise larger value), p/n/hp/hn the numeric max, xa follows xt; differing types: the type with
-- the newer add wins whole. Then dominated fields are pruned and K is rebuilt from the live part.
-- Reply: metadata fields changed (0 = this replica already held the merge).
local key, itype, count = KEYS[1], ARGV[1], tonumber(ARGV[2])
local incoming, inames = {}, {}
for i = 1, count do
  incoming[ARGV[1 + 2 * i]] = ARGV[2 + 2 * i]
  inames[#inames + 1] = ARGV[1 + 2 * i]
end
local first = 3 + 2 * count
local ivalue, ivalues = false, {}
if itype == 'string' then ivalue = ARGV[first] or false
elseif itype == 'hash' or itype == 'zset' then
  for i = first, #ARGV - 1, 2 do ivalues[ARGV[i]] = ARGV[i + 1] end
end

local self = open(key)
local lnames = mload_all(self)
local ltype = mget(self, 't')
local lvalue, lvalues = false, {}
if self.rtype == 'string' and ltype == 'string' then lvalue = redis.call('GET', key)
elseif self.rtype == 'hash' then
  local flat = redis.call('HGETALL', key)
  for i = 1, #flat, 2 do lvalues[flat[i]] = flat[i + 1] end
elseif self.rtype == 'zset' then
  local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #flat, 2 do lvalues[flat[i]] = flat[i + 1] end
end

-- Type: the newer add wins (equal: the byte-wise larger type name).
local kind = ltype
local take_type_fields = true
if itype ~= '' and itype ~= ltype then
  if ltype == '' then
    kind = itype
  else
    local lnew, inew = newest_add(self.cache, lnames), newest_add(incoming, inames)
    if inew > lnew or (inew == lnew and bytes_gt(itype, ltype)) then
      kind = itype
      for i = 1, #lnames do
        if type_field(lnames[i]) then mset(self, lnames[i], '') end
      end
      lvalue, lvalues = false, {}
    else
      take_type_fields = false
    end
  end
end
if kind ~= '' then mset(self, 't', kind) end

for i = 1, #inames do
  local name = inames[i]
  local value = incoming[name]
  if name == 't' or name == 'xa' or (type_field(name) and not take_type_fields) then
    -- t is resolved above; xa follows xt.
  elseif name == 'xt' then
    local mine = mget(self, 'xt')
    local deadline = incoming['xa'] or ''
    if value > mine or (value == mine and bytes_gt(deadline, mget(self, 'xa'))) then
      mset(self, 'xt', value)
      mset(self, 'xa', deadline)
    end
  elseif starts(name, 'p:') or starts(name, 'n:') or starts(name, 'hp:') or starts(name, 'hn:') then
    if num(value) > num(mget(self, name)) then mset(self, name, value) end
  elseif name == 'a' then
    local mine = mget(self, 'a')
    if value > mine then
      mset(self, 'a', value)
      lvalue = ivalue
    elseif value == mine and ivalue and (not lvalue or bytes_gt(ivalue, lvalue)) then
      lvalue = ivalue
    end
  elseif starts(name, 'e:') then
    local element = string.sub(name, 3)
    local mine = mget(self, name)
    local theirs = ivalues[element]
    if value > mine then
      mset(self, name, value)
      lvalues[element] = theirs
    elseif value == mine and theirs and (not lvalues[element] or bytes_gt(theirs, lvalues[element])) then
      lvalues[element] = theirs
    end
  else
    -- d, r:<m>, h:<n>, hh:<n>:<f>: timestamps, the max wins.
    if value > mget(self, name) then mset(self, name, value) end
  end
end

-- A hash field is a register (e:<f>) or a counter (hh:*:<f>): the newer kind wins.
if kind == 'hash' then
  local names = mload_all(self)
  for i = 1, #names do
    local name = names[i]
    if starts(name, 'hh:') and mget(self, name) ~= '' then
      local field = hfield_of(name)
      local added = mget(self, 'e:' .. field)
      if added ~= '' then
        local counters, newest = field_counter_names(self, field), ''
        for j = 1, #counters do newest = maxts(newest, mget(self, counters[j])) end
        if added > newest then
          for j = 1, #counters do drop_field_counter(self, counters[j]) end
        else
          mset(self, 'e:' .. field, '')
        end
      end
    end
  end
end

prune(self)
local changed = flush(self)
if changed == 0 then return 0 end

-- Rebuild K from the live part.
redis.call('DEL', key)
local names = mload_all(self)
if kind == 'string' then
  if mget(self, 'a') ~= '' and lvalue then redis.call('SET', key, lvalue) end
elseif kind == 'counter' then
  local any = false
  for i = 1, #names do
    if starts(names[i], 'h:') and mget(self, names[i]) ~= '' then any = true end
  end
  if any then redis.call('SET', key, int2s(counter_sum(self))) end
elseif kind == 'hash' or kind == 'set' or kind == 'zset' then
  local writes, counted = {}, {}
  for i = 1, #names do
    local name = names[i]
    if mget(self, name) ~= '' then
      if starts(name, 'e:') then
        local element = string.sub(name, 3)
        if kind == 'set' then writes[#writes + 1] = element
        elseif lvalues[element] then
          if kind == 'hash' then
            writes[#writes + 1] = element
            writes[#writes + 1] = lvalues[element]
          else
            writes[#writes + 1] = lvalues[element]
            writes[#writes + 1] = element
          end
        end
      elseif kind == 'hash' and starts(name, 'hh:') then
        local field = hfield_of(name)
        if not counted[field] then
          counted[field] = true
          writes[#writes + 1] = field
          writes[#writes + 1] = int2s((field_counter_sum(self, field)))
        end
      end
    end
  end
  if kind == 'hash' then chunked('HSET', key, writes)
  elseif kind == 'set' then chunked('SADD', key, writes)
  else chunked('ZADD', key, writes) end
end
local deadline = mget(self, 'xa')
if deadline ~= '' and deadline ~= '0' and redis.call('EXISTS', key) == 1 then
  redis.call('PEXPIREAT', key, deadline)
end
return changed
