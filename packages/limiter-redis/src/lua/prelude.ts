import { CONCURRENCY_RETRY_MS, GUARD_MS, GUARD_UNITS } from "@switchyard/limiter";

/**
 * Shared by both scripts: the clock (ARGV[1], or the server's TIME when empty), the minimum TTL (ARGV[2])
 * and helpers. Numbers are written with 17 significant digits so a double read back is the same double
 * (Lua's default tostring keeps 14 and would round timestamps).
 */
export const preludeLua = `
local GUARD_MS = ${GUARD_MS}
local GUARD_UNITS = ${GUARD_UNITS}
local CONCURRENCY_RETRY_MS = ${CONCURRENCY_RETRY_MS}
local NEVER = -1

local now
if ARGV[1] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
else
  now = tonumber(ARGV[1])
end
local min_ttl = tonumber(ARGV[2]) or 0

local function fmt(value)
  return string.format('%.17g', value)
end

local function keep(key, ttl)
  redis.call('PEXPIRE', key, math.max(ttl, min_ttl))
end
`;
