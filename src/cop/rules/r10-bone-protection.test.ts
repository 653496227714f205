import type { MedicationRequest, ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { createdResource } from '../../../test/fixtures/findings.js';
import {
  activePrednisone, baseFacts, conditionFact, context, daysAgo, facts, prednisoneDraft,
} from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { alendronateWeeklyRequest, bisphosphonateBlockers, r10 } from './r10-bone-protection.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const sign = context('order-sign');


/** A COP patient with a glucocorticoid drafted at `mgPerDay` PredEq. */
function withDraft(mgPerDay: number | undefined, overrides: Partial<PatientFacts> = {}, draft: Partial<MedicationFact> = {}): PatientFacts {
  const dailyDose = mgPerDay === undefined ? undefined : { mgPerDay, prednisoneEquivalentMgPerDay: mgPerDay, derivation: `${mgPerDay} mg once daily = ${mgPerDay} mg/day` };
  return facts({ medications: { ...baseFacts().medications, drafts: [prednisoneDraft({ dailyDose, plannedDurationDays: 168, ...draft })] }, ...overrides });
}

function medication(cls: MedicationFact['classes'][number], name: string, status = 'active'): MedicationFact {
  return { reference: `MedicationRequest/${cls}`, resourceType: 'MedicationRequest', status, name, identifiedBy: 'code', classes: [cls], rxnormCodes: [], selected: false };
}

function withMeds(active: MedicationFact[], extraDrafts: MedicationFact[] = []): PatientFacts {
  const f = withDraft(40);
  return { ...f, medications: { ...f.medications, active, drafts: [...f.medications.drafts, ...extraDrafts] } };
}

const osteoporosis = conditionFact('64859006', 'Osteoporosis', 400);

describe('COP-R10 bone protection: scope', () => {
  it('fires on order-sign only', () => {
    expect(r10.evaluate(withDraft(40), sign)).toBeDefined();
    expect(r10.evaluate(withDraft(40), context('patient-view'))).toBeUndefined();
    expect(r10.evaluate(withDraft(40), context('order-select'))).toBeUndefined();
  });

  it('needs a drafted systemic glucocorticoid and P-COP', () => {
    expect(r10.evaluate(facts(), sign)).toBeUndefined();
    expect(r10.evaluate(withDraft(40, { cop: { ...baseFacts().cop, present: false } }), sign)).toBeUndefined();
  });

  it('needs P-ADULT: age 17 or unknown age gives no card (COP-R03 speaks)', () => {
    expect(r10.evaluate(withDraft(40, { age: { status: 'known', years: 17 } }), sign)).toBeUndefined();
    expect(r10.evaluate(withDraft(40, { age: { status: 'unknown', reason: 'no-birth-date' } }), sign)).toBeUndefined();
    expect(r10.evaluate(withDraft(40, { age: { status: 'known', years: 18 } }), sign)).toBeDefined();
  });
});

describe('COP-R10 bone protection: dose floor 2.5 mg/day PredEq', () => {
  it.each([
    [2.4, false],
    [2.5, true],
    [2.6, true],
  ])('%s mg/day → card %s', (dose, fires) => {
    expect(r10.evaluate(withDraft(dose), sign) !== undefined).toBe(fires);
  });

  it('reads the floor from context.thresholds', () => {
    expect(r10.evaluate(withDraft(2.5), context('order-sign', {}, { boneCourseMinMgPerDay: 3 }))).toBeUndefined();
  });

  it('a dose that could not be derived still qualifies (COP regimen) and says so', () => {
    const f = r10.evaluate(withDraft(undefined), sign);
    expect(f).toBeDefined();
    expect(f!.evidence[0]!.value).toBe('prednisone dose unknown, 24 weeks');
    expect(r10.background?.join(' ')).toContain('so does one whose daily dose could not be derived');
  });

  it('a short or undated draft still qualifies: a COP course lasts more than 3 months', () => {
    const short = r10.evaluate(withDraft(40, {}, { plannedDurationDays: 14 }), sign)!;
    expect(short.evidence[0]!.value).toBe('prednisone 40 mg/day, 2 weeks');
    expect(short.detail.join('\n')).toContain('(COP: 6–12 months, whatever the draft states)');
    const undated = r10.evaluate(withDraft(40, {}, { plannedDurationDays: undefined }), sign)!;
    expect(undated.evidence[0]!.value).toBe('prednisone 40 mg/day');
  });
});

describe('COP-R10 bone protection: suggestions', () => {
  it('default patient: calcium + vitamin D first, then DXA with VFA; info; ACR-GIOP-2022', () => {
    const f = r10.evaluate(withDraft(40), sign);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.citations).toEqual(['ACR-GIOP-2022']);
    expect(f.summary.length).toBeLessThan(140);
    expect(f.summary).toContain('calcium + vitamin D');
    expect(f.suggestions?.map((s) => s.label)).toEqual(['Order calcium + vitamin D', 'Order bone densitometry (DXA) with VFA']);
    expect(f.suggestions?.every((s) => s.isRecommended === false)).toBe(true);
  });

  it('calcium + vitamin D is ordered by name, with no unconfirmed code, and the card says why', () => {
    const f = r10.evaluate(withDraft(40), sign)!;
    const mr = createdResource<MedicationRequest>(f);
    expect(mr.resourceType).toBe('MedicationRequest');
    expect(mr.medicationCodeableConcept?.coding).toBeUndefined();
    expect(mr.medicationCodeableConcept?.text).toMatch(/calcium carbonate \+ cholecalciferol/i);
    expect(mr.subject?.reference).toBe('Patient/pat-1');
    expect(mr.intent).toBe('order');
    expect(f.suggestions?.[0]?.actions[0]?.description).toBe('Calcium + vitamin D: choose the local product and dose');
    expect(f.detail.join('\n')).not.toMatch(/unconfirmed|sign-off|RxNorm/); // decision 19: no internal notes on cards
    expect(r10.reviewNotes?.join(' ')).toContain('No RxNorm clinical drug is confirmed for calcium + vitamin D');
  });

  it('uses the configured MedicationRequest intent', () => {
    const f = r10.evaluate(withDraft(40), context('order-sign', { medicationRequestIntent: 'proposal' }))!;
    expect(createdResource<MedicationRequest>(f).intent).toBe('proposal');
  });

  it('DXA request is text only; FRAX is asked for from age 40', () => {
    const f = r10.evaluate(withDraft(40), sign)!;
    const sr = createdResource<ServiceRequest>(f, 1);
    expect(sr.code).toEqual({ text: 'Bone densitometry (DXA) with VFA' });
    expect(f.detail.join('\n')).toContain('calculate FRAX; order BMD with VFA');
    expect(f.evidence).toContainEqual({ label: 'Age', value: '54' });
  });

  it('below the FRAX age: BMD only', () => {
    const f = r10.evaluate(withDraft(40, { age: { status: 'known', years: 39 } }), sign)!;
    expect(f.detail.join('\n')).not.toContain('calculate FRAX');
    expect(f.detail.join('\n')).toContain('FRAX applies from age 40');
  });

  it('active calcium + vitamin D: no calcium suggestion, assessment still offered', () => {
    const f = r10.evaluate(withMeds([medication('calcium-vitamin-d', 'Calcium + D3')]), sign)!;
    expect(f.suggestions?.map((s) => s.label)).toEqual(['Order bone densitometry (DXA) with VFA']);
    expect(f.evidence).toContainEqual({ label: 'Calcium + vitamin D', value: 'Calcium + D3', reference: 'MedicationRequest/calcium-vitamin-d' });
  });

  it('calcium + vitamin D drafted in the same order set is not suggested again', () => {
    const f = r10.evaluate(withMeds([], [medication('calcium-vitamin-d', 'Calcium + D3', 'draft')]), sign)!;
    expect(f.suggestions?.map((s) => s.label)).toEqual(['Order bone densitometry (DXA) with VFA']);
  });

  it('calcium and a bisphosphonate already active: nothing to advise, no card', () => {
    const f = r10.evaluate(withMeds([medication('calcium-vitamin-d', 'Calcium + D3'), medication('bisphosphonate', 'alendronate')]), sign);
    expect(f).toBeUndefined();
  });

  it('active bisphosphonate: no assessment, only calcium', () => {
    const f = r10.evaluate(withMeds([medication('bisphosphonate', 'alendronate')]), sign)!;
    expect(f.suggestions?.map((s) => s.label)).toEqual(['Order calcium + vitamin D']);
  });
});

