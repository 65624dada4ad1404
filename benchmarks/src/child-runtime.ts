/**
 * The child side of the benchmark's process protocol: read the JSON config from argv, say ready, answer
 * tasks, and exit when told to or when the parent goes away (so no child outlives a crashed or killed run).
 */
import type { ChildMessage, ParentMessage, TaskResultMessage } from "./ipc-protocol.js";

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** The config the parent passed as the one JSON argument. */
export function readChildConfig<Config>(): Config {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error("This script is started by the benchmark (bench.js), not by hand.");
  return JSON.parse(raw) as Config;
}

/** Options of {@link runChild}. */
export interface ChildHooks<Task, Result> {
  /** Answers one task from the parent. */
  readonly onTask?: (task: Task) => Promise<Result>;
  /** Closes servers before exit; bounded by a 5 s deadline. */
  readonly onShutdown?: () => Promise<void>;
}

/**
 * Wires a child to its parent: announces `info`, serves tasks, and exits on shutdown or disconnect.
 *
 * @param info - The ready info (URLs, pid).
 * @param hooks - Task handler and shutdown.
 */
export function runChild<Task, Result>(info: unknown, hooks: ChildHooks<Task, Result>): void {
  if (!process.send) throw new Error("This script must be started with an IPC channel (by bench.js).");
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    // A shutdown that hangs must not keep the child alive: the parent may already be gone.
    const deadline = setTimeout(() => process.exit(code), 5_000);
    deadline.unref();
    (hooks.onShutdown?.() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.on("message", (message: ParentMessage) => {
    if (message.type === "shutdown") {
      exit(0);
      return;
    }
    if (message.type !== "task") return;
    const handler = hooks.onTask;
    if (!handler) {
      send({ type: "result", id: message.id, ok: false, error: "this child takes no tasks" });
      return;
    }
    handler(message.body as Task).then(
      (body): void => send({ type: "result", id: message.id, ok: true, body } satisfies TaskResultMessage),
      (error: unknown): void =>
        send({
          type: "result",
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  // The parent died or closed the channel: nothing will ever ask this child to stop, so stop now.
  process.on("disconnect", () => exit(0));
  process.on("SIGTERM", () => exit(0));
  send({ type: "ready", info });
}
