import { SwitchyardError } from "./errors.js";

/** Options of the gateway's overload protection. */
export interface OverloadOptions {
  /** Requests (and streams) served at once; more wait in the queue. 0 = no cap. @default 0 */
  maxInFlight: number;
  /** Requests allowed to wait for a slot; beyond that they are shed with 503. @default 0 */
  maxQueue: number;
  /** Longest wait in the queue before shedding with 503. @default 5000 */
  queueTimeoutMs: number;
}

/**
 * Admission control: a cap on in-flight requests with a bounded FIFO queue. When the queue is full, or a
 * request waited too long, it is shed at once with 503 and `Retry-After`, before any work is done — a
 * gateway under a flood answers fast instead of timing everyone out.
 */
export class Admission {
  private running = 0;
  private readonly queue: Array<{ admit: () => void; reject: (error: SwitchyardError) => void }> = [];
  /** Requests shed since start (metrics). */
  shed = 0;

  constructor(private readonly options: Readonly<OverloadOptions>) {}

  /** Requests running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Takes a slot, waiting in the queue if need be; throws (503) when shed. Returns synchronously when free. */
  acquire(signal: AbortSignal): Promise<void> | undefined {
    const { maxInFlight, maxQueue, queueTimeoutMs } = this.options;
    if (maxInFlight === 0 || this.running < maxInFlight) {
      this.running++;
      return undefined;
    }
    if (this.queue.length >= maxQueue) throw this.overloaded("the request queue is full");
    return new Promise<void>((resolve, reject) => {
      const entry = {
        admit: () => {
          cleanup();
          this.running++;
          resolve();
        },
        reject: (error: SwitchyardError) => {
          cleanup();
          reject(error);
        },
      };
      const timer = setTimeout(() => entry.reject(this.overloaded("no slot freed in time")), queueTimeoutMs);
      const onAbort = () =>
        entry.reject(new SwitchyardError("SWY_ERR_CLIENT_CLOSED", "The client closed the request."));
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        const index = this.queue.indexOf(entry);
        if (index !== -1) this.queue.splice(index, 1);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.queue.push(entry);
    });
  }

  /** Frees a slot, handing it to the longest-waiting request. */
  release(): void {
    this.running--;
    this.queue[0]?.admit();
  }

  private overloaded(reason: string): SwitchyardError {
    this.shed++;
    return new SwitchyardError("SWY_ERR_GATEWAY_OVERLOADED", `The gateway is overloaded: ${reason}.`, {
      retryAfterMs: 1_000,
    });
  }
}
