import type { Redis } from "ioredis";

// The probe and helpers live in @switchyard/testing; this file keeps the tests' imports short.
export { redisSkipReason, redisUrl, uniquePrefix } from "@switchyard/testing/redis";

/** Deletes every key holding `prefix` (test runs clean up after themselves: key records have no TTL). */
export async function dropPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(
      cursor,
      "MATCH",
      `*${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`,
      "COUNT",
      500,
    );
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}
