/**
 * Messages between the benchmark's parent process and its children (upstream, servers under test, load
 * generator). Children are started with an IPC channel; every exchange is a request with an id and one
 * response, so the parent can put a deadline on each.
 */

/** Sent by a child once it is listening (servers) or ready for work (load generator). */
export interface ReadyMessage<Info = unknown> {
  readonly type: "ready";
  readonly info: Info;
}

/** A unit of work for a child; `body` is the child's own task type. */
export interface TaskMessage<Task = unknown> {
  readonly type: "task";
  readonly id: number;
  readonly body: Task;
}

/** The answer to one TaskMessage. */
export type TaskResultMessage<Result = unknown> =
  | { readonly type: "result"; readonly id: number; readonly ok: true; readonly body: Result }
  | { readonly type: "result"; readonly id: number; readonly ok: false; readonly error: string };

/** Asks a child to close its servers and exit, so `--cpu-prof` profiles get written. */
export interface ShutdownMessage {
  readonly type: "shutdown";
}

/** What a parent sends. */
export type ParentMessage = TaskMessage | ShutdownMessage;

/** What a child sends. */
export type ChildMessage = ReadyMessage | TaskResultMessage;

/** The ready info of a server child. */
export interface ServerReadyInfo {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The child's pid (the node process itself: taskset execs node in place). */
  readonly pid: number;
}

/** The ready info of the upstream child: one URL per configured mock upstream, by name. */
export interface UpstreamReadyInfo {
  readonly urls: Readonly<Record<string, string>>;
  readonly pid: number;
}
