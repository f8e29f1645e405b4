-- merge: merges a replica's state (H1's KeyState::merge_args) into this key: read repair write-back and
-- background repair. KEYS = [K]; ARGV = [type, pair_count, meta field/value pairs..., data...] with
-- data: string [value] when the register is live and unmasked; hash field,value pairs of the live LWW
-- fields; zset member,score pairs of the live members; set/counter nothing.
-- Per-field max of every timestamp field and of the totals p/n/hp/hn; values follow their winning
-- timestamp (xa follows xt; on equal timestamps a present value beats a missing one, then the larger
-- bytes win); t is the type of the state with the greater key-level timestamp max(a, e:*, h:*, hh:*)
-- (equal: the greater type name). Then K is rebuilt from the live part.
-- Reply: metadata fields changed (0 = this replica already held the merge; K untouched).
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

local self = open(key, nil)
local lnames = mload_all(self)
local ltype = mget(self, 't')
local lvalue, lvalues = current_values(self)
local _, masked = counter_live(self)
if masked or not (mget(self, 'a') > mget(self, 'd')) then lvalue = false end

local function pick(mine, theirs)
  if theirs and (not mine or bytes_gt(theirs, mine)) then return theirs end
  return mine
end

local kind = ltype
if itype ~= '' and itype ~= ltype then
  local lnew, inew = newest_add(self.cache, lnames), newest_add(incoming, inames)
  if ltype == '' or inew > lnew or (inew == lnew and bytes_gt(itype, ltype)) then kind = itype end
end
if kind ~= '' then mset(self, 't', kind) end

for i = 1, #inames do
  local name = inames[i]
  local value = incoming[name]
  if name == 't' or name == 'xa' then
    -- t is resolved above; xa follows xt.
  elseif name == 'xt' then
    local mine = mget(self, 'xt')
    local deadline = incoming['xa'] or ''
    if value > mine then
      mset(self, 'xt', value)
      mset(self, 'xa', deadline)
    elseif value == mine then
      mset(self, 'xa', pick(mget(self, 'xa'), deadline))
    end
  elseif starts(name, 'p:') or starts(name, 'n:') or starts(name, 'hp:') or starts(name, 'hn:') then
    if num(value) > num(mget(self, name)) then mset(self, name, value) end
  elseif name == 'a' then
    local mine = mget(self, 'a')
    if value > mine then
      mset(self, 'a', value)
      lvalue = ivalue
    elseif value == mine then
      lvalue = pick(lvalue, ivalue)
    end
  elseif starts(name, 'e:') then
    local element = string.sub(name, 3)
    local mine = mget(self, name)
    if value > mine then
      mset(self, name, value)
      lvalues[element] = ivalues[element]
    elseif value == mine then
      lvalues[element] = pick(lvalues[element], ivalues[element])
    end
  else
    -- d, r:<m>, h:<n>, hh:<n>:<f>: timestamps, the max wins.
    if value > mget(self, name) then mset(self, name, value) end
  end
end

local changed = flush(self)
if changed > 0 then rebuild(self, lvalue, lvalues) end
return changed
