/**
 * Feedback is kept, joined to the card that earned it, and drives the patient-view suppression
 * windows: an overridden card is not shown again for 24 h, COP-R20 at most once per 90 days, and
 * ordering hooks are never suppressed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { basePrefetch, orderSelectRequest, PATIENT_ID } from '../fixtures/requests.js';
import { cardFor, ruleIds, type WireCard } from './cards-contract.js';

const dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'cop-feedback-')), 'store.sqlite');
let now = NOW;
let app: FastifyInstance;
const http = () => supertest(app.server);
const HOUR = 3_600_000;

beforeAll(async () => {
  app = await buildApp(testConfig({ store: { sqlitePath: dbFile } }), { clock: () => now });
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

function patientView(patientId: string) {
  const prefetch = { ...basePrefetch(), patient: { ...(basePrefetch().patient as object), id: patientId } };
  delete (prefetch as Record<string, unknown>).allergies;
  return { hook: 'patient-view', hookInstance: `pv-${patientId}-${now.getTime()}`, context: { userId: 'Practitioner/1', patientId }, prefetch };
}

async function view(patientId: string): Promise<{ cards: WireCard[] }> {
  return (await http().post('/cds-services/cop-patient-view').send(patientView(patientId)).expect(200)).body;
}

const overridden = (card: WireCard, at: Date) => ({
  feedback: [{ card: card.uuid, outcome: 'overridden', overrideReason: { reason: { system: 'x', code: 'not-relevant' }, userComment: 'Seen by Dr Who' }, outcomeTimestamp: at.toISOString() }],
});

const rows = (sql: string, ...params: unknown[]) => {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
};

describe('feedback is stored and joined to its card', () => {
  it('an accepted suggestion is found in the store with the rule, service and hookInstance of its card', async () => {
    now = NOW;
    const request = orderSelectRequest();
    const body = (await http().post('/cds-services/cop-order-select').send(request).expect(200)).body as { cards: WireCard[] };
    const r01 = cardFor(body, 'COP-R01');
    const suggestion = r01.suggestions![0]!;
    const feedback = { feedback: [{ card: r01.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: suggestion.uuid }], outcomeTimestamp: NOW.toISOString() }] };
    await http().post('/cds-services/cop-order-select/feedback').send(feedback).expect(200);
    await http().post('/cds-services/cop-order-select/feedback').send(feedback).expect(200); // repeated post: no second row
    // Feedback no longer waits for the shown-card queue (issue 12): let the write-behind flush.
    for (let i = 0; i < 50 && rows('SELECT 1 FROM shown_card WHERE card_uuid = ?', r01.uuid).length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
    }

    const joined = rows(
      `SELECT f.outcome, f.accepted_suggestions, c.rule_id, c.service_id, c.hook_instance
         FROM feedback f JOIN shown_card c ON c.card_uuid = f.card_uuid WHERE f.card_uuid = ?`,
      r01.uuid,
    );
    expect(joined).toEqual([
      { outcome: 'accepted', accepted_suggestions: JSON.stringify([suggestion.uuid]), rule_id: 'COP-R01', service_id: 'cop-order-select', hook_instance: request.hookInstance },
    ]);
  });

  it('stores no patient id, name or comment in clear', async () => {
    const everything = JSON.stringify([...rows('SELECT * FROM shown_card'), ...rows('SELECT * FROM feedback')]);
    expect(everything).not.toContain(PATIENT_ID);
    expect(everything).not.toContain('Dr Who');
  });
});

describe('patient-view suppression', () => {
  it('hides a card overridden less than 24 h ago, for that patient only, and shows it again after', async () => {
    now = NOW;
    const first = await view('pv-suppress-1');
    const r15 = cardFor(first, 'COP-R15');
    await http().post('/cds-services/cop-patient-view/feedback').send(overridden(r15, NOW)).expect(200);

    now = new Date(NOW.getTime() + 23 * HOUR);
    expect(ruleIds(await view('pv-suppress-1'))).not.toContain('COP-R15');
    expect(ruleIds(await view('pv-suppress-2'))).toContain('COP-R15'); // another patient is not affected

    now = new Date(NOW.getTime() + 25 * HOUR);
    expect(ruleIds(await view('pv-suppress-1'))).toContain('COP-R15');
  });

  it('shows the COP-R20 surveillance card at most once per 90 days', async () => {
    now = NOW;
    expect(ruleIds(await view('pv-r20'))).toContain('COP-R20');
    now = new Date(NOW.getTime() + 89 * 24 * HOUR);
    expect(ruleIds(await view('pv-r20'))).not.toContain('COP-R20');
    now = new Date(NOW.getTime() + 91 * 24 * HOUR);
    expect(ruleIds(await view('pv-r20'))).toContain('COP-R20');
  });

  it('never suppresses ordering-hook cards, even just after an override', async () => {
    now = NOW;
    const body = (await http().post('/cds-services/cop-order-select').send(orderSelectRequest()).expect(200)).body as { cards: WireCard[] };
    await http().post('/cds-services/cop-order-select/feedback').send(overridden(cardFor(body, 'COP-R15'), NOW)).expect(200);
    now = new Date(NOW.getTime() + HOUR);
    const again = (await http().post('/cds-services/cop-order-select').send(orderSelectRequest()).expect(200)).body;
    expect(ruleIds(again)).toContain('COP-R15');
  });
});
