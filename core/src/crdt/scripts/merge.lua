-- merge: merges a replica's state (KeyState::merge_args) into this key: read repair write-back and
-- background repair, the same rules as merge::merge. KEYS = [K]; ARGV = [type, pair_count, meta
-- field/value pairs..., data...] with data: string [value] when the register is live; hash
-- field,value pairs of the live LWW fields; zset member,score pairs of the live members; set/counter
-- nothing.
-- t: of the state with the greater (key-level timestamp, type name); a state whose t lost raises d to
-- its key-level timestamp. a, d, xt, e:*, r:*: the max, values follow their timestamp (xa follows xt,
-- the larger deadline on equal xt; on equal timestamps a present value beats a missing one, then the
-- larger bytes: state.rs "Equal timestamps"). Counter components: the newer start s wins whole, equal
-- starts take the maximum of each total and of h. A passed live expiry is folded into d (KeyState::settle at the datastore's
-- clock). Then M is normalized and K rebuilt from the live part.
-- Reply: metadata fields changed plus values taken on equal timestamps (0 = this replica already held
-- the merge; K untouched).
local L = lib()
local itype, count = ARGV[1], tonumber(ARGV[2])
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
local _, changed = L.merge_in(KEYS[1], itype, incoming, inames, ivalue, ivalues)
return changed
