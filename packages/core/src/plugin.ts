import type { Gateway } from "./gateway.js";

/**
 * A plugin: a name and an `apply` that taps `gateway.hooks` (and may listen on `gateway.events`). Apply
 * runs once, before the gateway starts; tap every hook there, never per request.
 */
export interface Plugin {
  /** Unique in the gateway; taps should be named with it. */
  readonly name: string;
  apply(gateway: Gateway): void;
}
