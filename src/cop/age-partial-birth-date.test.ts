/**
 * Decision 12: a year-only or year-month birthDate is adult when the youngest age it allows is
 * ≥ 18, not adult when the oldest age it allows is < 18, and unknown only in between. Today is the
 * site's date: the UTC fields of `now` (fhir/dates.ts).
 */
import { describe, expect, it } from 'vitest';
import { context, facts, NOW, prednisoneDraft } from '../../test/fixtures/facts.js';
import { emptyPool, patient } from '../../test/fixtures/fhir.js';
import { ageFromBirthDate, siteClock } from '../fhir/dates.js';
import { extractFacts } from './facts.js';
import type { AgeFact, PatientFacts } from './facts-types.js';
import { DEFAULT_THRESHOLDS } from './knowledge.js';
import { r01 } from './rules/r01-initial-dose.js';
import { r03 } from './rules/r03-age.js';
import { r11 } from './rules/r11-adrenal-suppression.js';
import { r12 } from './rules/r12-glucose.js';
import { adultOnlySuggestionLine, adultStatus, ageText, isAdult, suggestToAdultsOnly } from './rules/shared.js';
import type { Finding } from './rule-types.js';

// NOW is 2026-11-25 (site today).
const ageOn = (birthDate: string | undefined, now = NOW): AgeFact =>
  extractFacts(emptyPool({ patient: patient(birthDate ? { birthDate } : {}) }), { patientId: 'pat-1', selections: [] }, now, DEFAULT_THRESHOLDS).age;
const withAge = (age: AgeFact): PatientFacts => facts({ age });

describe('partial birth dates → AgeFact', () => {
  it('year only: the youngest age (born 31 Dec) and the oldest (born 1 Jan)', () => {
    expect(ageOn('2008')).toEqual({ status: 'range', minYears: 17, maxYears: 18 });
    expect(ageOn('2007')).toEqual({ status: 'range', minYears: 18, maxYears: 19 });
    expect(ageOn('2009')).toEqual({ status: 'range', minYears: 16, maxYears: 17 });
  });

  it('the issue: birthDate 1986 on 2026-12-01 is 39 or 40, an adult', () => {
    const age = ageOn('1986', new Date('2026-12-01T10:00:00Z'));
    expect(age).toEqual({ status: 'range', minYears: 39, maxYears: 40 });
    expect(adultStatus(withAge(age))).toBe(true);
  });

  it('year-month around the 18th-birthday month', () => {
    expect(ageOn('2008-10')).toEqual({ status: 'known', years: 18 });
    expect(ageOn('2008-11')).toEqual({ status: 'range', minYears: 17, maxYears: 18 });
    expect(ageOn('2008-12')).toEqual({ status: 'known', years: 17 });
    // On the last day of the month everyone born in it has had their birthday.
    expect(ageOn('2008-11', new Date('2026-11-30T10:00:00Z'))).toEqual({ status: 'known', years: 18 });
    expect(ageOn('2008-11', new Date('2026-10-31T10:00:00Z'))).toEqual({ status: 'known', years: 17 });
  });

  it('no birthDate stays unknown', () => {
    expect(ageOn(undefined)).toEqual({ status: 'unknown', reason: 'no-birth-date' });
  });

  it('today is the site date (the UTC fields of the site clock)', () => {
    // 03:00 UTC on 31 December is still 30 December in New York: someone born 31 Dec 2008 is 17 there.
    const instant = new Date('2026-12-31T03:00:00Z');
    expect(ageFromBirthDate('2008', siteClock(instant, 'UTC'))).toEqual({ status: 'known', years: 18 });
    expect(ageFromBirthDate('2008', siteClock(instant, 'America/New_York'))).toEqual({ status: 'range', minYears: 17, maxYears: 18 });
  });

  it('a birth year of this year is age 0, not −1', () => {
    expect(ageFromBirthDate('2026', NOW)).toEqual({ status: 'known', years: 0 });
  });
});

