/**
 * The concurrency algorithm in Lua; mirrors `concurrency` of `@switchyard/limiter`. Leases live in a sorted
 * set scored by the time they expire, so expired ones are dropped with one range removal.
 */
export const concurrencyLua = `
local function check_concurrency(key, limit, window, burst, cost, lease)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now))
  local held = redis.call('ZCARD', key)
  local allowed = held + cost <= limit
  local until_earliest = 0
  local earliest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if earliest[2] then until_earliest = math.ceil(tonumber(earliest[2]) - now) end
  local reset_after = until_earliest
  if cost > 0 and not earliest[2] then reset_after = window end
  local retry = 0
  if not allowed then
    if cost > limit then retry = NEVER else retry = math.min(CONCURRENCY_RETRY_MS, until_earliest) end
  end
  return {
    allowed = allowed,
    remaining = math.max(0, limit - held),
    reset = until_earliest,
    remaining_after = math.max(0, limit - held - cost),
    reset_after = reset_after,
    retry = retry,
    apply = function()
      if cost > 0 then redis.call('ZADD', key, fmt(now + window), lease) end
      keep(key, window)
    end,
  }
end

local function adjust_concurrency(key, limit, window, burst, delta, reserved_at, lease)
  if redis.call('ZREM', key, lease) == 0 then return end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now))
  local latest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if latest[2] then
    keep(key, math.max(1, math.ceil(tonumber(latest[2]) - now)))
  else
    redis.call('DEL', key)
  end
end
`;
