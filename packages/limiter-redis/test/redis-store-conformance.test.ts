import { defineStoreConformance } from "@switchyard/limiter/conformance";
import { Redis } from "ioredis";
import { afterAll, describe, it } from "vitest";
import { createRedisStore } from "../src/index.js";
import { redisSkipReason, redisUrl, uniquePrefix } from "./redis-server.js";

describe.skipIf(redisSkipReason !== undefined)("redis store: conformance", () => {
  const client = new Redis(redisUrl);
  afterAll(async () => {
    await client.quit();
  });

  // The same cases as the memory store's, on a real Redis, with the clock injected into the scripts.
  describe("hash tag by prefix (one slot, one call per request)", () => {
    defineStoreConformance(
      { createStore: (clock) => createRedisStore({ client, prefix: uniquePrefix("conf-prefix"), clock }) },
      it,
    );
  });

  describe("hash tag by subject (one call per subject, undone in order on refusal)", () => {
    defineStoreConformance(
      {
        createStore: (clock) =>
          createRedisStore({ client, prefix: uniquePrefix("conf-subject"), hashTag: "subject", clock }),
      },
      it,
    );
  });
});
