#!/usr/bin/env node
import { main } from "./cli.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Everything is closed by now; a stray handle must not keep a stopped gateway alive.
  setTimeout(() => process.exit(code), 1_000).unref();
});
