/** The store contract on SQLite (a file in a fresh temporary directory), plus SQLite specifics. */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { storeContract, type StoreBackend, type StoreLocation } from './contract.js';

async function sqliteLocation(): Promise<StoreLocation & { file: string; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cop-store-sqlite-'));
  // A parent directory that does not exist yet: the store creates it.
  const file = path.join(dir, 'nested', 'data', 'cop-cds.sqlite');
  const read = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const tables = (db: Database.Database): string[] =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      name: string;
    }[]).map((r) => r.name);
  return {
    file,
    dir,
    open: (options = {}) => openSqliteStore(file, options),
    tables: async () => read(tables),
    dump: async () =>
      read((db) =>
        tables(db)
          .map((t) => `${t}\n${db.prepare(`SELECT * FROM "${t}"`).all().map((r) => JSON.stringify(r)).join('\n')}`)
          .join('\n'),
      ),
    migrationVersions: async () =>
      read((db) => (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version)),
    rawText: async () => {
      const parent = path.dirname(file);
      const names = await readdir(parent);
      const contents = await Promise.all(names.map((n) => readFile(path.join(parent, n))));
      return contents.map((b) => b.toString('latin1')).join('\n');
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

const backend: StoreBackend = { fresh: sqliteLocation };
storeContract('SQLite', () => backend);

describe('SQLite store specifics', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('opens in WAL mode with synchronous = FULL and creates the parent directory', async () => {
    const location = await sqliteLocation();
    cleanups.push(location.dispose);
    const store = await openSqliteStore(location.file);
    try {
      expect(store.settings()).toEqual({ journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 5000 });
    } finally {
      await store.close();
    }
  });

  it('works in memory for tests', async () => {
    const store = await openSqliteStore(':memory:');
    try {
      const secret = await store.patientKeySecret();
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      await store.recordShownCards([
        {
          cardUuid: 'c-1', ruleId: 'COP-R20', serviceId: 's', hook: 'patient-view', hookInstance: 'h',
          patientKey: 'k', indicator: 'info', suggestionUuids: [], shownAt: new Date('2025-01-01T00:00:00Z'),
        },
      ]);
      expect(await store.shownRules('k', ['COP-R20'], new Date('2024-12-31T00:00:00Z'))).toEqual(new Set(['COP-R20']));
    } finally {
      await store.close();
    }
  });

  it('refuses a database migrated by a newer version of the service', async () => {
    const location = await sqliteLocation();
    cleanups.push(location.dispose);
    await (await location.open()).close();
    const db = new Database(location.file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01')").run();
    db.close();
    await expect(location.open()).rejects.toThrow(/newer than this service/);
  });
});
