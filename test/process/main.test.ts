/**
 * The process as an operator runs it: start-up on a configured port, a readable refusal of bad
 * configuration, and graceful shutdown on SIGTERM. Spawns `src/main.ts` through tsx on 127.0.0.1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { listeningUrl, spawnService as start } from '../fixtures/service-process.js';

describe('src/main.ts', () => {
  it('serves, then shuts down cleanly on SIGTERM', async () => {
    const service = start({});
    const { child, lines, exited } = service;
    const url = await listeningUrl(service);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('"shutting down"') && l.includes('SIGTERM'))).toBe(true);
  }, 30_000);

  it('refuses to start on a bad value, naming the variable, with exit code 2', async () => {
    const { lines, exited } = start({ COP_MG_PER_KG: '2' });
    expect(await exited).toBe(2);
    const text = lines.join('\n');
    expect(text).toContain('COP_MG_PER_KG');
    expect(text).not.toMatch(/\n\s+at /); // no stack trace
  }, 30_000);

  it.each([
    ['under /proc (mkdir there used to loop for ever)', '/proc/cop-cds-nowhere/store.sqlite'],
    ['under a file', 'UNDER_A_FILE'],
    ['at a database server that refuses', undefined],
  ])('issue 12 #14: a store that cannot be opened (%s) exits 2 naming the variable, no stack trace', async (_where, file) => {
    if (file === 'UNDER_A_FILE') {
      const plain = path.join(mkdtempSync(path.join(tmpdir(), 'cop-store-')), 'a-file');
      writeFileSync(plain, 'x');
      file = path.join(plain, 'store.sqlite');
    }
    const env: Record<string, string> = file ? { FEEDBACK_DB_PATH: file } : { DATABASE_URL: 'postgres://u:secret-pw@127.0.0.1:1/x' };
    const { lines, exited } = start(env);
    expect(await exited).toBe(2);
    const text = lines.join('\n');
    expect(text).toContain(file ? 'FEEDBACK_DB_PATH: cannot open the SQLite store' : 'DATABASE_URL: cannot open the PostgreSQL store');
    expect(text).not.toContain('secret-pw');
    expect(text).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('refuses to start with a plain-http server in CDS_FHIR_ALLOWLIST, pointing at CDS_FHIR_ALLOW_HTTP', async () => {
    const { lines, exited } = start({ CDS_FHIR_ALLOWLIST: 'http://ehr.example.org/fhir' });
    expect(await exited).toBe(2);
    const text = lines.join('\n');
    expect(text).toMatch(/CDS_FHIR_ALLOWLIST.*not https.*CDS_FHIR_ALLOW_HTTP/);
    expect(text).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('keeps every acknowledged feedback row when killed with SIGKILL and restarted', async () => {
    const storeFile = path.join(mkdtempSync(path.join(tmpdir(), 'cop-kill-')), 'store.sqlite');
    const first = start({ FEEDBACK_DB_PATH: storeFile });
    const url = await listeningUrl(first);
    const acknowledged: string[] = [];
    for (let i = 0; i < 25; i++) {
      const card = `card-${i}`;
      const res = await fetch(`${url}/cds-services/cop-order-select/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-11-25T10:00:00Z' }] }),
      });
      if (res.status === 200) acknowledged.push(card);
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(acknowledged).toHaveLength(25);

    // Restart on the same file: the service opens and migrates it again, and the rows are there.
    const second = start({ FEEDBACK_DB_PATH: storeFile });
    await listeningUrl(second);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const db = new Database(storeFile, { readonly: true });
    const cards = (db.prepare('SELECT card_uuid FROM feedback').all() as { card_uuid: string }[]).map((r) => r.card_uuid);
    db.close();
    expect(cards.sort()).toEqual([...acknowledged].sort());
  }, 30_000);
});
