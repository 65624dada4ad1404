/** GCRA in Lua; mirrors `gcra` of `@switchyard/limiter`. */
export const gcraLua = `
local function gcra_tat(key)
  local stored = redis.call('HGET', key, 'tat')
  if stored then return math.max(tonumber(stored), now), true end
  return now, false
end

local function check_gcra(key, limit, window, burst, cost, lease)
  local tolerance = (burst * window) / limit
  local tat = gcra_tat(key)
  local next_tat = tat + (cost * window) / limit
  local allowed = next_tat - now <= tolerance + GUARD_MS
  local function units_left(at)
    return math.min(burst, math.max(0, math.floor(((tolerance - (at - now) + GUARD_MS) * limit) / window)))
  end
  local retry = 0
  if not allowed then
    if cost > burst then retry = NEVER else retry = math.ceil(next_tat - tolerance - now) end
  end
  return {
    allowed = allowed,
    remaining = units_left(tat),
    reset = math.ceil(tat - now),
    remaining_after = units_left(next_tat),
    reset_after = math.ceil(next_tat - now),
    retry = retry,
    apply = function()
      redis.call('HSET', key, 'tat', fmt(next_tat))
      keep(key, math.max(1, math.ceil(next_tat - now)))
    end,
  }
end

local function adjust_gcra(key, limit, window, burst, delta, reserved_at, lease)
  local tat, found = gcra_tat(key)
  if not found and delta <= 0 then return end
  local next_tat = math.max(now, tat + (delta * window) / limit)
  redis.call('HSET', key, 'tat', fmt(next_tat))
  keep(key, math.max(1, math.ceil(next_tat - now)))
end
`;
