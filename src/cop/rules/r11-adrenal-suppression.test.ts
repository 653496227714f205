import type { Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { createdResource } from '../../../test/fixtures/findings.js';
import { activePrednisone, baseFacts, conditionFact, context, daysAgo, facts, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import { actualCourseCriteria, draftCriteria, r11 } from './r11-adrenal-suppression.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const sign = context('order-sign');


function draft(mgPerDay: number | undefined, plannedDurationDays: number | undefined): MedicationFact {
  const dailyDose = mgPerDay === undefined ? undefined : { mgPerDay, prednisoneEquivalentMgPerDay: mgPerDay, derivation: `${mgPerDay} mg once daily = ${mgPerDay} mg/day` };
  return prednisoneDraft({ dailyDose, plannedDurationDays, doseUnknownReason: mgPerDay === undefined ? 'tablet strength unknown' : undefined });
}

function withDraft(d: MedicationFact, overrides: Partial<PatientFacts> = {}): PatientFacts {
  return facts({ medications: { ...baseFacts().medications, drafts: [d] }, ...overrides });
}

describe('COP-R11 adrenal suppression: scope', () => {
  it('fires on order-sign only, for P-COP with a drafted glucocorticoid', () => {
    const f = withDraft(draft(40, 168));
    expect(r11.evaluate(f, sign)).toBeDefined();
    expect(r11.evaluate(f, context('patient-view'))).toBeUndefined();
    expect(r11.evaluate(f, context('order-select'))).toBeUndefined();
    expect(r11.evaluate(facts(), sign)).toBeUndefined();
    expect(r11.evaluate({ ...f, cop: { ...f.cop, present: false } }, sign)).toBeUndefined();
  });
});

describe('COP-R11 adrenal suppression: ≥ 5 mg/day for ≥ 4 weeks', () => {
  it.each([
    [4.9, 28, false],
    [5, 28, true],
    [5, 27, false],
    [5.1, 29, true],
  ])('%s mg/day for %s days → card %s', (dose, days, fires) => {
    expect(r11.evaluate(withDraft(draft(dose, days)), sign) !== undefined).toBe(fires);
  });

  it('no stated duration: a COP course lasts months, so ≥ 5 mg/day qualifies, and the card says so', () => {
    const f = r11.evaluate(withDraft(draft(5, undefined)), sign)!;
    expect(f.detail[0]).toBe('Meets the criteria: drafted 5 mg/day, no stated duration (a COP course lasts months).');
    expect(r11.evaluate(withDraft(draft(4.9, undefined)), sign)).toBeUndefined();
  });

  it('reads its limits from context.thresholds', () => {
    const t = context('order-sign', {}, { adrenalLowDoseWeeks: 5 });
    expect(r11.evaluate(withDraft(draft(10, 28)), t)).toBeUndefined();
    expect(r11.evaluate(withDraft(draft(10, 35)), t)).toBeDefined();
  });
});

describe('COP-R11 adrenal suppression: > 40 mg/day for > 1 week', () => {
  it.each([
    [40, 8, false],
    [40.1, 7, false],
    [40.1, 8, true],
  ])('%s mg/day for %s days → card %s', (dose, days, fires) => {
    expect(r11.evaluate(withDraft(draft(dose, days)), sign) !== undefined).toBe(fires);
  });

  it('names the drafted dose and duration that meet the high-dose criterion, once per draft', () => {
    expect(draftCriteria(draft(40.1, 8), DEFAULT_THRESHOLDS)).toEqual(['drafted 40.1 mg/day for 8 days']);
    expect(draftCriteria(draft(60, 28), DEFAULT_THRESHOLDS)).toEqual(['drafted 60 mg/day for 4 weeks']);
  });
});

describe('COP-R11 adrenal suppression: other routes to the criteria', () => {
  it('an adrenal-insufficiency condition qualifies on its own', () => {
    const ai = conditionFact('386584007', 'Adrenal cortical hypofunction', 300);
    const f = r11.evaluate(withDraft(draft(2, 7), { adrenalInsufficiencyConditions: [ai] }), sign)!;
    expect(f.detail[0]).toBe('Meets the criteria: adrenal insufficiency recorded.');
    expect(f.evidence).toContainEqual(expect.objectContaining({ label: 'Adrenal cortical hypofunction', value: 'recorded', reference: 'Condition/386584007' }));
  });

  it('the actual course: on 10 mg/day for 4 weeks qualifies even when the renewal is short', () => {
    const f = facts({ medications: { ...baseFacts().medications, active: [activePrednisone()], drafts: [draft(10, 14)], onGlucocorticoidWeeks: 4, glucocorticoidRunStart: '2026-10-28' } });
    expect(actualCourseCriteria(f, DEFAULT_THRESHOLDS)).toEqual(['on 10 mg/day for 4 weeks already']);
    expect(r11.evaluate(f, sign)).toBeDefined();
    const threeWeeks = { ...f, medications: { ...f.medications, onGlucocorticoidWeeks: 3 } };
    expect(r11.evaluate(threeWeeks, sign)).toBeUndefined();
  });
});

describe('COP-R11 adrenal suppression: pulse therapy (decision 17)', () => {
  const methylpred = (mg: number, days: number | undefined, overrides: Partial<MedicationFact> = {}): MedicationFact =>
    prednisoneDraft({
      reference: 'MedicationRequest/draft-mp', id: 'draft-mp', name: 'methylprednisolone 500 MG Injection', glucocorticoid: 'methylprednisolone', rxnormCodes: ['6902'],
      dailyDose: { mgPerDay: mg, prednisoneEquivalentMgPerDay: mg * 1.25, derivation: `${mg} mg once daily = ${mg} mg/day` },
      plannedDurationDays: days, ...overrides,
    });
  const drafted = (...drafts: MedicationFact[]) => facts({ medications: { ...baseFacts().medications, drafts } });

  it.each([
    [249, 3],
    [250, 3],
    [250, 5],
    [250, 6],
  ])('%f mg/day PredEq for %i days alone: > 40 mg/day but not for > 1 week, not ≥ 4 weeks → no card', (predEq, days) => {
    expect(r11.evaluate(drafted(draft(predEq, days)), sign)).toBeUndefined();
  });

  it('a 3-day methylprednisolone 500 mg pulse alone → no card', () => {
    expect(r11.evaluate(drafted(methylpred(500, 3)), sign)).toBeUndefined();
  });

  it('a pulse dose with no stated duration is no pulse: counted as a COP course of months', () => {
    const f = r11.evaluate(drafted(methylpred(500, undefined)), sign);
    expectWellFormed(f);
    expect(f.detail[0]).toContain('drafted 625 mg/day, no stated duration');
  });

  it('a pulse drafted with the oral course that follows: the oral course is judged on its own', () => {
    const f = r11.evaluate(drafted(methylpred(500, 3), draft(40, 28)), sign);
    expectWellFormed(f);
    const detail = f.detail.join('\n');
    expect(f.detail[0]).toBe('Meets the criteria: drafted 40 mg/day for 4 weeks.');
    expect(detail).not.toContain('625');
    // The data line shows what the criteria rest on: the oral course, not the pulse.
    expect(f.evidence.map((e) => e.value)).toEqual(['prednisone 40 mg/day, 4 weeks']);
    // a short oral course after the pulse does not meet the criteria either
    expect(r11.evaluate(drafted(methylpred(500, 3), draft(40, 7)), sign)).toBeUndefined();
  });

  it('patient-view: an active pulse order is not the dose of the running course', () => {
    const pulse = activePrednisone({ name: 'methylprednisolone 500 MG Injection', glucocorticoid: 'methylprednisolone', dailyDose: { mgPerDay: 500, prednisoneEquivalentMgPerDay: 625, derivation: '500 mg once daily = 500 mg/day' }, plannedDurationDays: 3 });
    const onPulse = facts({ medications: { ...baseFacts().medications, active: [pulse], onGlucocorticoidWeeks: 2, glucocorticoidRunStart: pulse.start } });
    expect(actualCourseCriteria(onPulse, DEFAULT_THRESHOLDS)).toEqual([]);
    expect(r11.evaluate(onPulse, context('patient-view'))).toBeUndefined();
    const withOral = facts({ medications: { ...onPulse.medications, active: [pulse, activePrednisone({ reference: 'MedicationRequest/oral', id: 'oral', dailyDose: { mgPerDay: 50, prednisoneEquivalentMgPerDay: 50, derivation: '50 mg once daily = 50 mg/day' } })] } });
    expect(actualCourseCriteria(withOral, DEFAULT_THRESHOLDS)).toEqual(['on 50 mg/day for 2 weeks already']);
  });
});

describe('COP-R11 adrenal suppression: card', () => {
  it('patient-view, 2 weeks into a course with no stated end: the planned course meets the criteria, and its order is the data', () => {
    const active = activePrednisone({ dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '40 mg once daily = 40 mg/day' }, start: daysAgo(14) });
    const f = r11.evaluate(facts({ medications: { ...baseFacts().medications, active: [active], onGlucocorticoidWeeks: 2, glucocorticoidRunStart: daysAgo(14) } }), context('patient-view'));
    expectWellFormed(f);
    expect(f.detail[0]).toBe('Meets the criteria: ordered 40 mg/day, no stated duration (a COP course lasts months).');
    expect(f.evidence).toEqual([{ label: 'On', value: 'prednisone 40 mg/day', reference: 'MedicationRequest/active-pred', date: daysAgo(14), ageDays: 14 }]);
  });

  it('US: info, counselling wording, optional Task, NatPSA-2020', () => {
    const f = r11.evaluate(withDraft(draft(40, 168)), sign);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.citations).toEqual(['NatPSA-2020']);
    expect(f.summary.length).toBeLessThan(140);
    expect(f.summary).toContain('adrenal suppression');
    const s = f.suggestions![0]!;
    expect(s.isRecommended).toBe(false);
    expect(s.label).toMatch(/adrenal suppression counselling/i);
    const task = createdResource<Task>(f);
    expect(task).toMatchObject({ resourceType: 'Task', status: 'requested', for: { reference: 'Patient/pat-1' } });
    expect(task.description).toMatch(/adrenal suppression counselling/i);
  });

  it('UK: Steroid Emergency Card wording', () => {
    const f = r11.evaluate(withDraft(draft(40, 168)), context('order-sign', { formulary: 'uk' }))!;
    expect(f.summary).toBe('Steroid course meets Steroid Emergency Card criteria: issue card, give sick-day advice, do not stop abruptly.');
    expect(createdResource<Task>(f).description).toBe('Issue Steroid Emergency Card / patient education');
  });

  it('not an adult: the card stays, the suggestion does not (COP-R03)', () => {
    const f = r11.evaluate(withDraft(draft(40, 168), { age: { status: 'known', years: 16 } }), sign)!;
    expect(f.suggestions).toBeUndefined();
    expect(f.detail.join('\n')).toContain('age 16');
  });

  it('dose unknown: says the dose could not be derived, no guess, no suggestion', () => {
    const f = r11.evaluate(withDraft(draft(undefined, 168)), sign);
    expectWellFormed(f);
    expect(f.summary).toContain('dose could not be derived');
    expect(f.summary.length).toBeLessThan(140);
    expect(f.suggestions).toBeUndefined();
    expect(f.detail[0]).toBe('The daily dose could not be derived, so it was not guessed: prednisone (tablet strength unknown). A COP course usually meets the criteria.');
    expect(f.evidence[0]!.value).toBe('prednisone dose unknown, 24 weeks');
  });
});

