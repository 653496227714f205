import { describe, expect, it } from 'vitest';
import { activePrednisone, baseFacts, clarithromycinDraft, context, daysAgo, NOW, prednisoneDraft } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import type { CholestasisFact, LabVsUln, MedicationFact, PatientFacts } from '../facts-types.js';
import { r09, ratioText, symptomToTreatment } from './r09-relapse-risk.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';


/** A lab value against its ULN, `elevated` as P-CHOLESTASIS computes it (ratio > 1.0). */
function lab(value: number, uln: number, ulnSource: LabVsUln['ulnSource'] = 'reference-range', reference = 'Observation/ggt'): LabVsUln {
  const ratio = value / uln;
  return { value, unit: 'U/L', uln, ulnSource, ratio, elevated: ratio > 1.0, date: daysAgo(4), ageDays: 4, reference };
}

/** COP patient, GC selected, onset unknown unless told, so only what a test sets can fire the rule. */
function scenario(options: { cholestasis?: Partial<CholestasisFact>; onset?: string; drafts?: MedicationFact[]; runStart?: string } = {}): PatientFacts {
  const base = baseFacts();
  const condition = base.cop.condition ? { ...base.cop.condition, onset: options.onset } : undefined;
  const cholestasis: CholestasisFact = { elevated: false, domain: 'available', ...options.cholestasis };
  if (options.cholestasis && options.cholestasis.elevated === undefined) {
    cholestasis.elevated = Boolean(cholestasis.ggt?.elevated || cholestasis.alp?.elevated);
  }
  const medications = { ...base.medications, drafts: options.drafts ?? [prednisoneDraft()] };
  if (options.runStart) Object.assign(medications, { active: [activePrednisone({ start: options.runStart })], glucocorticoidRunStart: options.runStart });
  return { ...base, cop: { ...base.cop, condition }, cholestasis, medications };
}

