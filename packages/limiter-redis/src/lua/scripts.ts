import { createHash } from "node:crypto";
import { type AlgorithmKind, algorithmKinds } from "@switchyard/limiter";
import { concurrencyLua } from "./concurrency.js";
import { fixedWindowLua } from "./fixed-window.js";
import { gcraLua } from "./gcra.js";
import { preludeLua } from "./prelude.js";
import { slidingWindowLua } from "./sliding-window.js";
import { tokenBucketLua } from "./token-bucket.js";

/** A script and its SHA-1, the name Redis runs it by (EVALSHA). */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

/** The number the scripts know an algorithm by: its index in `algorithmKinds`, from 1. */
export function algorithmCode(kind: AlgorithmKind): number {
  return algorithmKinds.indexOf(kind) + 1;
}

const luaName = (kind: AlgorithmKind) => kind.replaceAll("-", "_");

const algorithmsLua = [fixedWindowLua, slidingWindowLua, tokenBucketLua, gcraLua, concurrencyLua].join("");

// Dispatch tables indexed by algorithm code, in the order of `algorithmKinds`.
const dispatchLua = `
local CHECKS = { ${algorithmKinds.map((kind) => `check_${luaName(kind)}`).join(", ")} }
local ADJUSTS = { ${algorithmKinds.map((kind) => `adjust_${luaName(kind)}`).join(", ")} }
`;

/** Number of ARGV entries per check in the consume script, after the 3 leading ones. */
export const CONSUME_ARGS_PER_CHECK = 6;
/** Number of ARGV entries per adjustment in the adjust script, after the 2 leading ones. */
export const ADJUST_ARGS_PER_ADJUSTMENT = 7;

/**
 * consume: decide every limit of one request, then charge them all or none.
 * KEYS[i]: the state of check i. ARGV: now ('' = TIME), min TTL ('' = none), dry ('1' = decide only),
 * then per check: algorithm code, limit, window ms, burst, cost, lease id.
 * Returns: all allowed (1/0), now (string), then per check: allowed (1/0), remaining, reset ms, retry ms
 * (-1 = never).
 */
const consumeSource = `${preludeLua}${algorithmsLua}${dispatchLua}
local dry = ARGV[3] == '1'
local decisions = {}
local all_allowed = true
for index = 1, #KEYS do
  local base = 3 + (index - 1) * ${CONSUME_ARGS_PER_CHECK}
  local decision = CHECKS[tonumber(ARGV[base + 1])](
    KEYS[index], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4]),
    tonumber(ARGV[base + 5]), ARGV[base + 6])
  decisions[index] = decision
  if not decision.allowed then all_allowed = false end
end
local applied = all_allowed and not dry
local reply = { all_allowed and 1 or 0, fmt(now) }
for index = 1, #KEYS do
  local decision = decisions[index]
  if applied then decision.apply() end
  local remaining, reset = decision.remaining, decision.reset
  if applied then remaining, reset = decision.remaining_after, decision.reset_after end
  table.insert(reply, decision.allowed and 1 or 0)
  table.insert(reply, remaining)
  table.insert(reply, reset)
  table.insert(reply, decision.retry)
end
return reply
`;

/**
 * adjust: settle earlier reservations. KEYS[i]: the state of adjustment i. ARGV: now ('' = TIME), min TTL,
 * then per adjustment: algorithm code, limit, window ms, burst, delta, reserved-at ms, lease id.
 */
const adjustSource = `${preludeLua}${algorithmsLua}${dispatchLua}
for index = 1, #KEYS do
  local base = 2 + (index - 1) * ${ADJUST_ARGS_PER_ADJUSTMENT}
  ADJUSTS[tonumber(ARGV[base + 1])](
    KEYS[index], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4]),
    tonumber(ARGV[base + 5]), tonumber(ARGV[base + 6]), ARGV[base + 7])
end
return #KEYS
`;

const script = (source: string): LuaScript =>
  Object.freeze({ source, sha: createHash("sha1").update(source).digest("hex") });

/** The two scripts of the Redis store. */
export const scripts = Object.freeze({ consume: script(consumeSource), adjust: script(adjustSource) });
