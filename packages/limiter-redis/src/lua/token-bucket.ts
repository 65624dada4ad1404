/** The token-bucket algorithm in Lua; mirrors `tokenBucket` of `@switchyard/limiter`. */
export const tokenBucketLua = `
local function token_bucket_level(key, limit, window, burst)
  local state = redis.call('HMGET', key, 't', 'u')
  if not state[1] then return burst, now end
  local tokens = tonumber(state[1])
  local updated_at = tonumber(state[2])
  local elapsed = math.max(0, now - updated_at)
  return math.min(burst, tokens + (elapsed * limit) / window), math.max(now, updated_at)
end

local function token_bucket_time_to_full(tokens, limit, window, burst)
  return math.max(0, math.ceil(((burst - tokens) * window) / limit))
end

local function check_token_bucket(key, limit, window, burst, cost, lease)
  local tokens, updated_at = token_bucket_level(key, limit, window, burst)
  local allowed = tokens + GUARD_UNITS >= cost
  local next_tokens = tokens - cost
  local retry = 0
  if not allowed then
    if cost > burst then retry = NEVER else retry = math.ceil(((cost - tokens) * window) / limit) end
  end
  return {
    allowed = allowed,
    remaining = math.max(0, math.floor(tokens + GUARD_UNITS)),
    reset = token_bucket_time_to_full(tokens, limit, window, burst),
    remaining_after = math.max(0, math.floor(next_tokens + GUARD_UNITS)),
    reset_after = token_bucket_time_to_full(next_tokens, limit, window, burst),
    retry = retry,
    apply = function()
      redis.call('HSET', key, 't', fmt(next_tokens), 'u', fmt(updated_at))
      keep(key, math.max(1, token_bucket_time_to_full(next_tokens, limit, window, burst)))
    end,
  }
end

local function adjust_token_bucket(key, limit, window, burst, delta, reserved_at, lease)
  if delta <= 0 and redis.call('EXISTS', key) == 0 then return end
  local tokens, updated_at = token_bucket_level(key, limit, window, burst)
  local next_tokens = math.min(burst, tokens - delta)
  redis.call('HSET', key, 't', fmt(next_tokens), 'u', fmt(updated_at))
  keep(key, math.max(1, token_bucket_time_to_full(next_tokens, limit, window, burst)))
end
`;
