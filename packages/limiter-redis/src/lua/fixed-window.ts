/** The fixed-window algorithm in Lua; mirrors `fixedWindow` of `@switchyard/limiter` operation for operation. */
export const fixedWindowLua = `
local function fixed_window_count(key, window_start)
  local state = redis.call('HMGET', key, 'w', 'c')
  if state[1] and tonumber(state[1]) == window_start then return tonumber(state[2]) end
  return 0
end

local function check_fixed_window(key, limit, window, burst, cost, lease)
  local window_start = math.floor(now / window) * window
  local count = fixed_window_count(key, window_start)
  local reset = math.ceil(window_start + window - now)
  local allowed = count + cost <= limit
  local retry = 0
  if not allowed then
    if cost > limit then retry = NEVER else retry = reset end
  end
  return {
    allowed = allowed,
    remaining = math.max(0, limit - count),
    reset = reset,
    remaining_after = math.max(0, limit - count - cost),
    reset_after = reset,
    retry = retry,
    apply = function()
      redis.call('HSET', key, 'w', fmt(window_start), 'c', fmt(count + cost))
      keep(key, reset)
    end,
  }
end

local function adjust_fixed_window(key, limit, window, burst, delta, reserved_at, lease)
  local window_start = math.floor(now / window) * window
  local reserved_window = math.floor(reserved_at / window) * window
  local count = fixed_window_count(key, window_start)
  local next_count
  if reserved_window == window_start then
    next_count = math.max(0, count + delta)
  elseif delta > 0 then
    next_count = count + delta
  else
    return
  end
  redis.call('HSET', key, 'w', fmt(window_start), 'c', fmt(next_count))
  keep(key, math.ceil(window_start + window - now))
end
`;
