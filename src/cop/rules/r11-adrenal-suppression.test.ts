import type { Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { createdResource } from '../../../test/fixtures/findings.js';
import { activePrednisone, baseFacts, conditionFact, context, facts, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import { actualCourseCriteria, draftCriteria, r11 } from './r11-adrenal-suppression.js';

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
    expect(f.detail[0]).toContain('no stated duration');
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

  it('names the high-dose criterion', () => {
    expect(draftCriteria(draft(40.1, 8), DEFAULT_THRESHOLDS)).toEqual(['drafted 40.1 mg/day for 8 days (> 40 mg/day for > 1 week)']);
  });
});

describe('COP-R11 adrenal suppression: other routes to the criteria', () => {
  it('an adrenal-insufficiency condition qualifies on its own', () => {
    const ai = conditionFact('386584007', 'Adrenal cortical hypofunction', 300);
    const f = r11.evaluate(withDraft(draft(2, 7), { adrenalInsufficiencyConditions: [ai] }), sign)!;
    expect(f.detail[0]).toContain('adrenal insufficiency recorded (Adrenal cortical hypofunction)');
    expect(f.evidence.some((e) => e.label === 'Adrenal insufficiency')).toBe(true);
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
    expect(f.detail[0]).toContain('drafted 625 mg/day with no stated duration');
  });

  it('a pulse drafted with the oral course that follows: the oral course is judged on its own', () => {
    const f = r11.evaluate(drafted(methylpred(500, 3), draft(40, 28)), sign);
    expectWellFormed(f);
    const detail = f.detail.join('\n');
    expect(detail).toContain('drafted 40 mg/day for 4 weeks (≥ 5 mg/day for ≥ 4 weeks)');
    expect(detail).not.toContain('drafted 625');
    expect(detail).toContain('methylprednisolone 500 MG Injection (pulse, 625 mg/day for 3 days) meets neither limit on its own.');
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
    expect(f.evidence[0]!.value).toContain('dose could not be derived (tablet strength unknown)');
  });
});
