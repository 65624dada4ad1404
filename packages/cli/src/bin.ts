#!/usr/bin/env node
import cluster from "node:cluster";
import { main } from "./cli.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // A cluster worker's IPC channel to the primary would keep it alive: it is done once drained.
  if (cluster.isWorker) process.exit(code);
  // Everything is closed by now; a stray handle must not keep a stopped gateway alive.
  setTimeout(() => process.exit(code), 1_000).unref();
});
