/**
 * Issue 12, defects 1, 2 and 8 at the HTTP surface: a store that cannot take writes never costs an
 * answer and never gets a 200 for an unstored row. Feedback → 503 + Retry-After (400 for data the
 * store refuses); patient-view → its cards, unsuppressed, logged and counted; a SQLite "disk" that
 * is full (max_page_count, SQLite's own SQLITE_FULL) → feedback 503 and /health/ready 503 with a reason.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openStore, openThreadedSqliteStore } from '../../src/store/index.js';
import type { CdsStore } from '../../src/store/types.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { basePrefetch, orderSelectRequest } from '../fixtures/requests.js';

const patientView = (patientId = 'pat-outage-1') => {
  const prefetch = { ...basePrefetch(), patient: { ...(basePrefetch().patient as object), id: patientId } };
  delete (prefetch as Record<string, unknown>).allergies;
  return { hook: 'patient-view', hookInstance: `pv-${patientId}`, context: { userId: 'Practitioner/1', patientId }, prefetch };
};
const feedback = (card: string) => ({ feedback: [{ card, outcome: 'overridden', outcomeTimestamp: NOW.toISOString() }] });

function failingStore(real: CdsStore, error: () => Error): CdsStore {
  return Object.assign(Object.create(real) as CdsStore, {
    recordFeedback: async () => { throw error(); },
    recordShownCards: async () => { throw error(); },
    overriddenRules: async () => { throw error(); },
    shownRules: async () => { throw error(); },
    ping: async () => { throw error(); },
    patientKeySecret: () => real.patientKeySecret(),
    close: () => real.close(),
  });
}

describe('store outage at the HTTP surface', () => {
  it('feedback 503 with Retry-After, patient-view answers unsuppressed (counted), ready 503 with a reason', async () => {
    const real = await openStore({ sqlitePath: ':memory:' });
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const app = await buildApp(testConfig({ metricsEnabled: true }), { store: failingStore(real, refused), clock: () => NOW });
    await app.ready();
    try {
      const http = supertest(app.server);
      const fb = await http.post('/cds-services/cop-patient-view/feedback').send(feedback('c-1')).expect(503);
      expect(fb.headers['retry-after']).toBe('5');
      expect(fb.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(fb.body)).toMatch(/connection refused/);
      expect(JSON.stringify(fb.body)).not.toMatch(/127\.0\.0\.1/);
      const pv = await http.post('/cds-services/cop-patient-view').send(patientView()).expect(200);
      expect(pv.body.cards.length).toBeGreaterThan(0);
      await http.post('/cds-services/cop-order-select').send(orderSelectRequest()).expect(200);
      const ready = await http.get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({ status: 'not-ready', checks: { store: 'failed' }, reason: 'store: connection refused' });
      const metrics = (await http.get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/cds_store_unavailable_total\{operation="feedback"\} 1/);
      expect(metrics).toMatch(/cds_store_unavailable_total\{operation="suppression"\} 1/);
    } finally {
      await app.close();
    }
  });

  it('feedback the store refuses for its data (a NUL byte) is a 400, not a 500 or 503', async () => {
    const app = await buildApp(testConfig(), { clock: () => NOW });
    await app.ready();
    try {
      const res = await supertest(app.server).post('/cds-services/cop-patient-view/feedback').send(feedback('c-\u0000')).expect((r) => {
        expect([400]).toContain(r.status);
      });
      expect(res.body.resourceType).toBe('OperationOutcome');
    } finally {
      await app.close();
    }
  });

  it('SQLite on a full disk: feedback 503, /health/ready notices; both recover when space returns', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cop-full-')), 'store.sqlite');
    const store = await openThreadedSqliteStore(file, {}, { testHooks: true });
    const app = await buildApp(testConfig(), { store, clock: () => NOW });
    await app.ready();
    try {
      const http = supertest(app.server);
      await http.get('/health/ready').expect(200);
      // The "disk" is full: no page can be added to the database.
      const pages = Number(await store.testCall('testPragma', 'page_count'));
      await store.testCall('testPragma', `max_page_count = ${pages}`);
      let status = 200;
      for (let i = 0; i < 2000 && status === 200; i += 1) {
        const res = await http.post('/cds-services/cop-patient-view/feedback').send({
          feedback: Array.from({ length: 10 }, () => ({ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: NOW.toISOString() })),
        });
        status = res.status;
        if (status !== 200) {
          expect(res.status, JSON.stringify(res.body)).toBe(503);
          expect(res.headers['retry-after']).toBeDefined();
          expect(JSON.stringify(res.body)).toMatch(/disk full/);
        }
      }
      expect(status).toBe(503);
      const ready = await http.get('/health/ready').expect(503);
      expect(ready.body.reason).toMatch(/disk full \(SQLITE_FULL\)/);
      await store.testCall('testPragma', `max_page_count = ${pages * 100}`);
      await http.get('/health/ready').expect(200);
      await http.post('/cds-services/cop-patient-view/feedback').send(feedback('after-space')).expect(200);
    } finally {
      await app.close();
    }
  });
});