describe('COP-R10 bone protection: bisphosphonate safety', () => {
  it('osteoporosis recorded: bisphosphonate indicated but not offered while eGFR is unknown', () => {
    const f = r10.evaluate(withDraft(40, { boneHealth: { osteoporosisConditions: [osteoporosis], fragilityFractureConditions: [] } }), sign);
    expectWellFormed(f);
    const labels = f.suggestions?.map((s) => s.label) ?? [];
    expect(labels).toEqual(['Order calcium + vitamin D']);
    expect(labels.join()).not.toMatch(/alendronate|DXA/i);
    const text = f.detail.join('\n');
    expect(text).toContain('High fracture risk: a bisphosphonate (e.g. alendronate 70 mg weekly) is indicated; first check eGFR (avoid if < 35 mL/min/1.73 m²) and exclude oesophageal stricture/achalasia.');
    expect(f.summary).toContain('bisphosphonate (check eGFR first)');
    expect(f.evidence).toContainEqual(expect.objectContaining({ label: 'Osteoporosis', value: 'recorded', reference: 'Condition/64859006' }));
  });

  it('pregnancy unknown is named on the card as a reason not to suggest a bisphosphonate', () => {
    const f = r10.evaluate(withDraft(40, {
      sex: 'female', pregnancy: { status: 'unknown', domain: 'available' },
      boneHealth: { osteoporosisConditions: [osteoporosis], fragilityFractureConditions: [] },
    }), sign)!;
    expect(f.detail.join('\n')).toContain('rule out pregnancy');
    expect(f.evidence).toContainEqual({ label: 'Pregnancy', value: 'unknown (none recorded)' });
  });

  it('a fragility fracture counts like osteoporosis', () => {
    const fracture = conditionFact('123', 'Fragility fracture of vertebra', 500);
    const f = r10.evaluate(withDraft(40, { boneHealth: { osteoporosisConditions: [], fragilityFractureConditions: [fracture] } }), sign)!;
    expect(f.detail.join('\n')).toContain('High fracture risk: a bisphosphonate (e.g. alendronate');
    expect(f.evidence).toContainEqual(expect.objectContaining({ label: 'Fragility fracture of vertebra', value: 'recorded' }));
  });

  it('the eGFR limit in the card comes from the thresholds', () => {
    const f = r10.evaluate(
      withDraft(40, { boneHealth: { osteoporosisConditions: [osteoporosis], fragilityFractureConditions: [] } }),
      context('order-sign', {}, { bisphosphonateMinEgfr: 30 }),
    )!;
    expect(f.detail.join('\n')).toContain('avoid if < 30 mL/min/1.73 m²');
  });

  it.each([
    ['yes', true],
    ['unknown', true],
    ['no', false],
    ['n/a', false],
  ] as const)('pregnancy %s blocks a bisphosphonate: %s', (status, blocks) => {
    const f = facts({ pregnancy: { status, domain: 'available' } });
    expect(bisphosphonateBlockers(f, sign.thresholds).some((b) => b.includes('pregnancy'))).toBe(blocks);
  });

  it('renal function always blocks: PatientFacts carries no eGFR', () => {
    expect(bisphosphonateBlockers(facts(), sign.thresholds).some((b) => b.includes('check eGFR'))).toBe(true);
  });

  it('the alendronate order, when it can be offered, is RxNorm 904431 once weekly', () => {
    const mr = alendronateWeeklyRequest(facts(), sign);
    expect(mr.medicationCodeableConcept?.coding?.[0]).toMatchObject({ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '904431' });
    expect(mr.dosageInstruction?.[0]?.timing?.repeat).toEqual({ frequency: 1, period: 1, periodUnit: 'wk' });
    expect(mr.status).toBe('draft');
  });
});

