import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config.js';
import { openStore, storeKind } from './index.js';
import { ThreadedSqliteStore } from './sqlite-thread-store.js';

describe('openStore', () => {
  it('chooses PostgreSQL when DATABASE_URL is set, SQLite otherwise', () => {
    expect(storeKind({ sqlitePath: 'x.sqlite' })).toBe('sqlite');
    expect(storeKind({ sqlitePath: 'x.sqlite', databaseUrl: 'postgres://u@h/db' })).toBe('postgres');
    expect(storeKind(defaultConfig().store)).toBe('sqlite');
    expect(defaultConfig().store.sqlitePath).toBe('data/cop-cds.sqlite');
  });

  it('opens the SQLite file at sqlitePath, creating its directory, with the configured secret', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cop-open-store-'));
    try {
      const file = path.join(dir, 'data', 'cop-cds.sqlite');
      const store = await openStore({ sqlitePath: file, patientKeySecret: 'configured-secret-123' });
      try {
        expect(store).toBeInstanceOf(ThreadedSqliteStore);
        expect(await store.patientKeySecret()).toBe('configured-secret-123');
      } finally {
        await store.close();
      }
      expect((await stat(file)).isFile()).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
