import { describe, expect, it } from 'vitest';
import { context, facts, prednisoneDraft, weightFact } from '../../../test/fixtures/facts.js';
import type { PatientFacts } from '../facts-types.js';
import type { HookName } from '../rule-types.js';
import { cardTextProblems } from '../../../test/fixtures/card-corpus.js';
import { renderCard } from '../cards.js';
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

  it.each(HOOKS)('matrix #7: no birthDate → "confirm the age" on %s, never "paediatric" (decision 12)', (hook) => {
    const finding = r03.evaluate(withDraft({ age: { status: 'unknown', reason: 'no-birth-date' } }), context(hook));
    expect(finding?.summary).toBe('Age not recorded or uncertain: confirm the age; COP dosing support is for adults.');
    expect(finding?.detail[0]).toBe('No birth date is recorded. An unknown age counts as not adult for dosing.');
    expect(finding?.summary).not.toMatch(/paediatric/i);
    expect(finding?.evidence[0]).toEqual({ label: 'Age', value: 'not recorded' });
  });

  it('partial birth date that allows 17 or 18 → fires, asks to confirm the age and shows the range', () => {
    const finding = r03.evaluate(facts({ age: { status: 'range', minYears: 17, maxYears: 18 } }), context('patient-view'));
    expect(finding?.summary).toBe('Age not recorded or uncertain: confirm the age; COP dosing support is for adults.');
    expect(finding?.detail[0]).toBe('Birth date recorded only in part: age 17–18, so it is not known whether the patient is 18 yet. An unknown age counts as not adult for dosing.');
    expect(finding?.evidence[0]).toEqual({ label: 'Age', value: '17–18 years (partial birth date)' });
  });

  it('partial birth date whose oldest age is 17 → paediatric card with the range', () => {
    const finding = r03.evaluate(facts({ age: { status: 'range', minYears: 16, maxYears: 17 } }), context('order-sign'));
    expect(finding?.summary).toBe('COP dosing support is validated for adults only; age 16–17. Specialist (paediatric respiratory) dosing required.');
    expect(finding?.detail[0]).toBe('Birth date recorded only in part: age 16–17, under 18 on every possible birthday.');
  });

  it('partial birth date whose youngest age is 18 (or 39–40) → adult, no card', () => {
    expect(r03.evaluate(facts({ age: { status: 'range', minYears: 18, maxYears: 19 } }), context('order-sign'))).toBeUndefined();
    expect(r03.evaluate(facts({ age: { status: 'range', minYears: 39, maxYears: 40 } }), context('order-select'))).toBeUndefined();
  });

  it('17 → fires; 18 → does not', () => {
    expect(r03.evaluate(facts({ age: { status: 'known', years: 17 } }), context('order-sign'))?.ruleId).toBe('COP-R03');
    expect(r03.evaluate(facts({ age: { status: 'known', years: 18 } }), context('order-sign'))).toBeUndefined();
  });

  it('no card without P-COP', () => {
    expect(r03.evaluate(facts({ age: { status: 'known', years: 16 }, cop: { ...facts().cop, present: false } }), context('order-select'))).toBeUndefined();
  });

  it('no card when the patient record could not be read (never inferred)', () => {
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

describe('COP-R03 card text: the longest realistic variants (decisions 19, 20)', () => {
  it.each([
    ['a partial birth date on both sides of 18', { status: 'range', minYears: 17, maxYears: 18 }],
    ['a partial birth date under 18', { status: 'range', minYears: 16, maxYears: 17 }],
    ['no birth date', { status: 'unknown', reason: 'no-birth-date' }],
  ] as const)('%s: detail ≤ 600 with the data used, one cited sentence, no internal note', (_name, age) => {
    const b = facts();
    const f = facts({ age, cop: { ...b.cop, condition: { ...b.cop.condition!, display: 'Cryptogenic organizing pneumonia (disorder), confirmed on biopsy', date: `${b.cop.condition!.date}T10:00:00Z` } } });
    const finding = r03.evaluate(f, context('patient-view'));
    const card = renderCard(finding!, { newId: () => 'x' });
    expect(card.summary.length).toBeLessThanOrEqual(139);
    expect(card.detail!.length).toBeLessThanOrEqual(600);
    expect(cardTextProblems(card)).toEqual([]);
    expect(card.detail).toContain('(Cordier 2006; King & Lee 2022)');
    expect(r03.background?.join(' ')).toMatch(/are of adults/);
  });
});
