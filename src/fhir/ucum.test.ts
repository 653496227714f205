import { describe, expect, it } from 'vitest';
import { bodyWeightToKg, durationToDays, isPercent, MMHG_PER_KPA, pao2ToMmHg, UCUM_SYSTEM, unitOfTimeToDays } from './ucum.js';

const q = (value: number, code: string, system: string | undefined = UCUM_SYSTEM) =>
  system === undefined ? { value, unit: code } : { value, unit: code, system, code };

describe('bodyWeightToKg', () => {
  it('converts kg, g and [lb_av]', () => {
    expect(bodyWeightToKg(q(60, 'kg'))).toEqual({ ok: true, value: 60, unit: 'kg' });
    expect(bodyWeightToKg(q(60000, 'g'))).toEqual({ ok: true, value: 60, unit: 'kg' });
    const lb = bodyWeightToKg(q(132, '[lb_av]'));
    expect(lb.ok && lb.value).toBeCloseTo(59.874, 3);
    expect(lb.ok && lb.value.toFixed(1)).toBe('59.9');
  });

  it('rejects lbs, lb, non-UCUM systems and missing values', () => {
    expect(bodyWeightToKg(q(150, 'lbs')).ok).toBe(false);
    expect(bodyWeightToKg(q(150, 'lb')).ok).toBe(false);
    expect(bodyWeightToKg(q(60, 'kg', 'http://example.org/units')).ok).toBe(false);
    expect(bodyWeightToKg({ value: 60, unit: 'kg' }).ok).toBe(false);
    expect(bodyWeightToKg({ unit: 'kg', system: UCUM_SYSTEM, code: 'kg' }).ok).toBe(false);
    expect(bodyWeightToKg(undefined).ok).toBe(false);
  });

  it('explains why a unit was rejected', () => {
    const r = bodyWeightToKg({ value: 150, unit: 'lbs', system: 'http://example.org/units', code: 'lbs' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/"lbs".*not recognised/);
  });

  it('trusts the UCUM code over a non-UCUM display unit', () => {
    expect(bodyWeightToKg({ value: 132, unit: 'lbs', system: UCUM_SYSTEM, code: '[lb_av]' }).ok).toBe(true);
  });
});

describe('pao2ToMmHg', () => {
  it('passes mm[Hg] through and converts kPa × 7.50062', () => {
    expect(pao2ToMmHg(q(59, 'mm[Hg]'))).toEqual({ ok: true, value: 59, unit: 'mm[Hg]' });
    const kpa = pao2ToMmHg(q(8, 'kPa'));
    expect(kpa.ok && kpa.value).toBeCloseTo(8 * MMHG_PER_KPA, 9);
    expect(pao2ToMmHg(q(8, 'mmHg')).ok).toBe(false);
  });
});

describe('misc units', () => {
  it('recognises percentages', () => {
    expect(isPercent(q(95, '%'))).toBe(true);
    expect(isPercent({ value: 95, unit: '%' })).toBe(true);
    expect(isPercent(q(95, 'percent'))).toBe(false);
  });
  it('converts units of time and durations to days', () => {
    expect(unitOfTimeToDays('h')).toBeCloseTo(1 / 24);
    expect(unitOfTimeToDays('wk')).toBe(7);
    expect(unitOfTimeToDays('s')).toBeUndefined();
    expect(durationToDays({ value: 28, unit: 'days', system: UCUM_SYSTEM, code: 'd' })).toBe(28);
    expect(durationToDays({ value: 4, unit: 'weeks' })).toBe(28);
    expect(durationToDays({ value: 6, unit: 'mo', code: 'mo' })).toBeCloseTo(182.625);
    expect(durationToDays({ value: 1, unit: 'a', code: 'a' })).toBeUndefined();
  });
});
