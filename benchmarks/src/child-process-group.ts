/**
 * Starts the benchmark's child processes (pinned with taskset when asked), waits for each to say ready, sends
 * tasks with deadlines, and guarantees every child is killed when the run ends: normally, on an error, or on
 * Ctrl-C. Children also exit by themselves when the IPC channel to the parent closes (see child-runtime.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { ChildMessage, ParentMessage } from "./ipc-protocol.js";

/** How to start one child. */
export interface SpawnOptions {
  /** Shown in errors and logs, e.g. "gateway". */
  readonly name: string;
  /** Absolute path of the compiled child script. */
  readonly script: string;
  /** Passed as the one JSON argument. */
  readonly config: unknown;
  /** Core to pin to; unpinned when undefined. */
  readonly core?: number | undefined;
  /** taskset binary; required with `core`. */
  readonly taskset?: string | undefined;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** How long the child may take to say ready. @default 15000 */
  readonly readyTimeoutMs?: number;
}

/** A running child. */
export interface ChildHandle<Info> {
  readonly name: string;
  /** The node process's pid (taskset execs node, so it is the same process). */
  readonly pid: number;
  /** What the child announced when ready. */
  readonly info: Info;
  /** Sends a task and waits for its result, at most `timeoutMs`. */
  request<Result>(task: unknown, timeoutMs: number): Promise<Result>;
  /** Asks the child to exit (writing any CPU profile), then kills it if it has not after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Owns a set of children and kills what is left of them on exit. */
export class ChildProcessGroup {
  private readonly children = new Set<ChildProcess>();
  private handlersInstalled = false;

  /** Starts a child and resolves once it is ready. */
  async spawn<Info>(options: SpawnOptions): Promise<ChildHandle<Info>> {
    this.installExitHandlers();
    const nodeArgs = [...(options.nodeArgs ?? []), options.script, JSON.stringify(options.config)];
    const pinned = options.core !== undefined && options.taskset !== undefined;
    const command = pinned ? (options.taskset as string) : process.execPath;
    const args = pinned ? ["-c", String(options.core), process.execPath, ...nodeArgs] : nodeArgs;
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));

    let nextId = 1;
    const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.once("exit", (code, signal) => {
      for (const waiter of pending.values()) {
        waiter.reject(new Error(`${options.name} exited (code ${code}, signal ${signal}) during a task`));
      }
      pending.clear();
    });
    child.on("message", (message: ChildMessage) => {
      if (message.type !== "result") return;
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.body);
      else waiter.reject(new Error(`${options.name}: ${message.error}`));
    });

    const info = await new Promise<Info>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${options.name} did not start within ${options.readyTimeoutMs ?? 15_000} ms`));
      }, options.readyTimeoutMs ?? 15_000);
      child.on("message", (message: ChildMessage) => {
        if (message.type !== "ready") return;
        clearTimeout(timer);
        resolve(message.info as Info);
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited before it was ready (code ${code}, signal ${signal})`));
      });
    });

    const sendMessage = (message: ParentMessage) => {
      if (child.connected) child.send(message);
    };
    return {
      name: options.name,
      pid: child.pid as number,
      info,
      request<Result>(task: unknown, timeoutMs: number): Promise<Result> {
        const id = nextId++;
        return new Promise<Result>((resolve, reject) => {
          const timer = setTimeout(() => {
            pending.delete(id);
            reject(new Error(`${options.name} did not finish a task within ${timeoutMs} ms`));
          }, timeoutMs);
          pending.set(id, {
            resolve: (value) => {
              clearTimeout(timer);
              resolve(value as Result);
            },
            reject: (error) => {
              clearTimeout(timer);
              reject(error);
            },
          });
          sendMessage({ type: "task", id, body: task });
        });
      },
      async stop(graceMs = 8_000): Promise<void> {
        if (child.exitCode !== null || child.signalCode !== null) return;
        sendMessage({ type: "shutdown" });
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
  }

  /** Kills every child still running, at once. Synchronous so it can run in an `exit` handler. */
  killAll(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    this.children.clear();
  }

  private installExitHandlers(): void {
    if (this.handlersInstalled) return;
    this.handlersInstalled = true;
    process.once("exit", () => this.killAll());
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: stopping the benchmark's child processes\n`);
        this.killAll();
        process.exit(130);
      });
    }
  }
}