describe('COP-R10 bone protection: evidence', () => {
  it('states the drafted course and the current run with dates', () => {
    const f = r10.evaluate(
      facts({ medications: { ...baseFacts().medications, active: [activePrednisone()], drafts: [prednisoneDraft({ plannedDurationDays: 168 })], onGlucocorticoidWeeks: 8, glucocorticoidRunStart: '2026-09-30' } }),
      sign,
    )!;
    expect(f.evidence[0]).toMatchObject({ label: 'Drafted', reference: 'MedicationRequest/draft-pred' });
    expect(f.evidence[0]!.value).toBe('prednisone 20 mg/day, 24 weeks');
    // The drafted course is what R10 judges: the active run is not part of its data.
    expect(f.evidence.map((e) => e.label)).toEqual(['Drafted', 'Age']);
  });

  it('patient-view: each active order dated with its age; the weeks on glucocorticoids are left to COP-R11 and R17', () => {
    const active = activePrednisone({ dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '40 mg once daily = 40 mg/day' } });
    const f = r10.evaluate(facts({ medications: { ...baseFacts().medications, active: [active], onGlucocorticoidWeeks: 8, glucocorticoidRunStart: '2026-09-30' } }), context('patient-view'))!;
    expect(f.detail.join(' ')).not.toContain('weeks');
    expect(f.detail[0]).toBe('ACR 2022: > 3 months at ≥ 2.5 mg/day (COP: 6–12 months) needs calcium + vitamin D and early fracture-risk assessment.');
    expect(f.evidence[0]).toEqual({ label: 'On', value: 'prednisone 40 mg/day', reference: 'MedicationRequest/active-pred', date: active.start, ageDays: 60 });
  });
});

