/**
 * An acknowledged feedback write survives the process dying: a child process writes through the
 * SQLite store and prints after each acknowledged write; the test SIGKILLs it mid-stream, reopens
 * the file and finds every acknowledged row.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'test/store/durability-child.ts');
const ACKS_BEFORE_KILL = 200;

describe('SQLite durability', () => {
  it('keeps every acknowledged write when the process is killed with SIGKILL', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cop-store-durability-'));
    try {
      const file = path.join(dir, 'data', 'cop-cds.sqlite');
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const acked: string[] = [];
      let stderr = '';
      let buffered = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.on('exit', (code, signal) => resolve(signal ?? code)),
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            const m = /^ack \d+ (\S+)$/.exec(line);
            if (m) acked.push(m[1]!);
          }
          if (acked.length >= ACKS_BEFORE_KILL && !child.killed) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        void exited.then((how) => reject(new Error(`child exited early (${String(how)}): ${stderr}`)));
      });
      expect(await exited).toBe('SIGKILL');
      // Lines already in the pipe when the kill landed are acknowledgements too.
      for (const line of buffered.split('\n')) {
        const m = /^ack \d+ (\S+)$/.exec(line);
        if (m) acked.push(m[1]!);
      }

      // Reopening recovers from the WAL; every acknowledged card and override is there.
      const store = await openSqliteStore(file, { patientKeySecret: 'durability-test-secret' });
      await store.close();
      const db = new Database(file, { readonly: true });
      try {
        const feedback = new Set(
          (db.prepare('SELECT card_uuid FROM feedback').all() as { card_uuid: string }[]).map((r) => r.card_uuid),
        );
        const shown = new Set(
          (db.prepare('SELECT card_uuid FROM shown_card').all() as { card_uuid: string }[]).map((r) => r.card_uuid),
        );
        const missing = acked.filter((uuid) => !feedback.has(uuid) || !shown.has(uuid));
        expect(missing).toEqual([]);
        expect(feedback.size).toBeGreaterThanOrEqual(acked.length);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
