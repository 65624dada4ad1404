/** The sliding-window algorithm in Lua; mirrors `slidingWindow` of `@switchyard/limiter`. */
export const slidingWindowLua = `
local function sliding_window_counts(key, window_start, window)
  local state = redis.call('HMGET', key, 'w', 'c', 'p')
  if not state[1] then return 0, 0 end
  local stored_start = tonumber(state[1])
  if stored_start == window_start then return tonumber(state[2]), tonumber(state[3]) end
  if stored_start == window_start - window then return 0, tonumber(state[2]) end
  return 0, 0
end

local function check_sliding_window(key, limit, window, burst, cost, lease)
  local window_start = math.floor(now / window) * window
  local elapsed = now - window_start
  local current, previous = sliding_window_counts(key, window_start, window)
  local estimate = (previous * (window - elapsed)) / window + current
  local allowed = estimate + cost <= limit + GUARD_UNITS
  local retry = 0
  if not allowed then
    if cost > limit then
      retry = NEVER
    elseif current + cost <= limit then
      retry = math.ceil(window - ((limit - current - cost) * window) / previous - elapsed)
    else
      local into_next = math.max(0, window - ((limit - cost) * window) / current)
      retry = math.ceil(window - elapsed + into_next)
    end
  end
  local function drained_at(c, p)
    if c > 0 then return math.ceil(2 * window - elapsed) end
    if p > 0 then return math.ceil(window - elapsed) end
    return 0
  end
  local next_current = current + cost
  return {
    allowed = allowed,
    remaining = math.max(0, math.floor(limit - estimate + GUARD_UNITS)),
    reset = drained_at(current, previous),
    remaining_after = math.max(0, math.floor(limit - estimate - cost + GUARD_UNITS)),
    reset_after = drained_at(next_current, previous),
    retry = retry,
    apply = function()
      redis.call('HSET', key, 'w', fmt(window_start), 'c', fmt(next_current), 'p', fmt(previous))
      keep(key, math.ceil(2 * window - elapsed))
    end,
  }
end

local function adjust_sliding_window(key, limit, window, burst, delta, reserved_at, lease)
  local window_start = math.floor(now / window) * window
  local reserved_window = math.floor(reserved_at / window) * window
  local current, previous = sliding_window_counts(key, window_start, window)
  if reserved_window == window_start then
    current = math.max(0, current + delta)
  elseif reserved_window == window_start - window then
    previous = math.max(0, previous + delta)
  elseif delta > 0 then
    current = current + delta
  else
    return
  end
  redis.call('HSET', key, 'w', fmt(window_start), 'c', fmt(current), 'p', fmt(previous))
  keep(key, math.ceil(2 * window - (now - window_start)))
end
`;
