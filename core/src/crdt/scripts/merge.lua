-- merge: merges a replica's state (KeyState::merge_args) into this key: read repair write-back and
-- background repair, the same rules as merge::merge. KEYS = [K]; ARGV = [type, pair_count, meta
-- field/value pairs..., data...] with data: string [value] when the register is live; hash
-- field,value pairs of the live LWW fields; zset member,score pairs of the live members; set/counter
-- nothing.
-- t: of the state with the greater (key-level timestamp, type name); a state whose t lost raises d to
-- its key-level timestamp. a, d, xt, e:*, r:*: the max, values follow their timestamp (xa follows xt,
-- the larger deadline on equal xt; on equal timestamps a present value beats a missing one, then the
-- larger bytes: state.rs "Equal timestamps"). Counter components follow their h (equal h: per-field
-- max of the totals). A passed live expiry is folded into d (KeyState::settle at the datastore's
-- clock). Then M is normalized and K rebuilt from the live part.
-- Reply: metadata fields changed plus values taken on equal timestamps (0 = this replica already held
-- the merge; K untouched).
local L = lib()
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

local self = L.open(key, nil)
local lnames = L.mload_all(self)
local ltype = L.mget(self, 't')
local lvalue, lvalues = L.current_values(self)
-- K of another Redis type than t (left by an uncovered write) holds no CRDT data (KeyState::parse).
local rtype_of_t = ltype
if ltype == 'counter' then rtype_of_t = 'string' end
if self.rtype ~= rtype_of_t then lvalue, lvalues = false, {} end
if ltype ~= 'string' or L.mget(self, 'a') == '' then lvalue = false end

-- Equal timestamps: present beats missing, then the larger bytes. A value taken here changes K
-- without changing M, so it is counted (K is rebuilt and the reply says the replica was stale).
local taken = 0
local function pick(mine, theirs)
  if theirs and (not mine or L.bytes_gt(theirs, mine)) then
    taken = taken + 1
    return theirs
  end
  return mine
end

-- Type, and the loser's key-level timestamp into d.
local llevel, ilevel = L.key_level(self.cache, lnames), L.key_level(incoming, inames)
local kind, loser_level = ltype, ''
if itype ~= '' and itype ~= ltype then
  if ltype == '' or ilevel > llevel or (ilevel == llevel and L.bytes_gt(itype, ltype)) then
    kind = itype
    if ltype ~= '' then loser_level = llevel end
    lvalue, lvalues = false, {}
  else
    loser_level = ilevel
  end
end
if kind ~= '' then L.mset(self, 't', kind) end

local function is_total(name)
  return L.starts(name, 'p:') or L.starts(name, 'n:') or L.starts(name, 'hp:') or L.starts(name, 'hn:')
end

for i = 1, #inames do
  local name = inames[i]
  local value = incoming[name]
  if name == 't' or name == 'xa' or is_total(name) then
    -- t is resolved above; xa follows xt; totals follow their h below.
  elseif name == 'xt' then
    local mine = L.mget(self, 'xt')
    local deadline = incoming['xa'] or ''
    if value > mine then
      L.mset(self, 'xt', value)
      L.mset(self, 'xa', deadline)
    elseif value == mine and L.num(deadline) > L.num(L.mget(self, 'xa')) then
      L.mset(self, 'xa', deadline)
    end
  elseif L.starts(name, 'h:') or L.starts(name, 'hh:') then
    local mine = L.mget(self, name)
    local prefix_p, prefix_n, suffix = 'p:', 'n:', string.sub(name, 3)
    if L.starts(name, 'hh:') then prefix_p, prefix_n, suffix = 'hp:', 'hn:', string.sub(name, 4) end
    local p, n = prefix_p .. suffix, prefix_n .. suffix
    if value > mine then
      L.mset(self, name, value)
      L.mset(self, p, incoming[p] or '')
      L.mset(self, n, incoming[n] or '')
    elseif value == mine then
      if L.num(incoming[p] or '') > L.num(L.mget(self, p)) then L.mset(self, p, incoming[p]) end
      if L.num(incoming[n] or '') > L.num(L.mget(self, n)) then L.mset(self, n, incoming[n]) end
    end
  elseif name == 'a' then
    local mine = L.mget(self, 'a')
    if value > mine then
      L.mset(self, 'a', value)
      lvalue = ivalue
    elseif value == mine then
      lvalue = pick(lvalue, ivalue)
    end
  elseif L.starts(name, 'e:') then
    local element = string.sub(name, 3)
    local mine = L.mget(self, name)
    if value > mine then
      L.mset(self, name, value)
      lvalues[element] = ivalues[element]
    elseif value == mine then
      lvalues[element] = pick(lvalues[element], ivalues[element])
    end
  else
    -- d, r:<m>: timestamps, the max wins.
    if value > L.mget(self, name) then L.mset(self, name, value) end
  end
end
if loser_level > L.mget(self, 'd') then L.mset(self, 'd', loser_level) end
-- A live expiry that has passed (by the datastore's clock, or the merged data is beyond its deadline)
-- is folded into d, as every script does (KeyState::settle).
if L.expiry_live(self) then
  local level = L.key_level(self.cache, L.mload_all(self))
  if L.deadline_passed(L.mget(self, 'xa'), L.mget(self, 'xt'), level) then
    L.mset(self, 'd', L.maxts(L.mget(self, 'd'), L.maxts(L.deadline_ts_of(L.mget(self, 'xa')), L.mget(self, 'xt'))))
  end
end

L.normalize(self)
local changed = L.flush(self) + taken
if changed > 0 then L.rebuild(self, lvalue, lvalues) end
return changed
