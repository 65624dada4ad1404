import { randomUUID } from "node:crypto";
import { connect } from "node:net";

/** The Redis the tests use: `REDIS_URL`, else the local server `.ci/run` makes sure of. */
export const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Resolves `undefined` when Redis answers PING within a second, else why it did not. */
function probe(url: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(1_000, () => done(`no answer from ${hostname}:${port} within 1 s`));
    socket.once("error", (error) => done(`${hostname}:${port}: ${error.message}`));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) =>
      done(data.toString().startsWith("+PONG") ? undefined : `unexpected answer: ${data.toString().trim()}`),
    );
  });
}

const unreachable = await probe(redisUrl);
if (unreachable !== undefined && process.env.CI) {
  // Under CI a missing Redis is a failure, never a skip: .ci/run starts one.
  throw new Error(`Redis is required under CI and is not reachable at ${redisUrl}: ${unreachable}`);
}
if (unreachable !== undefined) {
  console.warn(
    `Skipping Redis tests: Redis not reachable at ${redisUrl} (${unreachable}). Start redis-server or set REDIS_URL.`,
  );
}

/** Why the Redis tests are skipped (Redis unreachable outside CI), or `undefined` when they run. */
export const redisSkipReason: string | undefined = unreachable;

/** A key prefix no other test run shares. */
export function uniquePrefix(label: string): string {
  return `swy-test:${label}:${randomUUID().slice(0, 8)}:`;
}
