/**
 * The README's example request: as written (on its own date) and re-dated by examples/redate.mjs
 * (on any later date) it must give the COP-R01 card with 0.75 mg/kg × 60 kg = 45 mg.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../fixtures/config.js';
import { cardFor, expectWellFormed } from './cards-contract.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = path.join(ROOT, 'examples/order-select-request.json');

async function invokeOn(today: string, body: unknown) {
  const app = await buildApp(testConfig(), { clock: () => new Date(`${today}T12:00:00Z`) });
  await app.ready();
  try {
    const res = await supertest(app.server).post('/cds-services/cop-order-select').send(body as object).expect(200);
    expectWellFormed(res.body);
    return res.body;
  } finally {
    await app.close();
  }
}

const suggestedDose = (body: Parameters<typeof cardFor>[0]): number =>
  cardFor(body, 'COP-R01').suggestions![0]!.actions[0]!.resource!.dosageInstruction[0].doseAndRate[0].doseQuantity.value;

/** The answer with its random uuids blanked: what stays the same from one call to the next. */
const withoutUuids = (body: unknown): unknown => JSON.parse(JSON.stringify(body), (key, value: unknown) => (key === 'uuid' ? '-' : value));

describe('README example', () => {
  it('examples/order-select-response.json is what the service answers to the example on its day', async () => {
    const app = await buildApp(testConfig(), { clock: () => new Date('2026-11-25T12:00:00Z') });
    await app.ready();
    try {
      const res = await supertest(app.server).post('/cds-services/cop-order-select').set('Host', 'localhost:8080')
        .send(JSON.parse(readFileSync(EXAMPLE, 'utf8')) as object).expect(200);
      const committed: unknown = JSON.parse(readFileSync(path.join(ROOT, 'examples/order-select-response.json'), 'utf8'));
      expect(withoutUuids(committed)).toEqual(withoutUuids(res.body));
    } finally {
      await app.close();
    }
  });

  it('as written, on the day it was written: COP-R01 suggests 45 mg', async () => {
    const body = await invokeOn('2026-11-25', JSON.parse(readFileSync(EXAMPLE, 'utf8')));
    expect(suggestedDose(body)).toBe(45);
    expect(cardFor(body, 'COP-R01').indicator).toBe('info');
  });

  it('re-dated by examples/redate.mjs, months later: still a fresh weight and 45 mg', async () => {
    const redated = execFileSync(process.execPath, [path.join(ROOT, 'examples/redate.mjs'), EXAMPLE], {
      env: { REDATE_TODAY: '2027-09-14' },
      encoding: 'utf8',
    });
    const body = await invokeOn('2027-09-14', JSON.parse(redated));
    expect(suggestedDose(body)).toBe(45);
    expect(cardFor(body, 'COP-R01').indicator).toBe('info');
  });
});
