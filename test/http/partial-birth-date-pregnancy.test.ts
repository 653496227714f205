/**
 * End to end over HTTP: partial birth dates (decision 12), the 280-day pregnancy window and the
 * last recorded status on the card (decision 15), the gate lines of COP-R06 (decision 21), and one
 * pregnancy-test request per call (decision 20).
 */
import { describe, expect, it } from 'vitest';
import { daysAgo } from '../fixtures/facts.js';
import {
  clarithromycinDraft, medicationRequest, observation, orderSelectRequest, orderSignRequest, patient, searchset,
} from '../fixtures/requests.js';
import { cardFor, expectWellFormed, ruleIds, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

// The day: birthDate 1986 makes the patient 39 or 40 on 2026-12-01.
const { http } = useApp({}, { clock: () => new Date('2026-12-01T10:00:00Z') });

async function post(path: string, body: object): Promise<{ cards: WireCard[] }> {
  const res = await http().post(path).send(body).expect(200);
  expectWellFormed(res.body);
  return res.body;
}
const select = (options: Parameters<typeof orderSelectRequest>[0] = {}) => post('/cds-services/cop-order-select', orderSelectRequest(options));
const sign = (options: Parameters<typeof orderSignRequest>[0] = {}) => post('/cds-services/cop-order-sign', orderSignRequest(options));

/** `daysAgo` counts from the fixtures' NOW (2026-11-25); this app's today is 6 days later. */
const SHIFT = 6;
const ago = (days: number): string => daysAgo(days - SHIFT);

const pregnancyStatus = (code: '77386006' | '60001007', ageDays: number): Record<string, unknown> => {
  const o = observation(`preg-${code}-${ageDays}`, '82810-3', 0, '', ageDays - SHIFT, {
    valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code }] },
  });
  delete o.valueQuantity;
  return o;
};
const mmf = medicationRequest('draft-mmf', '200060', 'mycophenolate mofetil 500 MG Oral Tablet', 'draft', { value: 1000, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });

describe('partial birth dates (decision 12)', () => {
  it('birthDate 1986 (age 39–40): COP-R01 doses, no paediatric COP-R03 card', async () => {
    const body = await select({ prefetch: { patient: patient('1986') } });
    expect(ruleIds(body)).toContain('COP-R01');
    expect(ruleIds(body)).not.toContain('COP-R03');
  });

  it('birthDate 2008 (age 17–18): no dose; COP-R03 asks to confirm the age', async () => {
    const body = await select({ prefetch: { patient: patient('2008') } });
    expect(ruleIds(body)).not.toContain('COP-R01');
    const r03 = cardFor(body, 'COP-R03');
    expect(r03.summary).toBe('Age not recorded or uncertain: confirm the age; COP dosing support is for adults.');
    expect(r03.detail).toContain('age 17–18');
  });

  it('birthDate 2009 (age 16–17): the paediatric card', async () => {
    expect(cardFor(await select({ prefetch: { patient: patient('2009') } }), 'COP-R03').summary).toBe(
      'COP dosing support is validated for adults only; age 16–17. Specialist (paediatric respiratory) dosing required.',
    );
  });
});

describe('pregnancy status on the cards (decision 15)', () => {
  it('a positive test 31 days old: mycophenolate at sign → COP-R19 critical, with the result and its date', async () => {
    const body = await sign({ drafts: [mmf], prefetch: { patient: patient('1990-01-01', 'female'), pregnancy: searchset(pregnancyStatus('77386006', 31)) } });
    const r19 = cardFor(body, 'COP-R19');
    expect(r19.indicator).toBe('critical');
    expect(r19.detail).toContain(`Pregnancy status: pregnant, ${ago(31)} (31 days ago).`);
    expect(r19.suggestions).toBeUndefined();
  });

  it('a negative test 31 days old: pregnancy unknown, the old result shown as too old', async () => {
    const body = await sign({ drafts: [mmf], prefetch: { patient: patient('1990-01-01', 'female'), pregnancy: searchset(pregnancyStatus('60001007', 31)) } });
    const r19 = cardFor(body, 'COP-R19');
    expect(r19.indicator).toBe('warning');
    expect(r19.detail).toContain(`last recorded not pregnant, ${ago(31)} (31 days ago: too old to rule out pregnancy)`);
  });
});

describe('one pregnancy-test request per call (decision 20)', () => {
  it('clarithromycin drafted, pregnancy unknown: COP-R19 asks for the test, COP-R07 does not repeat it', async () => {
    const body = await sign({ drafts: [clarithromycinDraft()], prefetch: { patient: patient('1990-01-01', 'female') } });
    const withTest = body.cards.filter((c) => JSON.stringify(c).match(/[Pp]regnancy test/));
    expect(withTest.map((c) => c.source.topic.code)).toEqual(['COP-R19']);
    const r07 = cardFor(body, 'COP-R07');
    expect(r07.detail).toContain('Pregnancy status unknown (see the pregnancy safety card).');
    expect(`${r07.summary} ${r07.detail}`).not.toMatch(/confirm/i);
  });
});

describe('COP-R06 gate lines (decision 21)', () => {
  it('a man with preserved lung function: pregnancy "not applicable (male)", readings with dates', async () => {
    const body = await select({
      prefetch: {
        pft: searchset(observation('fvc', '19872-1', 85, '%', 30 - SHIFT), observation('fev1', '20152-5', 75, '%', 30 - SHIFT)),
        oxygenation: searchset(observation('spo2', '59408-5', 97, '%', 1 - SHIFT)),
      },
    });
    const detail = cardFor(body, 'COP-R06').detail!;
    expect(detail).toContain(`SpO2 97% on room air, ${ago(1)} (1 day ago)`);
    expect(detail).toContain(`FVC 85% / FEV1 75% predicted, ${ago(30)} (30 days ago)`);
    expect(detail).toContain('pregnancy: not applicable (male)');
    expect(detail).toContain('no macrolide allergy recorded; no interacting drug active');
    expect(detail).not.toMatch(/Criteria met:[^\n]*not pregnant/);
  });
});
