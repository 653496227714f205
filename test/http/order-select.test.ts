import { describe, expect, it } from 'vitest';
import { daysAgo } from '../fixtures/facts.js';
import {
  copCondition, medicationRequest, observation, orderSelectRequest, patient, PATIENT_ID, sandboxPrednisoneDraft, searchset, weight,
} from '../fixtures/requests.js';
import { cardFor, expectWellFormed, ruleIds, stepDoses, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const { http } = useApp();
const SELECT = '/cds-services/cop-order-select';

async function select(options: Parameters<typeof orderSelectRequest>[0] = {}): Promise<{ cards: WireCard[] }> {
  const res = await http().post(SELECT).send(orderSelectRequest(options)).expect(200);
  expectWellFormed(res.body);
  return res.body;
}

const spo2 = (value: number, ageDays: number) => observation(`spo2-${value}-${ageDays}`, '59408-5', value, '%', ageDays);
const preservedLungFunction = {
  pft: searchset(observation('fvc', '19872-1', 85, '%', 30), observation('fev1', '20152-5', 75, '%', 30)),
  oxygenation: searchset(spo2(97, 2)),
};

describe('order-select: prednisone selected for an adult with COP (matrix #1)', () => {
  it('suggests updating the selected draft to 45 mg/day for 60 kg, and the 24-week taper', async () => {
    const body = await select();
    const r01 = cardFor(body, 'COP-R01');
    expect(r01.indicator).toBe('info');
    expect(r01.summary).toMatch(/45 mg/);
    expect(r01.detail).toMatch(/60(\.0)? kg/);
    expect(r01.detail).toContain(daysAgo(5));

    const [initial, taper] = r01.suggestions!;
    expect(initial!.isRecommended).toBe(true);
    expect(initial!.actions).toHaveLength(1);
    const update = initial!.actions[0]!;
    expect(update.type).toBe('update');
    const mr = update.resource!;
    expect(mr).toMatchObject({ resourceType: 'MedicationRequest', id: 'draft-pred-1', status: 'draft', subject: { reference: `Patient/${PATIENT_ID}` } });
    expect(mr.medicationCodeableConcept.coding[0]).toMatchObject({ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '312617' });
    expect(mr.dosageInstruction[0].doseAndRate[0].doseQuantity).toEqual({ value: 45, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    expect(mr.dosageInstruction[0].timing.repeat).toMatchObject({ frequency: 1, period: 1, periodUnit: 'd', boundsDuration: { value: 28, code: 'd' } });

    expect(taper!.isRecommended).toBe(false);
    const taperMr = taper!.actions[0]!.resource!;
    expect(taper!.actions[0]!.type).toBe('update');
    expect(taperMr.id).toBe('draft-pred-1');
    expect(stepDoses(taperMr)).toEqual([45, 30, 20, 10, 5]);
    expect(taperMr.dosageInstruction.map((d: any) => d.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(taperMr.dosageInstruction.map((d: any) => d.timing.repeat.boundsDuration.value)).toEqual([28, 28, 28, 42, 42]);
  });

  it('30 kg: the taper never rises (decision 13): 25 → 15 mg for 8 weeks → 10 → 5, 168 days', async () => {
    const r01 = cardFor(await select({ prefetch: { weight: searchset(weight(30)) } }), 'COP-R01');
    const taper = r01.suggestions![1]!;
    expect(taper.label).toBe('Order prednisone 24-week taper (25 → 15 → 10 → 5 mg)');
    const mr = taper.actions[0]!.resource!;
    expect(stepDoses(mr)).toEqual([25, 15, 10, 5]);
    expect(mr.dosageInstruction.map((d: any) => d.sequence)).toEqual([1, 2, 3, 4]);
    expect(mr.dosageInstruction.map((d: any) => d.timing.repeat.boundsDuration.value)).toEqual([28, 56, 42, 42]);
    expect(mr.dispenseRequest.expectedSupplyDuration.value).toBe(168);
    expect(r01.detail).toContain('Low body weight (< 40 kg): check the dose.');
    expect(JSON.stringify(r01)).not.toMatch(/sign-off/);
  });

  it('checks the drafted 1 x 20 mg tablet as 20 mg/day, below 0.5 mg/kg (COP-R05)', async () => {
    const r05 = cardFor(await select(), 'COP-R05');
    expect(r05.indicator).toBe('info');
    expect(r05.summary).toMatch(/20 mg/);
  });

  it('asks for baseline PFTs when none are recorded (COP-R15)', async () => {
    const r15 = cardFor(await select(), 'COP-R15');
    const sr = r15.suggestions![0]!.actions[0]!.resource!;
    expect(sr).toMatchObject({ resourceType: 'ServiceRequest', code: { coding: [{ system: 'http://loinc.org', code: '81458-2' }] } });
  });

  it('converts 132 [lb_av] to 59.9 kg and still suggests 45 mg (matrix #2)', async () => {
    const lb = { ...weight(60), valueQuantity: { value: 132, unit: 'lb', system: 'http://unitsofmeasure.org', code: '[lb_av]' } };
    const r01 = cardFor(await select({ prefetch: { weight: searchset(lb) } }), 'COP-R01');
    expect(r01.detail).toMatch(/59\.9 kg/);
    expect(r01.suggestions![0]!.actions[0]!.resource!.dosageInstruction[0].doseAndRate[0].doseQuantity.value).toBe(45);
  });

  it('never suggests more than 60 mg/day (100 kg × 0.75 = 75 → 60)', async () => {
    const r01 = cardFor(await select({ prefetch: { weight: searchset(weight(100)) } }), 'COP-R01');
    for (const s of r01.suggestions!) expect(Math.max(...stepDoses(s.actions[0]!.resource!))).toBeLessThanOrEqual(60);
    expect(stepDoses(r01.suggestions![0]!.actions[0]!.resource!)).toEqual([60]);
    expect(r01.suggestions![0]!.actions[0]!.resource!.medicationCodeableConcept.coding[0].code).toBe('312615');
  });
});

describe('order-select: weight problems', () => {
  it('matrix #3: a weight in "lbs" (not UCUM) gives COP-R02 and no dose', async () => {
    const lbs = { ...weight(60), valueQuantity: { value: 132, unit: 'lbs', system: 'http://example.org/units', code: 'lbs' } };
    const body = await select({ prefetch: { weight: searchset(lbs) } });
    expect(ruleIds(body)).toContain('COP-R02');
    expect(ruleIds(body)).not.toContain('COP-R01');
    expect(cardFor(body, 'COP-R02').indicator).toBe('warning');
  });

  it('matrix #4: a 120-day-old weight gives COP-R02 with a task to measure weight', async () => {
    const body = await select({ prefetch: { weight: searchset(weight(60, 120)) } });
    const r02 = cardFor(body, 'COP-R02');
    expect(ruleIds(body)).not.toContain('COP-R01');
    expect(r02.suggestions![0]!.actions[0]!.resource).toMatchObject({ resourceType: 'Task', code: { text: 'Body weight (LOINC 29463-7)' } });
  });

  it('matrix #5: a 45-day-old weight gives COP-R01 as a warning that states the age', async () => {
    const r01 = cardFor(await select({ prefetch: { weight: searchset(weight(60, 45)) } }), 'COP-R01');
    expect(r01.indicator).toBe('warning');
    expect(r01.summary).toMatch(/45 days old/);
  });

  it('weight 30 days old is fresh, 31 days stale (calendar days from the request clock)', async () => {
    expect(cardFor(await select({ prefetch: { weight: searchset(weight(60, 30)) } }), 'COP-R01').indicator).toBe('info');
    expect(cardFor(await select({ prefetch: { weight: searchset(weight(60, 31)) } }), 'COP-R01').indicator).toBe('warning');
  });

  it('no weight at all (prefetch null) gives COP-R02, not a 412', async () => {
    expect(ruleIds(await select({ prefetch: { weight: null } }))).toContain('COP-R02');
  });
});

describe('order-select: age', () => {
  it('matrix #6: age 16 gives COP-R03 only, with no dosing', async () => {
    const body = await select({ prefetch: { patient: patient(daysAgo(16 * 365 + 10)) } });
    expect(ruleIds(body)).toContain('COP-R03');
    for (const id of ['COP-R01', 'COP-R05', 'COP-R06']) expect(ruleIds(body)).not.toContain(id);
    expect(body.cards.every((c) => !c.suggestions?.some((s) => s.actions.some((a) => a.resource?.resourceType === 'MedicationRequest')))).toBe(true);
  });

  it('matrix #7: no birthDate gives COP-R03 with the age unknown', async () => {
    const body = await select({ prefetch: { patient: patient(null) } });
    expect(cardFor(body, 'COP-R03').summary).toBe('Age not recorded or uncertain: confirm the age; COP dosing support is for adults.');
    expect(ruleIds(body)).not.toContain('COP-R01');
  });
});

describe('order-select: the clarithromycin option', () => {
  it('matrix #9: preserved lung function, room-air SpO2 97%, not pregnant → COP-R06 with create + delete', async () => {
    const r06 = cardFor(await select({ prefetch: preservedLungFunction }), 'COP-R06');
    const suggestion = r06.suggestions![0]!;
    expect(suggestion.isRecommended).toBe(false);
    // Create first: the CDS Hooks Sandbox applies only a suggestion's first action.
    expect(suggestion.actions.map((a) => a.type)).toEqual(['create', 'delete']);
    expect(suggestion.actions[1]!.resourceId).toBe('MedicationRequest/draft-pred-1');
    const cla = suggestion.actions[0]!.resource!;
    expect(cla.medicationCodeableConcept.coding[0].code).toBe('197517');
    expect(cla.dosageInstruction[0].timing.repeat).toMatchObject({ frequency: 2, period: 1, periodUnit: 'd' });
    expect(cla.dosageInstruction[0].doseAndRate[0].doseQuantity).toMatchObject({ value: 500, code: 'mg' });
  });

  it('matrix #10: no SpO2 within 7 days → no COP-R06, and COP-R01 says the option was not assessed', async () => {
    const body = await select({ prefetch: { ...preservedLungFunction, oxygenation: searchset(spo2(97, 8)) } });
    expect(ruleIds(body)).not.toContain('COP-R06');
    expect(cardFor(body, 'COP-R01').detail).toMatch(/[Cc]larithromycin option not assessed/);
  });

  it('SpO2 91% → respiratory insufficiency → no COP-R06', async () => {
    const body = await select({ prefetch: { ...preservedLungFunction, oxygenation: searchset(spo2(91, 1)) } });
    expect(ruleIds(body)).not.toContain('COP-R06');
  });
});

describe('order-select: diagnosis, secondary causes, relapse markers, pregnancy', () => {
  it('matrix #14: WHO ICD-10 J84.1 alone is not COP: no dosing cards', async () => {
    const who = copCondition({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J84.1' });
    const body = await select({ prefetch: { conditions: searchset(who) } });
    for (const id of ['COP-R01', 'COP-R02', 'COP-R05', 'COP-R06']) expect(ruleIds(body)).not.toContain(id);
  });

  it('rheumatoid arthritis on record → COP-R08 secondary OP warning', async () => {
    const ra = copCondition({ system: 'http://snomed.info/sct', code: '69896004' }, 'ra-1');
    const r08 = cardFor(await select({ prefetch: { conditions: searchset(copCondition(), ra) } }), 'COP-R08');
    expect(r08.indicator).toBe('warning');
  });

  it('matrix #12: GGT 130 U/L with reference high 55 → COP-R09 "GGT 2.4× ULN"', async () => {
    const ggt = observation('ggt-1', '2324-2', 130, 'U/L', 10, { referenceRange: [{ high: { value: 55, unit: 'U/L', system: 'http://unitsofmeasure.org', code: 'U/L' } }] });
    const r09 = cardFor(await select({ prefetch: { labs: searchset(ggt) } }), 'COP-R09');
    expect(r09.indicator).toBe('info');
    expect(r09.summary).toMatch(/GGT 2\.4× ULN/);
  });

  it('matrix #13: GGT 80 U/L without a reference range → COP-R09 labelled "fallback ULN"', async () => {
    const r09 = cardFor(await select({ prefetch: { labs: searchset(observation('ggt-2', '2324-2', 80, 'U/L', 10)) } }), 'COP-R09');
    expect(`${r09.summary} ${r09.detail}`).toMatch(/fallback ULN/);
  });

  it('matrix #16: mycophenolate selected for a pregnant patient → COP-R19 critical', async () => {
    const mmf = medicationRequest('draft-mmf', '200060', 'mycophenolate mofetil 500 MG Oral Tablet', 'draft', { value: 1000, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    const pregnant = observation('preg-1', '82810-3', 0, '', 3, {
      valueQuantity: undefined,
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '77386006' }] },
    });
    delete (pregnant as Record<string, unknown>).valueQuantity;
    const body = await select({ drafts: [mmf], prefetch: { patient: patient('1990-01-01', 'female'), pregnancy: searchset(pregnant) } });
    expect(cardFor(body, 'COP-R19').indicator).toBe('critical');
  });
});

describe('order-select: formulary profile uk', () => {
  const uk = useApp({ formulary: 'uk' });
  it('suggests prednisolone in 5 mg multiples', async () => {
    const res = await uk.http().post(SELECT).send(orderSelectRequest()).expect(200);
    expectWellFormed(res.body);
    const mr = cardFor(res.body, 'COP-R01').suggestions![0]!.actions[0]!.resource!;
    expect(JSON.stringify(mr.medicationCodeableConcept).toLowerCase()).toContain('prednisolone');
    expect(mr.dosageInstruction[0].doseAndRate[0].doseQuantity.value % 5).toBe(0);
  });
});

describe('order-select: the selected draft is kept distinct from other drafts', () => {
  it('a selected non-steroid order with the steroid unselected gives no dose suggestion', async () => {
    const other = medicationRequest('draft-other', '197388', 'azathioprine 50 MG Oral Tablet', 'draft', { value: 50, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    const body = await select({ drafts: [sandboxPrednisoneDraft(), other], selections: ['MedicationRequest/draft-other'] });
    expect(ruleIds(body)).not.toContain('COP-R01');
  });
});
