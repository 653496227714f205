/**
 * A SQLite store location for the store contract: a file in a fresh temporary directory (under a
 * parent that does not exist yet) opened by the given opener, with direct better-sqlite3 access
 * for the contract's checks. Shared by the synchronous and the worker-thread store tests.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_MIGRATIONS_DDL, migrationStatements } from '../../src/store/migrations.js';
import type { CdsStore } from '../../src/store/types.js';
import type { StoreLocation } from './contract.js';

export async function sqliteLocation(
  openAt: (file: string, options: { patientKeySecret?: string }) => Promise<CdsStore>,
  tempPrefix = 'cop-store-sqlite-',
): Promise<StoreLocation & { file: string; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), tempPrefix));
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
  const write = <T>(fn: (db: Database.Database) => T): T => {
    mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
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
    open: (options = {}) => openAt(file, options),
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
    createAtVersion: async (version) =>
      write((db) =>
        db.transaction(() => {
          db.exec(SCHEMA_MIGRATIONS_DDL.sqlite);
          for (const m of MIGRATIONS.filter((m) => m.version <= version)) {
            for (const statement of migrationStatements(m, 'sqlite')) db.exec(statement);
            db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
          }
        })(),
      ),
    query: async (sql, params = []) =>
      write((db) => {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [];
      }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
