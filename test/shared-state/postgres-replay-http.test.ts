/**
 * Without Redis, two instances sharing one PostgreSQL store (TEST_DATABASE_URL, a schema of its own)
 * share replay protection through it: a token used on one is refused on the other. With SQLite (one
 * instance) the ids stay in process. Skipped without TEST_DATABASE_URL unless REQUIRE_POSTGRES_TESTS=1.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEFAULT_AUTH_SETTINGS } from '../../src/auth/settings.js';
import { noFhirFallback } from '../../src/cds/fhir-fallback.js';
import { quoteIdentifier } from '../../src/store/postgres-store.js';
import { makeKey, signToken, type TestKey } from '../auth/tokens.js';
import { testConfig } from '../fixtures/config.js';
import { adminQuery } from '../fixtures/postgres-admin.js';
import { NOW } from '../fixtures/facts.js';

const url = process.env.TEST_DATABASE_URL;
const required = process.env.REQUIRE_POSTGRES_TESTS === '1';
const BASE = 'https://cds.example.org';
const EHR = 'https://ehr.example.org';

describe.skipIf(!url && !required)('replay protection through PostgreSQL (no Redis)', () => {
  const schema = `cop_replay_${process.pid}_${randomBytes(4).toString('hex')}`;
  let key: TestKey;
  let apps: FastifyInstance[] = [];

  const admin = (sql: string) => adminQuery(url, sql);

  beforeAll(async () => {
    expect(url, 'TEST_DATABASE_URL is required when REQUIRE_POSTGRES_TESTS=1').toBeDefined();
    key = await makeKey('ES384', 'pg-replay');
    await admin(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    const db = new URL(url!);
    db.searchParams.set('options', `-c search_path=${schema}`);
    const base = testConfig();
    const config = testConfig({
      publicBaseUrl: BASE,
      store: { ...base.store, databaseUrl: db.toString() },
      auth: { ...DEFAULT_AUTH_SETTINGS, enabled: true, explicit: true, trustedClients: [{ iss: EHR, jwks: { keys: [key.publicJwk] }, jkuAllowlist: [] }] },
    });
    apps = await Promise.all([0, 1].map(() => buildApp(config, { clock: () => NOW, fhirFallback: noFhirFallback })));
    await Promise.all(apps.map((a) => a.ready()));
  }, 30_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    if (url) await admin(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  });

  it('a token used on one instance is refused on the other; fresh tokens pass on both', async () => {
    const bearer = await signToken(key, NOW, { iss: EHR, aud: `${BASE}/cds-services`, jti: randomUUID() });
    const [a, b] = apps.map((app) => supertest(app.server));
    await a!.get('/cds-services').set('authorization', `Bearer ${bearer}`).expect(200);
    await b!.get('/cds-services').set('authorization', `Bearer ${bearer}`).expect(401);
    for (const http of [a!, b!]) {
      const fresh = await signToken(key, NOW, { iss: EHR, aud: `${BASE}/cds-services`, jti: randomUUID() });
      await http.get('/cds-services').set('authorization', `Bearer ${fresh}`).expect(200);
    }
    const { rows } = await admin(`SELECT count(*)::int AS n FROM ${quoteIdentifier(schema)}.used_token`);
    expect(rows[0].n).toBe(3);
  });
});
