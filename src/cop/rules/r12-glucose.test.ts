import type { ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { createdResource } from '../../../test/fixtures/findings.js';
import { activePrednisone, baseFacts, conditionFact, context, daysAgo, facts, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { GlycaemiaFact, Measurement, PatientFacts } from '../facts-types.js';
import { r12 } from './r12-glucose.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const sign = context('order-sign');


function withGlycaemia(glycaemia: Partial<GlycaemiaFact>, overrides: Partial<PatientFacts> = {}): PatientFacts {
  return facts({
    medications: { ...baseFacts().medications, drafts: [prednisoneDraft({ plannedDurationDays: 168 })] },
    glycaemia: { ...baseFacts().glycaemia, ...glycaemia },
    ...overrides,
  });
}

const lab = (value: number, unit: string, ageDays = 10): Measurement =>
  ({ value, unit, date: daysAgo(ageDays), ageDays, reference: `Observation/${unit}-${value}` });

describe('COP-R12 glucose: scope', () => {
  it('order-sign only, P-COP with a drafted glucocorticoid', () => {
    const f = withGlycaemia({});
    expect(r12.evaluate(f, sign)).toBeDefined();
    expect(r12.evaluate(f, context('patient-view'))).toBeUndefined();
    expect(r12.evaluate(f, context('order-select'))).toBeUndefined();
    expect(r12.evaluate({ ...f, medications: baseFacts().medications }, sign)).toBeUndefined();
    expect(r12.evaluate({ ...f, cop: { ...f.cop, present: false } }, sign)).toBeUndefined();
  });
});

describe('COP-R12 (a) baseline', () => {
  it('no HbA1c and no glucose: info + HbA1c ServiceRequest (LOINC 4548-4)', () => {
    const f = r12.evaluate(withGlycaemia({}), sign);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.evidence.slice(0, 2)).toEqual([{ label: 'HbA1c (last 90 days)', value: 'none' }, { label: 'Glucose (last 30 days)', value: 'none' }]);
    expect(f.citations).toEqual(['STEROID-TOXICITY']);
    expect(f.summary.length).toBeLessThan(140);
    const sr = createdResource<ServiceRequest>(f);
    expect(sr.code?.coding).toEqual([{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' }]);
    expect(sr.subject?.reference).toBe('Patient/pat-1');
  });

  it('a normal HbA1c within 90 days, or a normal glucose within 30 days: no card', () => {
    expect(r12.evaluate(withGlycaemia({ hba1c: lab(5.4, '%', 90) }), sign)).toBeUndefined();
    expect(r12.evaluate(withGlycaemia({ glucose: lab(95, 'mg/dL', 30) }), sign)).toBeUndefined();
  });

  it('values outside the windows do not count as a baseline (91 d HbA1c, 31 d glucose)', () => {
    const f = r12.evaluate(withGlycaemia({ hba1c: lab(5.4, '%', 91), glucose: lab(95, 'mg/dL', 31) }), sign)!;
    expect(f.suggestions).toHaveLength(1);
  });

  it('not an adult: no HbA1c suggestion (COP-R03), the card says why', () => {
    const f = r12.evaluate(withGlycaemia({}, { age: { status: 'unknown', reason: 'no-birth-date' } }), sign)!;
    expect(f.suggestions).toBeUndefined();
    expect(f.detail.join('\n')).toContain('age unknown');
  });
});

describe('COP-R12 (b) raised glucose or diabetes → warning', () => {
  const warning = 'Glucocorticoids raise glucose; plan glucose monitoring / treatment adjustment.';

  it.each([
    [6.4, '%', false],
    [6.5, '%', true],
    [47, 'mmol/mol', false],
    [48, 'mmol/mol', true],
  ])('HbA1c %s %s → warning %s', (value, unit, warns) => {
    const f = r12.evaluate(withGlycaemia({ hba1c: lab(value, unit) }), sign);
    expect(f?.indicator === 'warning').toBe(warns);
    if (warns) expect(f!.summary).toBe(warning);
  });

  it.each([
    [199, 'mg/dL', false],
    [200, 'mg/dL', true],
    [11.0, 'mmol/L', false],
    [11.1, 'mmol/L', true],
  ])('glucose %s %s → warning %s', (value, unit, warns) => {
    const f = r12.evaluate(withGlycaemia({ glucose: lab(value, unit) }), sign);
    expect(f?.indicator === 'warning').toBe(warns);
  });

  it('cut-offs come from context.thresholds', () => {
    const t = context('order-sign', {}, { hba1cHighPercent: 6.0 });
    expect(r12.evaluate(withGlycaemia({ hba1c: lab(6.2, '%') }), t)?.indicator).toBe('warning');
  });

  it('a diabetes condition warns; with no baseline the HbA1c suggestion stays', () => {
    const dm = conditionFact('44054006', 'Diabetes mellitus type 2', 800);
    const f = r12.evaluate(withGlycaemia({ diabetesConditions: [dm] }), sign)!;
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe(warning);
    expect(f.suggestions).toHaveLength(1);
    expect(f.evidence).toContainEqual(expect.objectContaining({ label: 'Diabetes mellitus type 2', value: 'recorded', reference: 'Condition/44054006', ageDays: 800 }));
    expect(f.detail[0]).toBe('Diabetes recorded.');
  });

  it('a raised value: warning without the baseline suggestion', () => {
    const f = r12.evaluate(withGlycaemia({ hba1c: lab(7.2, '%') }), sign)!;
    expect(f.suggestions).toBeUndefined();
    expect(f.evidence[0]).toMatchObject({ label: 'HbA1c', value: '7.2%', ageDays: 10 });
    expect(f.detail[0]).toBe('HbA1c at or above the diabetes cut-off (≥ 6.5%).');
  });

  it('an unrecognised unit is not compared (never read as normal), but is a baseline', () => {
    const f = r12.evaluate(withGlycaemia({ hba1c: lab(0.07, '1') }), sign);
    expect(f).toBeUndefined();
    const withDm = r12.evaluate(withGlycaemia({ hba1c: lab(0.07, '1'), diabetesConditions: [conditionFact('44054006', 'Diabetes')] }), sign)!;
    expect(withDm.detail.join('\n')).toContain('unit not recognised');
  });
});

describe('COP-R12 labs unavailable', () => {
  it('says glucose was not assessed; no suggestion', () => {
    const f = r12.evaluate(withGlycaemia({ domain: 'unavailable' }), sign);
    expectWellFormed(f);
    expect(f.evidence[0]).toEqual({ label: 'HbA1c (last 90 days)', value: 'not readable' });
    expect(f.indicator).toBe('info');
    expect(f.summary).toContain('not assessed');
    expect(f.suggestions).toBeUndefined();
  });

  it('a diabetes condition still warns, and the card says labs were not assessed', () => {
    const f = r12.evaluate(withGlycaemia({ domain: 'unavailable', diabetesConditions: [conditionFact('44054006', 'Diabetes')] }), sign)!;
    expect(f.indicator).toBe('warning');
    expect(f.detail.join('\n')).toContain('not assessed');
  });
});

describe('COP-R12: the longest card stays short (decisions 19, 20)', () => {
  const dm = [conditionFact('44054006', 'Type 2 diabetes mellitus without complication', 2000), conditionFact('190447002', 'Steroid-induced diabetes mellitus', 400)];

  it('both values raised (in SI units) with two diabetes conditions', () => {
    const f = r12.evaluate(withGlycaemia({ hba1c: lab(58, 'mmol/mol', 80), glucose: lab(14.2, 'mmol/L', 2), diabetesConditions: dm }), sign);
    expectWellFormed(f);
    expectShortReadableCard(f);
    expect(f.detail[0]).toBe('Diabetes recorded; HbA1c and glucose at or above the diabetes cut-offs (≥ 48 mmol/mol, ≥ 11.1 mmol/L).');
  });

  it('no baseline, diabetes recorded, not an adult, patient-view', () => {
    const f = r12.evaluate(facts({
      medications: { ...baseFacts().medications, active: [activePrednisone()], onGlucocorticoidWeeks: 8, glucocorticoidRunStart: daysAgo(60) },
      glycaemia: { ...baseFacts().glycaemia, diabetesConditions: dm },
      age: { status: 'range', minYears: 17, maxYears: 18 },
    }), context('patient-view'));
    expectWellFormed(f);
    expectShortReadableCard(f);
  });

  it('labs not readable, diabetes recorded', () => {
    const f = r12.evaluate(withGlycaemia({ domain: 'unavailable', diabetesConditions: dm }), sign);
    expectWellFormed(f);
    expectShortReadableCard(f);
  });
});