describe('P-ADULT from an AgeFact', () => {
  it.each([
    [{ status: 'range', minYears: 17, maxYears: 18 }, 'unknown'],
    [{ status: 'range', minYears: 18, maxYears: 19 }, true],
    [{ status: 'range', minYears: 16, maxYears: 17 }, false],
    [{ status: 'known', years: 18 }, true],
    [{ status: 'known', years: 17 }, false],
    [{ status: 'unknown', reason: 'no-birth-date' }, 'unknown'],
  ] as [AgeFact, boolean | 'unknown'][])('%o → %s', (age, adult) => {
    expect(adultStatus(withAge(age))).toBe(adult);
    expect(isAdult(withAge(age))).toBe(adult === true);
  });

  it('suggestToAdultsOnly: the suggestions for an adult; for anyone else none (not even built) and the line that says why', () => {
    const suggestion = { label: 'Order HbA1c', actions: [] };
    const finding = (): Finding => ({ ruleId: 'COP-R12', indicator: 'info', summary: 's', detail: ['first line'], evidence: [], citations: [] });
    const adult = finding();
    suggestToAdultsOnly(adult, withAge({ status: 'known', years: 40 }), () => [suggestion]);
    expect(adult.suggestions).toEqual([suggestion]);
    expect(adult.detail).toEqual(['first line']);
    for (const age of [{ status: 'range', minYears: 17, maxYears: 18 }, { status: 'known', years: 16 }, { status: 'unknown', reason: 'no-birth-date' }] as AgeFact[]) {
      const other = finding();
      let built = false;
      suggestToAdultsOnly(other, withAge(age), () => { built = true; return [suggestion]; });
      expect(other.suggestions).toBeUndefined();
      expect(built).toBe(false);
      expect(other.detail).toEqual(['first line', adultOnlySuggestionLine(withAge(age))]);
    }
  });

  it('cards show a range as "age 39–40"', () => {
    expect(ageText(withAge({ status: 'range', minYears: 39, maxYears: 40 }))).toBe('age 39–40');
    expect(adultOnlySuggestionLine(withAge({ status: 'range', minYears: 17, maxYears: 18 }))).toBe(
      'No order suggested: age 17–18, and this advice is validated for adults only (see COP-R03).',
    );
  });
});

describe('rules with a partial birth date', () => {
  const selected = (age: AgeFact): PatientFacts =>
    facts({ age, medications: { ...facts().medications, drafts: [prednisoneDraft({ selected: true })] } });

  it('39–40: COP-R01 offers the dose and COP-R03 stays silent (no paediatric referral for a 40-year-old)', () => {
    const f = selected({ status: 'range', minYears: 39, maxYears: 40 });
    expect(r01.evaluate(f, context('order-select'))?.suggestions?.length).toBeGreaterThan(0);
    expect(r03.evaluate(f, context('order-select'))).toBeUndefined();
  });

  it('17–18: no dose; COP-R03 asks to confirm the age', () => {
    const f = selected({ status: 'range', minYears: 17, maxYears: 18 });
    expect(r01.evaluate(f, context('order-select'))).toBeUndefined();
    expect(r03.evaluate(f, context('order-select'))?.summary).toBe('Age not recorded or uncertain: confirm the age; COP dosing support is for adults.');
  });

  it('16–17: COP-R03 is the paediatric card', () => {
    expect(r03.evaluate(selected({ status: 'range', minYears: 16, maxYears: 17 }), context('order-select'))?.summary).toMatch(/paediatric/);
  });

  it('COP-R11 withholds its suggestion for an uncertain age and says "age 17–18"', () => {
    const draft = prednisoneDraft({ dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '40 mg once daily = 40 mg/day' }, plannedDurationDays: 168 });
    const f = facts({ age: { status: 'range', minYears: 17, maxYears: 18 }, medications: { ...facts().medications, drafts: [draft] } });
    const finding = r11.evaluate(f, context('order-sign'));
    expect(finding?.suggestions).toBeUndefined();
    expect(finding?.detail.join('\n')).toContain('age 17–18');
  });

  it('COP-R12 withholds its HbA1c suggestion the same way', () => {
    const draft = prednisoneDraft({ dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '40 mg once daily = 40 mg/day' }, plannedDurationDays: 168 });
    const at = (age: AgeFact) => r12.evaluate(facts({ age, medications: { ...facts().medications, drafts: [draft] } }), context('order-sign'));
    expect(at({ status: 'known', years: 40 })?.suggestions?.length).toBe(1);
    const minor = at({ status: 'range', minYears: 17, maxYears: 18 });
    expect(minor?.suggestions).toBeUndefined();
    expect(minor?.detail.at(-1)).toBe(adultOnlySuggestionLine(withAge({ status: 'range', minYears: 17, maxYears: 18 })));
  });
});