describe('COP-R09 relapse-risk markers', () => {
  it('matrix #12: GGT 130 U/L with reference-range high 55 → info "GGT 2.4× ULN"', () => {
    const f = r09.evaluate(scenario({ cholestasis: { ggt: lab(130, 55) }, onset: daysAgo(70) }), context('order-select'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('GGT 2.4× ULN; symptom onset 10 weeks ago. In one series these were associated with multiple relapses; plan follow-up.');
    expect(f.summary).not.toContain('fallback');
    expect(f.suggestions).toBeUndefined();
    expect(f.evidence.find((e) => e.label === 'GGT')).toMatchObject({ value: '130 U/L, ULN 55 U/L', date: daysAgo(4), ageDays: 4, reference: 'Observation/ggt' });
  });

  it('matrix #13: GGT 80 U/L, no reference range → info with the "fallback ULN" label', () => {
    const f = r09.evaluate(scenario({ cholestasis: { ggt: lab(80, 60, 'fallback') } }), context('order-select'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('GGT 1.3× ULN (fallback ULN). In one series raised values were associated with multiple relapses; plan follow-up.');
    expect(f.detail[0]).toContain('fallback ULN: the lab sent no reference range');
  });

  it('GGT ratio exactly 1.0 (not elevated) → no card; 1.01 (elevated) → card reading 1.01×', () => {
    expect(r09.evaluate(scenario({ cholestasis: { ggt: lab(55, 55) } }), context('order-select'))).toBeUndefined();
    const f = r09.evaluate(scenario({ cholestasis: { ggt: lab(55.55, 55) } }), context('order-select'));
    expectWellFormed(f);
    expect(f.summary).toMatch(/^GGT 1\.01× ULN\./);
    expect(ratioText(0.99)).toBe('0.99');
    expect(ratioText(2.36)).toBe('2.4');
  });

  it('raised ALP alone counts; a non-raised marker is listed in detail but not in the summary', () => {
    const f = r09.evaluate(scenario({ cholestasis: { ggt: lab(30, 55), alp: lab(182, 130, 'reference-range', 'Observation/alp') } }), context('order-select'));
    expectWellFormed(f);
    expect(f.summary).toMatch(/^ALP 1\.4× ULN\./);
    expect(f.summary).not.toContain('GGT');
    expect(f.detail[0]).toContain('GGT 0.5× ULN, not raised; ALP 1.4× ULN.');
    expect(f.evidence.find((e) => e.label === 'GGT')).toMatchObject({ value: '30 U/L, ULN 55 U/L' });
  });

  it('the interval alone fires, with no threshold: 1 day and 22 weeks read the same way', () => {
    const early = r09.evaluate(scenario({ onset: daysAgo(1) }), context('order-select'));
    expectWellFormed(early);
    expect(early.summary).toBe('Symptom onset 1 day ago. In one series a longer delay was associated with multiple relapses; plan follow-up.');
    const at22 = r09.evaluate(scenario({ onset: daysAgo(154) }), context('order-select'));
    const at23 = r09.evaluate(scenario({ onset: daysAgo(161) }), context('order-select'));
    expect(at22?.indicator).toBe('info');
    expect(at23?.indicator).toBe('info');
    expect(at22?.summary.replace('22', 'N')).toBe(at23?.summary.replace('23', 'N'));
    expect(at22?.detail.join('\n')).toContain('group means, not cut-offs');
  });

  it('weeks are whole weeks, counted down: 13 days is 1 week, 6 days is shown in days', () => {
    expect(r09.evaluate(scenario({ onset: daysAgo(13) }), context('order-select'))?.summary).toMatch(/^Symptom onset 1 week ago\./);
    expect(r09.evaluate(scenario({ onset: daysAgo(6) }), context('order-select'))?.summary).toMatch(/^Symptom onset 6 days ago\./);
  });

  it('interval ends at the first glucocorticoid order of the current run when already treated', () => {
    const f = r09.evaluate(scenario({ onset: daysAgo(70), runStart: daysAgo(14) }), context('order-select'));
    expectWellFormed(f);
    expect(f.summary).toBe('Symptom onset 8 weeks before the first glucocorticoid order. In one series a longer delay was associated with multiple relapses.');
    expect(f.detail[0]).toContain(`Symptom onset ${daysAgo(70)} to first glucocorticoid order ${daysAgo(14)}: 8 weeks (56 days)`);
  });

  it('interval unknown: no onset, year-only onset, or GC started before onset', () => {
    expect(symptomToTreatment(scenario(), NOW)).toMatchObject({ status: 'unknown' });
    expect(symptomToTreatment(scenario({ onset: '2026' }), NOW)).toMatchObject({ status: 'unknown' });
    expect(symptomToTreatment(scenario({ onset: daysAgo(10), runStart: daysAgo(30) }), NOW)).toMatchObject({ status: 'unknown' });
    expect(symptomToTreatment(scenario({ onset: '2026-09' }), NOW)).toMatchObject({ status: 'known', approximate: true, days: 85 });
    expect(r09.evaluate(scenario(), context('order-select'))).toBeUndefined();
  });

  it('labs unreadable: the interval still shows and the card says the labs could not be read', () => {
    const f = r09.evaluate(scenario({ onset: daysAgo(70), cholestasis: { domain: 'unavailable', elevated: false } }), context('order-select'));
    expectWellFormed(f);
    expect(f.detail[0]).toContain('Liver enzymes (GGT/ALP) could not be read');
  });

  it('detail carries one sentence of evidence and the do-not-intensify advice; the LAZOR-2000 numbers and the BARROSO-2007 caveat are on the evidence page', () => {
    const f = r09.evaluate(scenario({ cholestasis: { ggt: lab(130, 55) }, onset: daysAgo(70) }), context('order-select'));
    const detail = f?.detail.join('\n') ?? '';
    expect(detail).toContain('higher GGT and ALP and a longer delay to treatment (group means, not cut-offs)');
    expect(detail).toContain('(Lazor 2000)');
    expect(detail).toContain('do not prolong or intensify therapy pre-emptively');
    const background = r09.background!.join('\n');
    expect(background).toContain('GGT mean 124 vs 29 IU/L; ALP 190 vs 110 IU/L');
    expect(background).toContain('22 ± 17 vs 11 ± 8 weeks');
    expect(background).toContain('Barroso 2007 did not find the GGT association');
    expect(f?.citations).toEqual(['LAZOR-2000', 'BARROSO-2007']);
  });

  it('onset on the day of the first order reads as such, not "0 days (0 days)"', () => {
    const f = r09.evaluate(scenario({ onset: daysAgo(14), runStart: daysAgo(14) }), context('order-select'));
    expect(f?.summary).toMatch(/^Symptom onset on the day of the first glucocorticoid order\./);
    expect(f?.detail[0]).toContain(`to first glucocorticoid order ${daysAgo(14)}: 0 days.`);
  });

  it('longest variant: two fallback markers, a month-only onset and a treated run → still a short card', () => {
    const f = r09.evaluate(
      scenario({ cholestasis: { ggt: lab(600, 60, 'fallback'), alp: lab(900, 130, 'fallback', 'Observation/alp') }, onset: '2024-05', runStart: daysAgo(14) }),
      context('patient-view'),
    );
    expect(f?.detail[0]).toContain('≈132 weeks (onset known to the month only)');
    expectShortReadableCard(f);
    expectShortReadableCard(r09.evaluate(scenario({ onset: daysAgo(70), cholestasis: { domain: 'unavailable', elevated: false } }), context('patient-view')));
  });

  it('only when a systemic GC is selected on order-select, or on patient-view; never for P-COP false (matrix #14)', () => {
    const raised = { cholestasis: { ggt: lab(130, 55) }, onset: daysAgo(70) };
    expect(r09.evaluate(scenario({ ...raised, drafts: [clarithromycinDraft()] }), context('order-select'))).toBeUndefined();
    expect(r09.evaluate(scenario({ ...raised, drafts: [prednisoneDraft({ selected: false })] }), context('order-select'))).toBeUndefined();
    expect(r09.evaluate(scenario(raised), context('order-sign'))).toBeUndefined();
    expect(r09.evaluate(scenario(raised), context('patient-view'))).toBeDefined();
    const noCop = { ...scenario(raised), cop: { present: false, whoIcdOnly: true, relapseRecords: 0, domain: 'available' as const } };
    expect(r09.evaluate(noCop, context('order-select'))).toBeUndefined();
  });

  it('two fallback markers and a long interval still give a summary under 140 characters', () => {
    const f = r09.evaluate(
      scenario({ cholestasis: { ggt: lab(600, 60, 'fallback'), alp: lab(900, 130, 'fallback', 'Observation/alp') }, onset: daysAgo(900), runStart: daysAgo(14) }),
      context('order-select'),
    );
    expectWellFormed(f);
    expect(f.summary).toContain('GGT 10.0× ULN (fallback ULN) / ALP 6.9× ULN (fallback ULN)');
  });
});
