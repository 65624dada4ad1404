/**
 * Child process: the load generator. Runs one task at a time for the parent: an autocannon cell, a
 * time-to-first-byte sequence, a wave of concurrent streams, or a probe.
 */
import { readChildConfig, runChild } from "./child-runtime.js";
import { runConcurrentStreams, type StreamsResult, type StreamsTask } from "./concurrent-streams.js";
import { measureTtfb, type TtfbResult, type TtfbTask } from "./measure-ttfb.js";
import { type ProbeResult, type ProbeTask, probe } from "./probe-request.js";
import { type AutocannonTask, type LoadMeasurement, runAutocannon } from "./run-autocannon.js";

/** Every task the load generator takes. */
export type LoadgenTask = AutocannonTask | TtfbTask | StreamsTask | ProbeTask;

/** The result type of each task kind. */
export type LoadgenResult = LoadMeasurement | TtfbResult | StreamsResult | ProbeResult;

readChildConfig<Record<string, never>>();

runChild<LoadgenTask, LoadgenResult>(
  { pid: process.pid },
  {
    onTask: (task) => {
      switch (task.kind) {
        case "autocannon":
          return runAutocannon(task);
        case "ttfb":
          return measureTtfb(task);
        case "streams":
          return runConcurrentStreams(task);
        case "probe":
          return probe(task);
      }
    },
  },
);
