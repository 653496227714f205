/**
 * vitest global setup: every temporary file of a test run (stores, hook directories, site files,
 * the service processes the process tests start, Chromium profiles) goes under one directory made
 * for the run, removed when it ends, so a run leaves nothing behind in the machine's /tmp.
 * Workers and child processes inherit TMPDIR, which `os.tmpdir()` reads on every call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(path.join(tmpdir(), 'cop-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
