/**
 * Where a `cop-cds` command writes and what it knows of its terminal: the process's streams in
 * production, captured strings in the tests (which run `main` in process). A module of its own so
 * that the commands (check-config.ts, main.ts) share the type without importing each other.
 */
import type { Output } from './call.js';

export interface CliIo {
  out: Output;
  err: Output;
  env: NodeJS.ProcessEnv;
  outIsTTY: boolean;
  errIsTTY: boolean;
}

export function processIo(): CliIo {
  return {
    out: { write: (s) => void process.stdout.write(s) },
    err: { write: (s) => void process.stderr.write(s) },
    env: process.env,
    outIsTTY: process.stdout.isTTY === true,
    errIsTTY: process.stderr.isTTY === true,
  };
}
