import type { SwitchyardError } from "@switchyard/core";
import type { CacheEntry } from "./cache-store.js";
import type { StreamRecorder } from "./stream-recorder.js";

/** How a coalesced leader's request turned out, as far as its followers care. */
export type FlightStart =
  /** A complete (non-streamed) answer: followers answer with the same bytes. */
  | { readonly kind: "answer"; readonly entry: CacheEntry }
  /** A stream has started: followers read the recording as it grows. */
  | { readonly kind: "stream"; readonly recorder: StreamRecorder; readonly contentType: string }
  /** It failed before answering: followers fail the same way. */
  | { readonly kind: "failed"; readonly error: SwitchyardError }
  /** Its client left before it answered: followers try again (one of them leads). */
  | { readonly kind: "abandoned" };

/** One upstream call that identical requests share. */
export class Flight {
  /** Settles once, when the leader answers or fails. */
  readonly started: Promise<FlightStart>;
  /** Requests that joined it. */
  followers = 0;
  private settled = false;
  private resolveStart: ((start: FlightStart) => void) | undefined;

  constructor(readonly key: string) {
    this.started = new Promise((resolve) => {
      this.resolveStart = resolve;
    });
  }

  /** Tells followers how the leader's request went; only the first call counts. */
  start(start: FlightStart): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveStart?.(start);
  }
}

/** The flights in progress in this process, by request key. */
export class FlightRegistry {
  private readonly flights = new Map<string, Flight>();

  /** The flight a new identical request may join, if any. */
  get(key: string): Flight | undefined {
    return this.flights.get(key);
  }

  /** Registers a new flight for `key`, its caller being the leader. */
  lead(key: string): Flight {
    const flight = new Flight(key);
    this.flights.set(key, flight);
    return flight;
  }

  /** Closes `flight` to new followers (those already in keep their answer). */
  close(flight: Flight): void {
    if (this.flights.get(flight.key) === flight) this.flights.delete(flight.key);
  }

  /** Flights open to followers now. */
  get size(): number {
    return this.flights.size;
  }
}
