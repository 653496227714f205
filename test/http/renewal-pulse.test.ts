/**
 * Three revision-2 decisions through the service: a renewal (`priorPrescription`) is not a
 * duplicate, the daily cap needs no weight, and a pulse gets an info card, not the cap warning.
 */
import { describe, expect, it } from 'vitest';
import { daysAgo } from '../fixtures/facts.js';
import { medicationRequest, orderSignRequest, searchset } from '../fixtures/requests.js';
import { cardFor, expectWellFormed, ruleIds, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const { http } = useApp();
const SIGN = '/cds-services/cop-order-sign';
const UCUM = 'http://unitsofmeasure.org';
const mg = (value: number) => ({ value, unit: 'mg', system: UCUM, code: 'mg' });
const dailyFor = (value: number, days?: number, route?: string) => ({
  timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', ...(days !== undefined ? { boundsDuration: { value: days, unit: 'days', system: UCUM, code: 'd' } } : {}) } },
  ...(route ? { route: { coding: [{ system: 'http://snomed.info/sct', code: route }] } } : {}),
  doseAndRate: [{ doseQuantity: mg(value) }],
});

async function sign(options: Parameters<typeof orderSignRequest>[0]): Promise<{ cards: WireCard[] }> {
  const res = await http().post(SIGN).send(orderSignRequest(options)).expect(200);
  expectWellFormed(res.body);
  return res.body;
}

const activePred = medicationRequest('active-pred', '198145', 'prednisone 10 MG Oral Tablet', 'active', mg(10), {
  authoredOn: daysAgo(90), dosageInstruction: [dailyFor(10)],
});
const renewal = (priorPrescription?: unknown) =>
  medicationRequest('renewal-1', '198145', 'prednisone 10 MG Oral Tablet', 'draft', mg(10), {
    dosageInstruction: [dailyFor(10, 28)],
    ...(priorPrescription !== undefined ? { priorPrescription } : {}),
  });

describe('order-sign: a renewal is not a duplicate (decision 14)', () => {
  it('priorPrescription → the active prednisone: no COP-R04 duplicate warning, no COP-R14 first-order card', async () => {
    const body = await sign({ drafts: [renewal({ reference: 'MedicationRequest/active-pred' })], prefetch: { meds: searchset(activePred) } });
    expect(ruleIds(body)).not.toContain('COP-R04');
    expect(ruleIds(body)).not.toContain('COP-R14');
  });

  it('an absolute priorPrescription URL on the FHIR server counts too', async () => {
    const body = await sign({
      drafts: [renewal({ reference: 'https://ehr.example.org/fhir/MedicationRequest/active-pred' })],
      prefetch: { meds: searchset(activePred) },
    });
    expect(ruleIds(body)).not.toContain('COP-R04');
  });

  it('the same draft without priorPrescription is still a duplicate', async () => {
    const body = await sign({ drafts: [renewal()], prefetch: { meds: searchset(activePred) } });
    expect(cardFor(body, 'COP-R04').indicator).toBe('warning');
  });

  it('a priorPrescription that is not a Reference is refused like any other malformed element', async () => {
    const res = await http().post(SIGN).send(orderSignRequest({ drafts: [renewal('MedicationRequest/active-pred')], prefetch: { meds: searchset(activePred) } }));
    expect(res.status).toBe(400);
  });
});

describe('order-sign: the daily cap needs no weight (decision 16)', () => {
  const prednisone = (value: number) => medicationRequest('draft-high', '8640', 'prednisone', 'draft', mg(value), { dosageInstruction: [dailyFor(value, 28)] });

  it('prednisone 100 mg/day with no weight → COP-R05 warning beside COP-R02', async () => {
    const body = await sign({ drafts: [prednisone(100)], prefetch: { weight: searchset() } });
    expect(cardFor(body, 'COP-R02').indicator).toBe('warning');
    const r05 = cardFor(body, 'COP-R05');
    expect(r05.indicator).toBe('warning');
    expect(r05.summary).toContain('above the 60 mg/day cap');
  });

  it('60 mg/day with no weight → no COP-R05 card; 60.5 → warning', async () => {
    expect(ruleIds(await sign({ drafts: [prednisone(60)], prefetch: { weight: searchset() } }))).not.toContain('COP-R05');
    expect(cardFor(await sign({ drafts: [prednisone(60.5)], prefetch: { weight: searchset() } }), 'COP-R05').indicator).toBe('warning');
  });
});

describe('order-sign: pulse therapy (decision 17)', () => {
  const pulse = (days?: number) =>
    medicationRequest('mp-pulse', '6902', 'methylprednisolone', 'draft', mg(500), { dosageInstruction: [dailyFor(500, days, '47625008')] });
  const oral = medicationRequest('oral-pred', '312617', 'prednisone 5 MG Oral Tablet', 'draft', mg(45), { dosageInstruction: [dailyFor(45, 28)] });

  it('IV methylprednisolone 500 mg daily x 3 days → COP-R05 info "pulse therapy"; no bone-protection or cap card', async () => {
    const body = await sign({ drafts: [pulse(3)] });
    const r05 = cardFor(body, 'COP-R05');
    expect(r05.indicator).toBe('info');
    expect(r05.summary).toMatch(/^Pulse therapy: methylprednisolone 500 mg\/day \(625 mg\/day PredEq\) for 3 days/);
    expect(JSON.stringify(body)).not.toContain('above the 60 mg/day cap');
    expect(ruleIds(body)).not.toContain('COP-R10');
    expect(ruleIds(body)).not.toContain('COP-R11');
  });

  it('no stated duration: the cap warning, saying the duration is unknown', async () => {
    const r05 = cardFor(await sign({ drafts: [pulse()] }), 'COP-R05');
    expect(r05.indicator).toBe('warning');
    expect(r05.summary).toContain('duration unknown');
  });

  it('with the oral course that follows: COP-R10 and COP-R11 judge the oral course', async () => {
    const body = await sign({ drafts: [pulse(3), oral] });
    expect(cardFor(body, 'COP-R10').detail).toContain('Data used: Drafted prednisone 45 mg/day, 4 weeks;');
    expect(cardFor(body, 'COP-R11').detail).toContain('drafted 45 mg/day for 4 weeks');
  });
});
