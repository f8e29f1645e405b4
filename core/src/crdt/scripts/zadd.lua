-- zadd: ZADD (NX/XX/GT/LT/CH/INCR) and ZINCRBY as an LWW-element-set of members (the score follows
-- the member's add; an add applies iff ts > max(e:<m>, r:<m>, d): e:<m> = ts). Conditions and INCR are evaluated
-- on this replica's current state, like Redis.
-- KEYS = [K]; ARGV = [ts, changelog_max, condition ('' | 'NX' | 'XX'), compare ('' | 'GT' | 'LT'),
-- ch ('0' | '1'), incr ('0' | '1'), score1, member1, ...].
-- Reply: added (+ changed with CH); with INCR the new score, nil when a condition blocks it.
write_args()
local L = lib()
local key, condition, compare, ch, incr = KEYS[1], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6] == '1'
local self = L.open(key, 'zset')
if self.exists and self.rtype ~= 'zset' then return redis.error_reply(WRONGTYPE) end
local given = {}
for i = 7, #ARGV, 2 do
  local score = L.parse_score(ARGV[i])
  if score == nil then
    L.flush(self)
    return redis.error_reply('ERR value is not a valid float')
  end
  given[#given + 1] = { score, ARGV[i + 1] }
end
-- What Redis would do on the current state: which members get which score.
local scores, order, effect = {}, {}, {}
local added, changed, incr_reply = 0, 0, false
for i = 1, #given do
  local score, member = given[i][1], given[i][2]
  local current = scores[member]
  if current == nil then
    local stored = redis.call('ZSCORE', key, member)
    if stored then current = L.parse_score(stored) else current = false end
  end
  incr_reply = false
  if not ((condition == 'NX' and current) or (condition == 'XX' and not current)) then
    local new = score
    if incr then
      new = (current or 0) + score
      if new ~= new then
        L.flush(self)
        return redis.error_reply('ERR resulting score is not a number (NaN)')
      end
    end
    local update = true
    if current then
      if (compare == 'GT' and not (new > current)) or (compare == 'LT' and not (new < current)) then
        update = false
      elseif new ~= current then
        changed = changed + 1
      end
    else
      added = added + 1
    end
    if update then
      scores[member] = new
      if effect[member] == nil then order[#order + 1] = member end
      effect[member] = new
      incr_reply = new
    end
  end
end
local writes, applied = {}, {}
if #order > 0 and L.claim(self, 'zset') then
  for i = 1, #order do
    local member = order[i]
    if L.apply_add(self, member) then
      writes[#writes + 1] = L.format_score(effect[member])
      writes[#writes + 1] = member
      applied[member] = true
    end
  end
end
if #writes > 0 then
  L.chunked('ZADD', key, writes)
  if not self.exists then L.settle_ttl(self) end
  L.commit(self)
else
  L.flush(self)
end
if incr then
  if incr_reply == false then return false end
  local member = given[#given][2]
  if applied[member] then return redis.call('ZSCORE', key, member) end
  return L.format_score(incr_reply)
end
if ch then return added + changed end
return added
