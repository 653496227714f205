import { describe, expect, it } from 'vitest';
import { context, facts, prednisoneDraft, weightFact } from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import type { HookName } from '../rule-types.js';
import { r05, ratioText } from './r05-dose-check.js';

/** A prednisone draft of `mg` mg/day (PredEq = mg), optionally with its initial-phase length. */
const draftOf = (mg: number, overrides: Partial<MedicationFact> = {}): MedicationFact =>
  prednisoneDraft({ dailyDose: { mgPerDay: mg, prednisoneEquivalentMgPerDay: mg, derivation: `${mg} mg once daily = ${mg} mg/day` }, ...overrides });

const patient = (kg: number, drafts: MedicationFact[], overrides: Partial<PatientFacts> = {}): PatientFacts =>
  facts({ weight: weightFact(kg, 5), medications: { active: [], drafts, macrolideAllergy: 'absent', domain: 'available' }, ...overrides });

const check = (kg: number, drafts: MedicationFact[], hook: HookName = 'order-sign', overrides: Partial<PatientFacts> = {}) =>
  r05.evaluate(patient(kg, drafts, overrides), context(hook));

describe('COP-R05 dose and duration check', () => {
  describe('mg/kg range at 60 kg (0.49 / 0.5 / 1.0 / 1.01)', () => {
    it('0.49 mg/kg (29.4 mg) → info below range', () => {
      const finding = check(60, [draftOf(29.4)]);
      expect(finding).toMatchObject({ ruleId: 'COP-R05', indicator: 'info' });
      expect(finding?.summary).toBe('Drafted dose 29.4 mg/day = 0.49 mg/kg; typical COP starting range 0.5–1.0 mg/kg/day');
      expect(finding?.detail[0]).toContain('below the 0.5–1.0 mg/kg/day range typically used');
    });
    it('0.5 mg/kg (30 mg) → no card', () => expect(check(60, [draftOf(30)])).toBeUndefined());
    it('0.75 mg/kg (45 mg) → no card', () => expect(check(60, [draftOf(45)])).toBeUndefined());
    it('1.0 mg/kg (60 mg) → no card', () => expect(check(60, [draftOf(60)])).toBeUndefined());
  });

  describe('mg/kg above range without the cap (50 kg)', () => {
    it('1.0 mg/kg (50 mg) → no card', () => expect(check(50, [draftOf(50)])).toBeUndefined());
    it('1.01 mg/kg (50.5 mg) → warning', () => {
      const finding = check(50, [draftOf(50.5)]);
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Drafted dose 50.5 mg/day = 1.01 mg/kg; typical COP starting range 0.5–1.0 mg/kg/day');
      expect(finding?.detail[0]).toContain('above 1.0 mg/kg/day');
      expect(finding?.detail[0]).not.toContain('cap');
    });
  });

  describe('60 mg/day cap at 100 kg (r = 0.6)', () => {
    it('60 mg → no card', () => expect(check(100, [draftOf(60)])).toBeUndefined());
    it('60.1 mg → warning for the cap alone', () => {
      const finding = check(100, [draftOf(60.1)]);
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Drafted dose 60.1 mg/day = 0.60 mg/kg, above the 60 mg/day cap; typical COP starting range 0.5–1.0 mg/kg/day');
      expect(finding?.summary.length).toBeLessThan(140);
    });
  });

  it('both above range and cap → one warning card naming both', () => {
    const finding = check(60, [draftOf(80)]);
    expect(finding?.indicator).toBe('warning');
    expect(finding?.detail[0]).toBe(
      '- prednisone 20 MG Oral Tablet: 80 mg/day = 1.33 mg/kg for 60.0 kg: above 1.0 mg/kg/day; above the 60 mg/day cap.',
    );
  });

  describe('initial phase longer than 8 weeks at ≥ 0.5 mg/kg', () => {
    it('56 days → no card', () => expect(check(60, [draftOf(45, { initialPhaseDays: 56 })])).toBeUndefined());
    it('57 days → info', () => {
      const finding = check(60, [draftOf(45, { initialPhaseDays: 57 })]);
      expect(finding?.indicator).toBe('info');
      expect(finding?.summary).toBe('Drafted initial phase 57 days at 0.75 mg/kg exceeds 8 weeks; taper after the initial phase');
    });
    it('84 days at 0.49 mg/kg → only the below-range info (duration rule needs ≥ 0.5 mg/kg)', () => {
      const finding = check(60, [draftOf(29.4, { initialPhaseDays: 84 })]);
      expect(finding?.detail[0]).not.toContain('initial phase');
    });
    it('84 days at 0.5 mg/kg → info', () => {
      expect(check(60, [draftOf(30, { initialPhaseDays: 84 })])?.detail[0]).toContain('initial phase 12 weeks at ≥ 0.5 mg/kg');
    });
    it('uses the configured weeks', () => {
      const f = patient(60, [draftOf(45, { initialPhaseDays: 57 })]);
      expect(r05.evaluate(f, context('order-sign', {}, { maxInitialPhaseWeeks: 10 }))).toBeUndefined();
    });
  });

  it('converts other glucocorticoids through PredEq (methylprednisolone 56 mg = 70 mg PredEq)', () => {
    const methylpred = prednisoneDraft({
      name: 'methylprednisolone 4 MG Oral Tablet', glucocorticoid: 'methylprednisolone',
      dailyDose: { mgPerDay: 56, prednisoneEquivalentMgPerDay: 70, derivation: '14 x 4 mg tablets once daily = 56 mg/day' },
    });
    const finding = check(60, [methylpred]);
    expect(finding?.indicator).toBe('warning');
    expect(finding?.summary).toContain('Drafted dose 56 mg/day (70 mg/day PredEq) = 1.17 mg/kg, above the 60 mg/day cap');
  });

  describe('unknown dose', () => {
    const unknownDose = prednisoneDraft({ dailyDose: undefined, doseUnknownReason: 'tablet count without a recognised strength' });
    it('order-sign → info: dose could not be derived, not checked', () => {
      const finding = check(60, [unknownDose]);
      expect(finding?.indicator).toBe('info');
      expect(finding?.summary).toBe(
        'Drafted glucocorticoid dose could not be derived; check it against the typical COP starting range 0.5–1.0 mg/kg/day',
      );
      expect(finding?.detail[0]).toContain('daily dose could not be derived (tablet count without a recognised strength)');
    });
    it('order-select → silent (no dose entered yet)', () => expect(check(60, [unknownDose], 'order-select')).toBeUndefined());
  });

  describe('hooks and drafts', () => {
    it('order-select checks the selected draft once it has a dose', () => {
      expect(check(60, [draftOf(80)], 'order-select')?.indicator).toBe('warning');
    });
    it('order-select ignores drafts that are not selected', () => {
      expect(check(60, [draftOf(80, { selected: false })], 'order-select')).toBeUndefined();
    });
    it('order-sign checks every draft; the worst sets the indicator and summary', () => {
      const finding = check(60, [draftOf(25), draftOf(80, { id: 'd2', reference: 'MedicationRequest/d2' })]);
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toContain('80 mg/day');
      expect(finding?.detail.filter((l) => l.startsWith('- '))).toHaveLength(2);
    });
    it('patient-view → no card', () => expect(check(60, [draftOf(80)], 'patient-view')).toBeUndefined());
  });

  describe('does not fire', () => {
    it.each([
      ['weight absent (R02 covers it)', { weight: weightFact(60, 120, 'absent') }],
      ['weight invalid', { weight: weightFact(60, 1, 'invalid') }],
      ['not adult (R03)', { age: { status: 'known' as const, years: 17 } }],
      ['no P-COP', { cop: { ...facts().cop, present: false } }],
    ])('%s', (_name, overrides) => {
      expect(check(60, [draftOf(80)], 'order-sign', overrides as Partial<PatientFacts>)).toBeUndefined();
    });
    it('no GC draft', () => expect(check(60, [])).toBeUndefined());
  });

  it('stale weight still allows the check', () => {
    const f = patient(60, [draftOf(80)], { weight: weightFact(60, 45, 'stale') });
    expect(r05.evaluate(f, context('order-sign'))?.indicator).toBe('warning');
  });

  it('offers coded override reasons, no suggestions, dated evidence and citations', () => {
    const finding = check(60, [draftOf(80)]);
    expect(finding?.overrideReasons).toEqual([
      { code: 'severe-disease-specialist', display: 'Severe disease – specialist' },
      { code: 'weight-not-representative', display: 'Weight not representative' },
    ]);
    expect(finding?.suggestions).toBeUndefined();
    expect(finding?.evidence[0]).toMatchObject({ label: 'Weight', value: '60.0 kg', ageDays: 5 });
    expect(finding?.evidence[1]).toMatchObject({ label: 'Drafted order', reference: 'MedicationRequest/draft-pred' });
    expect(finding?.citations.length).toBeGreaterThan(0);
  });

  it('never prints a just-outside ratio as the boundary', () => {
    expect(ratioText(0.4999, DEFAULT_THRESHOLDS)).toBe('0.4999');
    expect(ratioText(29.7 / 60, DEFAULT_THRESHOLDS)).toBe('0.49');
    expect(ratioText(0.5, DEFAULT_THRESHOLDS)).toBe('0.50');
    expect(ratioText(1.004, DEFAULT_THRESHOLDS)).toBe('1.004');
  });
});