describe('COP-R10 bone protection: pulse therapy (decision 17)', () => {
  /** IV methylprednisolone `mg` mg once daily (PredEq × 1.25) for `days` days. */
  const methylpred = (mg: number, days: number | undefined, overrides: Partial<MedicationFact> = {}): MedicationFact =>
    prednisoneDraft({
      reference: 'MedicationRequest/draft-mp', id: 'draft-mp', name: 'methylprednisolone 500 MG Injection', glucocorticoid: 'methylprednisolone', rxnormCodes: ['6902'],
      dailyDose: { mgPerDay: mg, prednisoneEquivalentMgPerDay: mg * 1.25, derivation: `${mg} mg once daily = ${mg} mg/day` },
      plannedDurationDays: days, initialPhaseDays: days, ...overrides,
    });
  const drafted = (...drafts: MedicationFact[]) => facts({ medications: { ...baseFacts().medications, drafts } });
  const predEqDraft = (predEq: number, days: number | undefined) =>
    prednisoneDraft({ dailyDose: { mgPerDay: predEq, prednisoneEquivalentMgPerDay: predEq, derivation: `${predEq} mg once daily = ${predEq} mg/day` }, plannedDurationDays: days });

  it('a 3-day IV methylprednisolone 500 mg pulse alone is not a > 3-month course: no card', () => {
    expect(r10.evaluate(drafted(methylpred(500, 3)), sign)).toBeUndefined();
  });

  it.each([
    [249, 3, true],
    [250, 3, false],
    [250, 5, false],
    [250, 6, true],
    [250, undefined, true],
  ])('%f mg/day PredEq for %s days alone → card %s', (predEq, days, fires) => {
    expect(r10.evaluate(drafted(predEqDraft(predEq, days)), sign) !== undefined).toBe(fires);
  });

  it('a pulse drafted with the oral course that follows: the oral course is judged on its own', () => {
    const f = r10.evaluate(drafted(methylpred(500, 3), prednisoneDraft({ plannedDurationDays: 28 })), sign);
    expectWellFormed(f);
    const detail = f.detail.join('\n');
    expect(detail).toContain('(COP: 6–12 months, whatever the draft states)');
    // The pulse alone does not make the course: the data line shows the oral course it rests on.
    expect(f.evidence.map((e) => e.value)).toEqual(['prednisone 20 mg/day, 4 weeks', '54']);
    // ... and an oral course below the ACR floor does not qualify either
    expect(r10.evaluate(drafted(methylpred(500, 3), predEqDraft(2, 28)), sign)).toBeUndefined();
  });

  it('patient-view: an active pulse order alone (still "active") does not qualify however long ago it started', () => {
    const pulse = activePrednisone({ name: 'methylprednisolone 500 MG Injection', glucocorticoid: 'methylprednisolone', dailyDose: { mgPerDay: 500, prednisoneEquivalentMgPerDay: 625, derivation: '500 mg once daily = 500 mg/day' }, plannedDurationDays: 3 });
    const onPulse = facts({ medications: { ...baseFacts().medications, active: [pulse], onGlucocorticoidWeeks: 8, glucocorticoidRunStart: pulse.start } });
    expect(r10.evaluate(onPulse, context('patient-view'))).toBeUndefined();
    const withOral = facts({ medications: { ...onPulse.medications, active: [pulse, activePrednisone({ reference: 'MedicationRequest/oral', id: 'oral' })] } });
    expect(r10.evaluate(withOral, context('patient-view'))).toBeDefined();
  });

  it('the pulse limits come from context.thresholds', () => {
    expect(r10.evaluate(drafted(methylpred(500, 3)), context('order-sign', {}, { pulseMaxDays: 2 }))).toBeDefined();
  });
});

