import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { activePrednisone, baseFacts, conditionFact, context, daysAgo, facts } from '../../../test/fixtures/facts.js';
import type { PatientFacts } from '../facts-types.js';
import { r18 } from './r18-steroid-sparing.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const view = context('patient-view');


function onGc(weeks: number | undefined, mgPerDay: number | undefined, extra: Partial<PatientFacts> = {}): PatientFacts {
  const base = baseFacts();
  const start = weeks === undefined ? undefined : daysAgo(weeks * 7);
  const active = weeks === undefined
    ? []
    : [activePrednisone({
      ...(start ? { start } : {}),
      ...(mgPerDay === undefined
        ? { dailyDose: undefined, doseUnknownReason: 'dose unit not recognised' }
        : { dailyDose: { mgPerDay, prednisoneEquivalentMgPerDay: mgPerDay, derivation: `${mgPerDay} mg once daily = ${mgPerDay} mg/day` } }),
    })];
  return facts({
    medications: {
      ...base.medications, active,
      ...(weeks !== undefined ? { onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: start } : {}),
    },
    ...extra,
  });
}

const relapse = (n: number) =>
  conditionFact('719218000', 'Cryptogenic organizing pneumonia', 30 * n, { clinicalStatus: n % 2 ? 'relapse' : 'recurrence', reference: `Condition/r${n}` });

function withRelapses(count: number): PatientFacts {
  const base = baseFacts();
  const relapses = Array.from({ length: count }, (_, i) => relapse(i + 1));
  return facts({ cop: { ...base.cop, conditions: relapses, relapseRecords: count } });
}

describe('COP-R18 steroid-sparing information: triggers', () => {
  it.each([
    [11, 10, false],
    [12, 10, true],
    [12, 9.9, false],
    [52, 40, true],
  ])('on GC %s weeks at %s mg/day → card %s', (weeks, mg, fires) => {
    expect(r18.evaluate(onGc(weeks, mg), view) !== undefined).toBe(fires);
  });

  it.each([
    [1, false],
    [2, true],
  ])('%s recurrence/relapse records → card %s', (count, fires) => {
    const f = r18.evaluate(withRelapses(count), view);
    expect(f !== undefined).toBe(fires);
    if (f) {
      expect(f.detail[0]).toContain('2 COP relapse records');
      expect(f.evidence.filter((e) => e.label === 'COP')).toHaveLength(2);
      expect(f.evidence[0]).toMatchObject({ value: 'relapse', date: daysAgo(30), ageDays: 30, reference: 'Condition/r1' });
    }
  });

  it('COP-R16 firing (matrix #18 facts) triggers it, computed from the facts, not rule order', () => {
    const base = onGc(8, 9); // 8 weeks, 9 mg/day is below the 10 mg/day criterion but 40 mg started the run
    const start = daysAgo(56);
    const f = facts({
      ...base,
      medications: {
        ...base.medications,
        active: [activePrednisone({ start, dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '40 mg once daily = 40 mg/day' } })],
      },
      pft: {
        ...base.pft,
        fvcBaseline: { value: 70, unit: '%', date: daysAgo(58), ageDays: 58, loinc: '19872-1', daysFromRunStart: -2 },
        fvcOnTreatment: { value: 71, unit: '%', date: daysAgo(1), ageDays: 1, loinc: '19872-1', daysFromRunStart: 55 },
      },
    });
    const finding = r18.evaluate(f, view);
    expect(finding?.detail[0]).toBe('Shown because: limited response to glucocorticoids (see COP-R16).');
  });

  it('nothing to say: untreated, short course, low dose, or no P-COP; patient-view only', () => {
    expect(r18.evaluate(baseFacts(), view)).toBeUndefined();
    expect(r18.evaluate(onGc(4, 40), view)).toBeUndefined();
    const long = onGc(20, 20);
    expect(r18.evaluate({ ...long, cop: { ...long.cop, present: false } }, view)).toBeUndefined();
    expect(r18.evaluate(long, context('order-sign'))).toBeUndefined();
    expect(r18.evaluate(long, context('order-select'))).toBeUndefined();
  });

  it('an unknown current dose is never read as ≥ 10 mg/day; the card says so when it fires anyway', () => {
    expect(r18.evaluate(onGc(20, undefined), view)).toBeUndefined();
    const f = r18.evaluate({ ...onGc(20, undefined), cop: withRelapses(2).cop }, view);
    expect(f?.detail.join('\n')).toContain('current daily dose could not be derived');
  });

  it('reads its thresholds from context.thresholds', () => {
    expect(r18.evaluate(onGc(8, 5), context('patient-view', {}, { steroidSparingMinWeeks: 8, steroidSparingMinMgPerDay: 5 }))).toBeDefined();
    expect(r18.evaluate(withRelapses(2), context('patient-view', {}, { steroidSparingMinRelapses: 3 }))).toBeUndefined();
  });
});

describe('COP-R18 card', () => {
  it('info, no order suggestions, TPMT/NUDT15 and teratogenicity notes, RTX-2015 and RADZ-2023', () => {
    const f = r18.evaluate(onGc(20, 20), view);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.suggestions).toBeUndefined();
    expect(f.summary).toMatch(/mycophenolate or azathioprine/);
    expect(f.summary).toMatch(/rituximab/);
    const detail = f.detail.join('\n');
    expect(f.detail[0]).toBe('Shown because: 20 weeks on glucocorticoids, now at 20 mg/day prednisone-equivalent.');
    expect(detail).toContain('TPMT/NUDT15');
    expect(detail).toMatch(/Mycophenolate is teratogenic/);
    expect(detail).toContain('4-patient series');
    expect(detail).toContain('no order is suggested');
    expect(f.citations).toEqual(['RTX-2015', 'RADZ-2023']);
    expect(f.evidence.find((e) => e.label === 'Active order')).toMatchObject({ value: 'prednisone 10 MG Oral Tablet', date: daysAgo(140), ageDays: 140 });
    expect(r18.background!.join('\n')).toContain('TPMT/NUDT15');
    expect(f.detail.join('\n')).not.toMatch(/sign-?off|pending/);
  });
});

describe('COP-R18 longest variant', () => {
  it('every reason (long course, three relapse records, poor response) → still a short card', () => {
    const start = daysAgo(56);
    const base = onGc(8, 40);
    const f = facts({
      ...base,
      cop: { ...base.cop, conditions: [relapse(1), relapse(2), relapse(3)], relapseRecords: 3 },
      medications: {
        ...base.medications,
        onGlucocorticoidWeeks: 14,
        active: [activePrednisone({ start, dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '2 x 20 mg tablets once daily = 40 mg/day' } })],
      },
      pft: {
        ...base.pft,
        fvcBaseline: { value: 70, unit: '%', date: daysAgo(58), ageDays: 58, loinc: '19872-1', daysFromRunStart: -2 },
        fvcOnTreatment: { value: 71, unit: '%', date: daysAgo(1), ageDays: 1, loinc: '19872-1', daysFromRunStart: 55 },
      },
    });
    const finding = r18.evaluate(f, view);
    expect(finding?.detail[0]).toContain('3 COP relapse records');
    expect(finding?.evidence.filter((e) => e.label === 'COP').map((e) => e.date)).toEqual([daysAgo(30), daysAgo(60)]);
    expect(finding?.detail[0]).toContain('limited response to glucocorticoids (see COP-R16)');
    expectShortReadableCard(finding);
    expectShortReadableCard(r18.evaluate({ ...onGc(20, undefined), cop: withRelapses(2).cop }, view));
  });
});
