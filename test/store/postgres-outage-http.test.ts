/**
 * Issue 12, defects 7 and 8 against a real PostgreSQL (TEST_DATABASE_URL, which `.ci/run` starts),
 * reached through a TCP relay on 127.0.0.1 that this test can freeze (the server stops answering
 * but keeps its connections, as under SIGSTOP) or stop (every connection refused or reset) in the
 * middle of a run. The service is configured as an operator would (DATABASE_URL, the default
 * timeouts) and must answer within the hook deadline throughout: feedback 503 with Retry-After,
 * patient-view its cards unsuppressed, /health/ready 503; and recover once the server is back.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { quoteIdentifier } from '../../src/store/postgres-store.js';
import { testConfig } from '../fixtures/config.js';
import { adminQuery } from '../fixtures/postgres-admin.js';
import { startRelay } from '../fixtures/tcp-relay.js';
import { NOW } from '../fixtures/facts.js';
import { basePrefetch } from '../fixtures/requests.js';

const url = process.env.TEST_DATABASE_URL;
const required = process.env.REQUIRE_POSTGRES_TESTS === '1';
/** The hook deadline (FHIR_DEADLINE_MS default) plus scheduling slack on a loaded 2-core machine. */
const ANSWER_WITHIN_MS = 3000 + 1000;

const patientView = () => {
  const prefetch: Record<string, unknown> = { ...basePrefetch() };
  delete prefetch.allergies;
  return { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'pat-http-1' }, prefetch };
};
const feedback = (card: string) => ({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: NOW.toISOString() }] });

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
}

describe.skipIf(!url && !required)('PostgreSQL outage mid-run (frozen, stopped) at the HTTP surface', () => {
  const schema = `cop_outage_${process.pid}_${randomBytes(4).toString('hex')}`;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let http: ReturnType<typeof supertest>;

  const admin = (sql: string) => adminQuery(url, sql);

  beforeAll(async () => {
    expect(url, 'TEST_DATABASE_URL is required when REQUIRE_POSTGRES_TESTS=1').toBeDefined();
    const target = new URL(url!);
    relay = await startRelay({ host: target.hostname, port: Number(target.port || 5432) });
    await admin(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    const viaRelay = new URL(url!);
    viaRelay.host = `127.0.0.1:${relay.port}`;
    viaRelay.searchParams.set('options', `-c search_path=${schema}`);
    const config = testConfig();
    // DATABASE_URL through the relay, with the default timeouts an operator gets.
    app = await buildApp({ ...config, store: { ...config.store, databaseUrl: viaRelay.toString() } }, { clock: () => NOW });
    await app.ready();
    http = supertest(app.server);
  }, 30_000);

  afterAll(async () => {
    relay?.set('open');
    await app?.close();
    await relay?.close();
    if (url) await admin(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  }, 30_000);

  it('answers within the deadline while the server is frozen or stopped, and recovers when it is back', async () => {
    await http.post('/cds-services/cop-patient-view/feedback').send(feedback('before')).expect(200);
    await http.post('/cds-services/cop-patient-view').send(patientView()).expect(200);
    await http.get('/health/ready').expect(200);

    for (const outage of ['frozen', 'stopped'] as const) {
      relay.set(outage);
      const fb = await timed(() => http.post('/cds-services/cop-patient-view/feedback').send(feedback(`during-${outage}`)));
      expect(fb.result.status, `${outage}: ${JSON.stringify(fb.result.body)}`).toBe(503);
      expect(fb.result.headers['retry-after']).toBeDefined();
      expect(fb.result.body.resourceType).toBe('OperationOutcome');
      expect(fb.ms, `${outage}: feedback answered after ${Math.round(fb.ms)} ms`).toBeLessThan(ANSWER_WITHIN_MS);

      const pv = await timed(() => http.post('/cds-services/cop-patient-view').send(patientView()));
      expect(pv.result.status, outage).toBe(200);
      expect(pv.result.body.cards.length).toBeGreaterThan(0); // not suppressed: no card is a gap in care
      expect(pv.ms, `${outage}: patient-view answered after ${Math.round(pv.ms)} ms`).toBeLessThan(ANSWER_WITHIN_MS);

      const ready = await timed(() => http.get('/health/ready'));
      expect(ready.result.status, outage).toBe(503);
      expect(ready.ms).toBeLessThan(ANSWER_WITHIN_MS);

      relay.set('open');
      // The pool drops the connections that failed and opens new ones: the first call may still meet one.
      let status = 0;
      for (let attempt = 0; attempt < 10 && status !== 200; attempt++) {
        status = (await http.post('/cds-services/cop-patient-view/feedback').send(feedback(`after-${outage}`))).status;
      }
      expect(status, `${outage}: feedback after recovery`).toBe(200);
      await http.get('/health/ready').expect(200);
    }

    // Nothing acknowledged was lost: every 200 is a row.
    const { rows } = await admin(`SELECT card_uuid FROM ${quoteIdentifier(schema)}.feedback ORDER BY card_uuid`);
    const stored = rows.map((r: { card_uuid: string }) => r.card_uuid);
    expect(stored).toEqual(expect.arrayContaining(['before', 'after-frozen', 'after-stopped']));
    expect(stored).not.toContain('during-frozen');
    expect(stored).not.toContain('during-stopped');
  }, 60_000);
});
