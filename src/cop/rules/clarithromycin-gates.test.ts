import { describe, expect, it } from 'vitest';
import { activePrednisone, clarithromycinEligible, context, daysAgo, facts } from '../../../test/fixtures/facts.js';
import { assessClarithromycinGates, notAssessedLine, notEligibleLine } from './clarithromycin-gates.js';

const ctx = context('order-select');

describe('assessClarithromycinGates', () => {
  it('is eligible when every gate is met (matrix #9)', () => {
    const result = assessClarithromycinGates(clarithromycinEligible(), ctx);
    expect(result.status).toBe('eligible');
    expect(result.evidence.map((e) => e.label)).toEqual(
      expect.arrayContaining(['SpO2', 'FVC % predicted', 'FEV1 % predicted', 'Pregnancy status', 'Macrolide allergy']),
    );
    expect(result.evidence.find((e) => e.label === 'SpO2')).toMatchObject({ value: '97% on room air', date: daysAgo(2), ageDays: 2 });
  });

  it('accepts pregnancy n/a as well as no', () => {
    const f = clarithromycinEligible({ sex: 'male', pregnancy: { status: 'n/a', domain: 'available' } });
    expect(assessClarithromycinGates(f, ctx).status).toBe('eligible');
  });

  it('lists what is missing when gates are unknown (matrix #10)', () => {
    const result = assessClarithromycinGates(facts(), ctx);
    expect(result).toMatchObject({ status: 'not-assessed', missing: ['recent SpO2/PaO2 ≤7 d', 'FVC%/FEV1% predicted ≤90 d'] });
  });

  it('names pregnancy status, allergy list and medication list when unknown', () => {
    const base = clarithromycinEligible();
    const f = clarithromycinEligible({
      pregnancy: { status: 'unknown', domain: 'available' },
      medications: { ...base.medications, macrolideAllergy: 'unknown', domain: 'unavailable' },
    });
    const result = assessClarithromycinGates(f, ctx);
    expect(result.status).toBe('not-assessed');
    if (result.status !== 'not-assessed') return;
    expect(result.missing).toEqual(['pregnancy status', 'allergy list (macrolide allergy)', 'active medication list (interactions)']);
  });

  it('says why PFTs are unknown when only absolute volumes exist', () => {
    const f = clarithromycinEligible({ pft: { absoluteOnly: true, preserved: 'unknown', domain: 'available' } });
    const result = assessClarithromycinGates(f, ctx);
    expect(result.status === 'not-assessed' && result.missing[0]).toContain('only absolute volumes recorded');
  });

  it('uses the configured windows in the missing text', () => {
    const result = assessClarithromycinGates(facts(), context('order-select', {}, { oxygenationWindowDays: 5, pftWindowDays: 60 }));
    expect(result.status === 'not-assessed' && result.missing).toEqual(['recent SpO2/PaO2 ≤5 d', 'FVC%/FEV1% predicted ≤60 d']);
  });

  it.each([
    [
      'respiratory insufficiency',
      { oxygenation: { ...clarithromycinEligible().oxygenation, spo2: [{ value: 89, unit: '%', date: daysAgo(1), ageDays: 1, onSupplementalOxygen: false }], respiratoryInsufficiency: 'present' as const, reasons: ['SpO2 89% < 92%'] } },
      `respiratory insufficiency present (SpO2 89% on room air, ${daysAgo(1)} (1 day ago))`,
    ],
    ['PFTs not preserved', { pft: { ...clarithromycinEligible().pft, preserved: 'false' as const } }, 'lung function not preserved'],
    ['pregnant', { pregnancy: { status: 'yes' as const, domain: 'available' as const } }, 'pregnant'],
    ['child', { age: { status: 'known' as const, years: 16 } }, 'age 16 (adults only)'],
    ['unknown age', { age: { status: 'unknown' as const, reason: 'no-birth-date' as const } }, 'age unknown (adults only)'],
  ])('is not eligible when %s', (_name, overrides, reason) => {
    const result = assessClarithromycinGates(clarithromycinEligible(overrides), ctx);
    expect(result.status).toBe('not-eligible');
    expect(result.status === 'not-eligible' && result.reasons.join(' | ')).toContain(reason);
  });

  it('is not eligible with a macrolide allergy or an interacting drug', () => {
    const base = clarithromycinEligible();
    const allergic = clarithromycinEligible({ medications: { ...base.medications, macrolideAllergy: 'present' } });
    expect(assessClarithromycinGates(allergic, ctx)).toMatchObject({ status: 'not-eligible', reasons: ['macrolide allergy recorded'] });
    const simvastatin = activePrednisone({ name: 'simvastatin 40 MG Oral Tablet', classes: ['clarithromycin-interacting'], glucocorticoid: undefined });
    const interacting = clarithromycinEligible({ medications: { ...base.medications, active: [simvastatin] } });
    expect(assessClarithromycinGates(interacting, ctx)).toMatchObject({
      status: 'not-eligible', reasons: ['interacting drug active: simvastatin 40 MG Oral Tablet'],
    });
  });

  it('prefers not-eligible over not-assessed: missing data could not make the option available', () => {
    const f = facts({ pregnancy: { status: 'yes', domain: 'available' } }); // oxygenation and PFTs unknown too
    expect(assessClarithromycinGates(f, ctx)).toMatchObject({ status: 'not-eligible', reasons: ['pregnant'] });
  });

  it('formats the R01 lines', () => {
    expect(notAssessedLine(['recent SpO2/PaO2 ≤7 d', 'pregnancy status'])).toBe(
      'Clarithromycin option not assessed: missing recent SpO2/PaO2 ≤7 d; pregnancy status.',
    );
    expect(notEligibleLine(['pregnant'])).toBe('Clarithromycin alternative not applicable: pregnant.');
  });
});
