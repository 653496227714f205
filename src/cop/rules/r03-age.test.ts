import { describe, expect, it } from 'vitest';
import { context, facts, prednisoneDraft, weightFact } from '../../../test/fixtures/facts.js';
import type { PatientFacts } from '../facts-types.js';
import type { HookName } from '../rule-types.js';
import { r01 } from './r01-initial-dose.js';
import { r02 } from './r02-weight-missing.js';
import { r03 } from './r03-age.js';
import { r05 } from './r05-dose-check.js';
import { r06 } from './r06-clarithromycin-option.js';

const HOOKS: HookName[] = ['order-select', 'order-sign', 'patient-view'];

const withDraft = (overrides: Partial<PatientFacts> = {}): PatientFacts =>
  facts({ medications: { active: [], drafts: [prednisoneDraft()], macrolideAllergy: 'absent', domain: 'available' }, ...overrides });

describe('COP-R03 paediatric or unknown age', () => {
  it.each(HOOKS)('matrix #6: age 16 → info on %s, no suggestions', (hook) => {
    const finding = r03.evaluate(withDraft({ age: { status: 'known', years: 16 } }), context(hook));
    expect(finding).toMatchObject({ ruleId: 'COP-R03', indicator: 'info' });
    expect(finding?.summary).toBe('COP dosing support is validated for adults only; age 16. Specialist (paediatric respiratory) dosing required.');
    expect(finding?.suggestions).toBeUndefined();
    expect(finding?.evidence[0]).toEqual({ label: 'Age', value: '16 years' });
  });

  it.each(HOOKS)('matrix #7: no birthDate → "age unknown" on %s', (hook) => {
    const finding = r03.evaluate(withDraft({ age: { status: 'unknown', reason: 'no-birth-date' } }), context(hook));
    expect(finding?.summary).toBe('COP dosing support is validated for adults only; age unknown. Specialist (paediatric respiratory) dosing required.');
    expect(finding?.detail[0]).toBe('Age unknown: no birth date is recorded; an unknown age counts as not adult for dosing.');
    expect(finding?.summary.length).toBeLessThan(140);
  });

  it('ambiguous year-only birth date → fires, with the reason', () => {
    const finding = r03.evaluate(facts({ age: { status: 'unknown', reason: 'ambiguous-birth-date' } }), context('patient-view'));
    expect(finding?.detail[0]).toContain('only a birth year is recorded');
  });

  it('17 → fires; 18 → does not', () => {
    expect(r03.evaluate(facts({ age: { status: 'known', years: 17 } }), context('order-sign'))?.ruleId).toBe('COP-R03');
    expect(r03.evaluate(facts({ age: { status: 'known', years: 18 } }), context('order-sign'))).toBeUndefined();
  });

  it('no card without P-COP', () => {
    expect(r03.evaluate(facts({ age: { status: 'known', years: 16 }, cop: { ...facts().cop, present: false } }), context('order-select'))).toBeUndefined();
  });

  it('no card when the patient record could not be read (§0.4.3)', () => {
    expect(r03.evaluate(facts({ age: { status: 'unknown', reason: 'patient-unavailable' } }), context('patient-view'))).toBeUndefined();
  });

  describe('"R03 info only": the dosing rules stay silent for a non-adult', () => {
    const cases: [string, PatientFacts][] = [
      ['#6 age 16', withDraft({ age: { status: 'known', years: 16 } })],
      ['#7 no birthDate', withDraft({ age: { status: 'unknown', reason: 'no-birth-date' } })],
      ['age 16 with an absent weight', withDraft({ age: { status: 'known', years: 16 }, weight: weightFact(60, 120, 'absent') })],
      ['age 16 with an out-of-range draft dose', withDraft({ age: { status: 'known', years: 16 }, medications: { active: [], drafts: [prednisoneDraft({ dailyDose: { mgPerDay: 100, prednisoneEquivalentMgPerDay: 100, derivation: '100 mg' } })], macrolideAllergy: 'absent', domain: 'available' } })],
    ];
    it.each(cases)('%s', (_name, f) => {
      for (const hook of HOOKS) {
        const ctx = context(hook);
        expect([r01, r02, r05, r06].map((rule) => rule.evaluate(f, ctx))).toEqual([undefined, undefined, undefined, undefined]);
        expect(r03.evaluate(f, ctx)?.ruleId).toBe('COP-R03');
      }
    });
  });
});
