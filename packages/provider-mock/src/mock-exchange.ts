import type { ServerResponse } from "node:http";

/** How an exchange ended, for the upstream's stats. */
export type MockExchangeOutcome = "completed" | "aborted";

/**
 * The lifecycle of one request/response pair: delays and writes that give up when the client goes away, and
 * deliberate connection cuts that are not mistaken for client aborts.
 */
export interface MockExchange {
  /** False once the response has ended or the connection has closed. */
  readonly isOpen: boolean;
  /**
   * Waits `milliseconds`.
   * @returns true when the wait ran out, false as soon as the exchange closes (its timer is cleared then).
   */
  delay(milliseconds: number): Promise<boolean>;
  /**
   * Writes body data, waiting for `'drain'` when the socket buffer is full.
   * @returns true when the caller may write more, false once the exchange has closed.
   */
  write(data: string): Promise<boolean>;
  /** Writes `data`, then destroys the connection once it is flushed; counted as completed, not aborted. */
  cut(data: string): void;
  /** Resets the connection now without a response; counted as completed, not aborted. */
  reset(): void;
}

const RESOLVED_TRUE = Promise.resolve(true);
const RESOLVED_FALSE = Promise.resolve(false);

/**
 * Tracks one response. `onSettled` is called exactly once: `"completed"` when the response finished or the
 * server cut it on purpose, `"aborted"` when the connection closed first.
 *
 * @param response - The response to track.
 * @param onSettled - Receives the outcome.
 * @returns The exchange.
 */
export function createExchange(
  response: ServerResponse,
  onSettled: (outcome: MockExchangeOutcome) => void,
): MockExchange {
  let isOpen = true;
  let cutByServer = false;
  // Everything waiting on this exchange (timers, drains) registers a release here, so a closing client frees
  // them all at once instead of leaving timers to fire into a dead socket.
  const releases = new Set<(result: boolean) => void>();

  const settle = (outcome: MockExchangeOutcome): void => {
    if (!isOpen) return;
    isOpen = false;
    for (const release of releases) release(false);
    releases.clear();
    onSettled(outcome);
  };
  response.once("finish", () => settle("completed"));
  response.once("close", () => settle(cutByServer ? "completed" : "aborted"));

  return {
    get isOpen() {
      return isOpen;
    },
    delay(milliseconds) {
      if (!isOpen) return RESOLVED_FALSE;
      if (milliseconds <= 0) return RESOLVED_TRUE;
      return new Promise((resolve) => {
        const release = (result: boolean): void => {
          clearTimeout(timer);
          releases.delete(release);
          resolve(result);
        };
        const timer = setTimeout(release, milliseconds, true);
        releases.add(release);
      });
    },
    write(data) {
      if (!isOpen) return RESOLVED_FALSE;
      if (response.write(data)) return RESOLVED_TRUE;
      return new Promise((resolve) => {
        const onDrain = (): void => release(true);
        const release = (result: boolean): void => {
          response.off("drain", onDrain);
          releases.delete(release);
          resolve(result);
        };
        response.once("drain", onDrain);
        releases.add(release);
      });
    },
    cut(data) {
      if (!isOpen) return;
      cutByServer = true;
      response.write(data, () => response.destroy());
    },
    reset() {
      if (!isOpen) return;
      cutByServer = true;
      const { socket } = response;
      if (socket) socket.resetAndDestroy();
      else response.destroy();
    },
  };
}