describe('COP-R11 adrenal suppression: the longest card stays short (decisions 19, 20)', () => {
  const mp = (overrides: Partial<MedicationFact> = {}): MedicationFact => prednisoneDraft({
    reference: 'MedicationRequest/draft-mp', id: 'draft-mp', name: 'methylprednisolone 500 MG Injection', glucocorticoid: 'methylprednisolone',
    dailyDose: { mgPerDay: 500, prednisoneEquivalentMgPerDay: 625, derivation: '500 mg once daily = 500 mg/day' }, plannedDurationDays: 3, ...overrides,
  });
  const longest = (overrides: Partial<PatientFacts> = {}): PatientFacts => facts({
    medications: {
      ...baseFacts().medications,
      drafts: [mp(), { ...draft(60, 28), reference: 'MedicationRequest/draft-60' }, { ...draft(undefined, 168), name: 'prednisolone 5 MG Oral Tablet', glucocorticoid: 'prednisolone', reference: 'MedicationRequest/draft-x' }],
      active: [activePrednisone({ dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '2 x 20 mg tablets once daily = 40 mg/day' } }), activePrednisone({ reference: 'MedicationRequest/active-5', name: 'prednisone 5 MG Oral Tablet', start: daysAgo(30) })],
      onGlucocorticoidWeeks: 10, glucocorticoidRunStart: daysAgo(74),
    },
    adrenalInsufficiencyConditions: [conditionFact('386584007', 'Adrenal cortical hypofunction', 300)],
    ...overrides,
  });

  it('order-sign: a pulse, an oral course and an undosed draft beside two active orders and adrenal insufficiency, US wording', () => {
    const f = r11.evaluate(longest(), sign);
    expectWellFormed(f);
    expectShortReadableCard(f);
  });

  it('the same, not an adult (no suggestion, the reason stated instead), UK wording', () => {
    const f = r11.evaluate(longest({ age: { status: 'known', years: 17 } }), context('order-sign', { formulary: 'uk' }));
    expectWellFormed(f);
    expectShortReadableCard(f);
  });

  it('dose unknown on every draft: the not-assessed card', () => {
    const undosed = (n: number): MedicationFact => ({ ...draft(undefined, 168), reference: `MedicationRequest/x-${n}`, doseUnknownReason: 'dose is 2 tablet(s) but the tablet strength is unknown' });
    const f = r11.evaluate(facts({ medications: { ...baseFacts().medications, drafts: [undosed(1), undosed(2)] } }), sign);
    expectWellFormed(f);
    expectShortReadableCard(f);
  });
});