describe('COP-R10 bone protection: the longest card stays short (decisions 19, 20)', () => {
  const pulse = (overrides: Partial<MedicationFact> = {}): MedicationFact => activePrednisone({
    reference: 'MedicationRequest/active-mp', id: 'active-mp', name: 'methylprednisolone 500 MG Injection', glucocorticoid: 'methylprednisolone',
    dailyDose: { mgPerDay: 500, prednisoneEquivalentMgPerDay: 625, derivation: '500 mg once daily = 500 mg/day' }, plannedDurationDays: 3, start: daysAgo(75), ...overrides,
  });
  const oral = activePrednisone({ reference: 'MedicationRequest/active-oral', dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '2 x 20 mg tablets once daily = 40 mg/day' }, start: daysAgo(72) });
  const fives = activePrednisone({ reference: 'MedicationRequest/active-5', name: 'prednisone 5 MG Oral Tablet', dailyDose: { mgPerDay: 5, prednisoneEquivalentMgPerDay: 5, derivation: '1 x 5 mg tablet once daily = 5 mg/day' }, start: daysAgo(72) });
  const undosed = activePrednisone({ reference: 'MedicationRequest/active-undosed', name: 'prednisolone 5 MG Oral Tablet', glucocorticoid: 'prednisolone', dailyDose: undefined, doseUnknownReason: 'dose given as text only', start: daysAgo(30) });
  const highRisk = {
    sex: 'female' as const,
    age: { status: 'known' as const, years: 52 },
    pregnancy: { status: 'unknown' as const, domain: 'available' as const, lastRecorded: { text: 'not pregnant', outdated: 'too old to rule out pregnancy', date: daysAgo(91), ageDays: 91, reference: 'Observation/preg-old' } },
    boneHealth: { osteoporosisConditions: [conditionFact('64859006', 'Osteoporosis', 400)], fragilityFractureConditions: [conditionFact('123', 'Fragility fracture of vertebra', 800)] },
  };

  it('patient-view: two active orders (a taper in two strengths) and a pulse, a bone condition, pregnancy unknown with an old record', () => {
    const f = r10.evaluate(facts({
      ...highRisk,
      boneHealth: { ...highRisk.boneHealth, fragilityFractureConditions: [] },
      medications: { ...baseFacts().medications, active: [pulse(), oral, fives], onGlucocorticoidWeeks: 10, glucocorticoidRunStart: daysAgo(76) },
    }), context('patient-view'));
    expectWellFormed(f);
    expectShortReadableCard(f);
  });

  it('patient-view: osteoporosis and a fragility fracture, pregnancy unknown with an old record', () => {
    const f = r10.evaluate(facts({
      ...highRisk,
      medications: { ...baseFacts().medications, active: [pulse(), oral], onGlucocorticoidWeeks: 10, glucocorticoidRunStart: daysAgo(76) },
    }), context('patient-view'));
    expectWellFormed(f);
    expectShortReadableCard(f);
  });

  it('order-sign: three drafts beside active calcium, risk unknown', () => {
    const drafts = [prednisoneDraft({ plannedDurationDays: 168 }), pulse({ status: 'draft', start: undefined }), { ...undosed, status: 'draft', start: undefined }];
    const f = r10.evaluate(facts({ medications: { ...baseFacts().medications, drafts, active: [medication('calcium-vitamin-d', 'Calcium carbonate 1250 MG / cholecalciferol 400 UNT Oral Tablet')] } }), sign);
    expectWellFormed(f);
    expectShortReadableCard(f);
  });
});
