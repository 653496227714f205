/**
 * The store contract on PostgreSQL, against the real server in TEST_DATABASE_URL; every location is
 * its own schema, dropped afterwards. Without TEST_DATABASE_URL the suite is skipped, unless
 * REQUIRE_POSTGRES_TESTS=1 (CI), where it fails instead.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { openPostgresStore, quoteIdentifier } from '../../src/store/postgres-store.js';
import { storeContract, type StoreBackend, type StoreLocation } from './contract.js';

const url = process.env.TEST_DATABASE_URL;
const required = process.env.REQUIRE_POSTGRES_TESTS === '1';

async function withClient<T>(schema: string | undefined, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (schema !== undefined) await client.query(`SET search_path TO ${quoteIdentifier(schema)}`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

const newSchemaName = (): string => `cop_test_${process.pid}_${randomBytes(6).toString('hex')}`;

async function postgresLocation(): Promise<StoreLocation> {
  const schema = newSchemaName();
  const tables = (client: pg.Client) =>
    client
      .query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      )
      .then((r) => r.rows.map((row) => row.table_name));
  return {
    open: (options = {}) => openPostgresStore(url!, { ...options, schema }),
    tables: () => withClient(schema, tables),
    dump: () =>
      withClient(schema, async (client) => {
        const parts: string[] = [];
        for (const t of await tables(client)) {
          const { rows } = await client.query(`SELECT * FROM ${quoteIdentifier(t)}`);
          parts.push(t, ...rows.map((r) => JSON.stringify(r)));
        }
        return parts.join('\n');
      }),
    migrationVersions: () =>
      withClient(schema, async (client) =>
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version),
      ),
    dispose: () => withClient(undefined, async (client) => void (await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`))),
  };
}

if (!url && required) {
  describe('PostgreSQL store', () => {
    it('runs against a real server (REQUIRE_POSTGRES_TESTS=1)', () => {
      throw new Error('REQUIRE_POSTGRES_TESTS=1 but TEST_DATABASE_URL is not set: the PostgreSQL store tests cannot run');
    });
  });
} else if (!url) {
  // Local runs without a server are reported as skipped, never as passed; CI sets REQUIRE_POSTGRES_TESTS=1.
  describe.skipIf(!url)('PostgreSQL store (set TEST_DATABASE_URL to run)', () => {
    it('skipped', () => undefined);
  });
} else {
  const backend: StoreBackend = { fresh: postgresLocation };
  storeContract('PostgreSQL', () => backend);

  describe('PostgreSQL store specifics', () => {
    it('openStore picks PostgreSQL when databaseUrl is set (schema chosen through the URL options)', async () => {
      const schema = newSchemaName();
      await withClient(undefined, (c) => c.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`));
      try {
        const withSchema = new URL(url!);
        withSchema.searchParams.set('options', `-c search_path=${schema}`);
        const store = await openStore({ sqlitePath: '/nonexistent/never-used.sqlite', databaseUrl: withSchema.toString() });
        try {
          await store.recordShownCards([
            {
              cardUuid: 'c-1', ruleId: 'COP-R20', serviceId: 's', hook: 'patient-view', hookInstance: 'h',
              patientKey: 'k', indicator: 'info', suggestionUuids: [], shownAt: new Date('2025-01-01T00:00:00Z'),
            },
          ]);
        } finally {
          await store.close();
        }
        const count = await withClient(schema, async (c) => (await c.query('SELECT count(*)::int AS n FROM shown_card')).rows[0].n);
        expect(count).toBe(1);
      } finally {
        await withClient(undefined, (c) => c.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`));
      }
    });

    it('five instances starting together migrate once', async () => {
      const location = await postgresLocation();
      try {
        const stores = await Promise.all(Array.from({ length: 5 }, () => location.open()));
        try {
          expect(await location.migrationVersions()).toEqual([1]);
          expect(new Set(await Promise.all(stores.map((s) => s.patientKeySecret()))).size).toBe(1);
        } finally {
          await Promise.all(stores.map((s) => s.close()));
        }
      } finally {
        await location.dispose();
      }
    });

    it('fails to open, without hanging, when the server refuses the connection', async () => {
      const bad = new URL(url!);
      bad.port = '1';
      await expect(openPostgresStore(bad.toString())).rejects.toThrow();
    });
  });
}
