import type { Quantity } from 'fhir/r4.js';
import { describe, expect, it, vi } from 'vitest';
import {
  bodyWeightCode, bodyWeightToKg, durationToDays, humanUnit, isPercent, isUnitsPerLitre, kgPerUnit, MAX_UNIT_CODE_LENGTH, MMHG_PER_KPA,
  pao2ToMmHg, UCUM_SYSTEM, unitOfTimeToDays,
} from './ucum.js';

const q = (value: number, code: string, system: string | undefined = UCUM_SYSTEM) =>
  system === undefined ? { value, unit: code } : { value, unit: code, system, code };

/** 1 [lb_av] = 0.45359237 kg exactly; 1 [oz_av] = 1/16 [lb_av]. */
const KG_PER_LB = 0.45359237;

const kgOf = (quantity: Quantity | undefined): number | undefined => {
  const r = bodyWeightToKg(quantity);
  return r.ok ? r.value : undefined;
};
const reasonOf = (quantity: Quantity | undefined): string | undefined => {
  const r = bodyWeightToKg(quantity);
  return r.ok ? undefined : r.reason;
};

describe('bodyWeightToKg: UCUM units of mass (converted by @lhncbc/ucum-lhc)', () => {
  it('converts kg, g and mg', () => {
    expect(bodyWeightToKg(q(60, 'kg'))).toEqual({ ok: true, value: 60, unit: 'kg', from: 'kg' });
    expect(bodyWeightToKg(q(60000, 'g'))).toEqual({ ok: true, value: 60, unit: 'kg', from: 'g' });
    expect(kgOf(q(60_000_000, 'mg'))).toBeCloseTo(60, 9);
  });

  it('converts 132 [lb_av] with the exact factor 0.45359237 (59.874… kg)', () => {
    expect(kgOf(q(132, '[lb_av]'))).toBeCloseTo(132 * KG_PER_LB, 12);
    expect(kgOf(q(132, '[lb_av]'))).toBeCloseTo(59.87419284, 8);
    expect(kgOf(q(132, '[lb_av]'))?.toFixed(1)).toBe('59.9');
  });

  it('converts 2112 [oz_av] (= 132 lb) to 59.87 kg', () => {
    expect(kgOf(q(2112, '[oz_av]'))).toBeCloseTo(59.874, 3);
    expect(kgOf(q(2112, '[oz_av]'))?.toFixed(2)).toBe('59.87');
  });

  it('converts any other UCUM unit of mass: [lb_tr], [stone_av]', () => {
    expect(kgOf(q(1, '[lb_tr]'))).toBeCloseTo(0.3732417216, 12);
    expect(kgOf(q(10, '[stone_av]'))).toBeCloseTo(140 * KG_PER_LB, 9);
  });

  it('trusts the UCUM code over a non-UCUM display unit ([lb_av] written "lbs")', () => {
    expect(kgOf({ value: 132, unit: 'lbs', system: UCUM_SYSTEM, code: '[lb_av]' })).toBeCloseTo(59.874, 3);
  });

  it('reads `unit` as the code when a UCUM Quantity has no code', () => {
    expect(bodyWeightToKg({ value: 60, unit: 'kg', system: UCUM_SYSTEM })).toEqual({ ok: true, value: 60, unit: 'kg', from: 'kg' });
    expect(kgOf({ value: 132, unit: '[lb_av]', system: UCUM_SYSTEM })).toBeCloseTo(59.874, 3);
  });
});

describe('bodyWeightToKg: unit text with no system', () => {
  it.each([
    ['kg', 60, 60], ['KG', 60, 60], [' Kg ', 60, 60], ['g', 60000, 60], ['G', 60000, 60],
    ['lb', 132, 132 * KG_PER_LB], ['lbs', 132, 132 * KG_PER_LB], ['LBS', 132, 132 * KG_PER_LB], [' Lb', 132, 132 * KG_PER_LB],
    ['oz', 2112, 132 * KG_PER_LB], [' Oz', 2112, 132 * KG_PER_LB], ['OZ ', 2112, 132 * KG_PER_LB],
  ])('unit "%s" alone: %f → %f kg', (unit, value, kg) => {
    expect(kgOf({ value, unit })).toBeCloseTo(kg, 9);
  });

  it('accepts a code equal to the unit text, refuses a different one', () => {
    expect(kgOf({ value: 132, unit: 'lbs', code: 'lbs' })).toBeCloseTo(59.874, 3);
    expect(kgOf({ value: 132, unit: 'LB', code: 'lb' })).toBeCloseTo(59.874, 3);
    expect(bodyWeightToKg({ value: 60, unit: 'kg', code: 'g' }).ok).toBe(false);
    expect(bodyWeightToKg({ value: 132, unit: 'lb', code: '[lb_av]' }).ok).toBe(false);
  });

  it('refuses any other unit text (pound, kilogram, stone, kgs, [lb_av]) without a system', () => {
    for (const unit of ['pound', 'kilogram', 'stone', 'st', 'kgs', '[lb_av]', 'mg', 'cm']) expect(bodyWeightToKg({ value: 60, unit }).ok, unit).toBe(false);
    expect(reasonOf({ value: 60, unit: 'pound' })).toMatch(/"pound" \(no UCUM system\) not recognised/);
  });
});

describe('bodyWeightToKg: invalid', () => {
  it('refuses a weight without a unit or without a value', () => {
    expect(reasonOf({ value: 60 })).toMatch(/no unit/);
    expect(reasonOf({ value: 60, system: UCUM_SYSTEM })).toMatch(/no unit/);
    expect(reasonOf({ value: 60, unit: '', system: UCUM_SYSTEM, code: '' })).toMatch(/no unit/);
    expect(reasonOf({ value: 60, unit: '  ' })).toMatch(/no unit/);
    expect(reasonOf({ unit: 'kg', system: UCUM_SYSTEM, code: 'kg' })).toBe('weight has no numeric value');
    expect(reasonOf(undefined)).toBe('weight has no numeric value');
  });

  it.each(['cm', 'kg/m2', 'L', 'mL', '%', 'mol', 'U', '[IU]', '1', '{kg}', '/kg', 'kg.m'])('refuses UCUM %s (not a unit of mass)', (code) => {
    expect(reasonOf(q(60, code))).toMatch(/not a UCUM unit of mass/);
  });

  it('refuses strings that are not exact UCUM codes, even when the library could guess them', () => {
    // ucum-lhc's convertUnitTo reads "pound" as [lb_av] and "gram" as g; validateUnitString says "invalid".
    for (const code of ['lbs', 'lb', 'LB', 'KG', 'Kg', 'oz', 'pound', 'gram', 'kilogram']) expect(bodyWeightToKg(q(60, code)).ok, code).toBe(false);
  });

  it('refuses a non-UCUM system, even with a unit that would be read without one (lbs, kg)', () => {
    expect(bodyWeightToKg(q(60, 'kg', 'http://example.org/units')).ok).toBe(false);
    expect(bodyWeightToKg(q(132, 'lbs', 'http://example.org/units')).ok).toBe(false);
    expect(bodyWeightToKg({ value: 132, unit: 'lbs', system: 'http://example.org/units' }).ok).toBe(false);
    expect(bodyWeightToKg(q(132, '[lb_av]', 'http://example.org/units')).ok).toBe(false);
  });

  it('explains why a unit was rejected', () => {
    const r = bodyWeightToKg({ value: 150, unit: 'lbs', system: 'http://example.org/units', code: 'lbs' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/"lbs" \(system http:\/\/example\.org\/units\) not recognised/);
    expect(reasonOf(q(170, 'cm'))).toBe('weight unit "cm" not recognised: not a UCUM unit of mass; expected a unit of mass such as kg, g, lb or oz');
  });

  it('never throws and never logs on garbage, and refuses codes over the length bound without parsing', () => {
    const log = vi.spyOn(console, 'log');
    const garbage = [
      '', ' ', '{', '}', '[', ']', '(', ')', '{{', '[[[', '}{', '((((', '{a}2', '>=\\)1010).().', 'kg^2', 'k g', 'kg\u0000', 'é', '\u202ekg',
      'L{a}\'(lb_av)lb_av`=', '[lb_av]~(k):*{a}-', '10*', '10^', '.', '/', '*', 'kg/', '/kg/', 'x'.repeat(MAX_UNIT_CODE_LENGTH + 1),
      'g.'.repeat(500), '('.repeat(10_000), '[lb_av]'.repeat(10), 'kg'.repeat(1000),
    ];
    for (const code of garbage) {
      expect(() => bodyWeightToKg(q(60, code)), JSON.stringify(code)).not.toThrow();
      expect(bodyWeightToKg(q(60, code)).ok, JSON.stringify(code.slice(0, 20))).toBe(false);
      expect(() => humanUnit(q(60, code))).not.toThrow();
    }
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
    // A long unit string is cut short in the reason that reaches the card.
    expect(reasonOf(q(60, 'x'.repeat(5000)))?.length).toBeLessThan(200);
  });

  it('accepts a unit of mass at the length bound and refuses one just over it', () => {
    const atBound = `kg{${'x'.repeat(MAX_UNIT_CODE_LENGTH - 4)}}`;
    expect(atBound).toHaveLength(MAX_UNIT_CODE_LENGTH);
    expect(kgOf(q(60, atBound))).toBe(60);
    expect(bodyWeightToKg(q(60, `kg{${'x'.repeat(MAX_UNIT_CODE_LENGTH - 3)}}`)).ok).toBe(false);
  });

  it('is not fooled by an overflowing value', () => {
    expect(reasonOf(q(1e308, '[stone_av]'))).toBe('weight value is out of range');
  });
});

describe('kgPerUnit (memoised UCUM lookup)', () => {
  it('gives kg per unit for units of mass, undefined otherwise, the same on a second call', () => {
    expect(kgPerUnit('[lb_av]')).toBe(KG_PER_LB);
    expect(kgPerUnit('[lb_av]')).toBe(KG_PER_LB);
    expect(kgPerUnit('[oz_av]')).toBeCloseTo(KG_PER_LB / 16, 15);
    expect(kgPerUnit('cm')).toBeUndefined();
    expect(kgPerUnit('cm')).toBeUndefined();
  });

  it('stays correct after more distinct unit strings than the cache holds', () => {
    for (let i = 0; i < 1200; i++) kgPerUnit(`g{n${i}}`);
    expect(kgPerUnit('g{n0}')).toBe(0.001);
    expect(kgPerUnit('kg')).toBe(1);
    expect(kgPerUnit('kg/m2')).toBeUndefined();
  });
});

describe('bodyWeightCode', () => {
  it('is the UCUM code, else with no system the code of a trusted unit text', () => {
    expect(bodyWeightCode({ value: 1, unit: 'lbs', system: UCUM_SYSTEM, code: '[lb_av]' })).toBe('[lb_av]');
    expect(bodyWeightCode({ value: 1, unit: 'LBS' })).toBe('[lb_av]');
    expect(bodyWeightCode({ value: 1, unit: ' Oz' })).toBe('[oz_av]');
    expect(bodyWeightCode({ value: 1, unit: 'lbs', system: 'http://example.org/units' })).toBeUndefined();
    expect(bodyWeightCode({ value: 1, unit: 'constructor' })).toBeUndefined();
    expect(bodyWeightCode(undefined)).toBeUndefined();
  });
});

describe('humanUnit', () => {
  it('writes UCUM codes as a person does: lb, oz, g, kg', () => {
    expect(humanUnit('[lb_av]')).toBe('lb');
    expect(humanUnit('[oz_av]')).toBe('oz');
    expect(humanUnit('g')).toBe('g');
    expect(humanUnit('kg')).toBe('kg');
    expect(humanUnit(q(132, '[lb_av]'))).toBe('lb');
    expect(humanUnit(q(2112, '[oz_av]'))).toBe('oz');
    expect(humanUnit({ value: 132, unit: 'lbs', system: UCUM_SYSTEM, code: '[lb_av]' })).toBe('lb');
  });

  it('normalises the unit texts read without a system (LBS → lb, Oz → oz)', () => {
    expect(humanUnit({ value: 132, unit: 'LBS' })).toBe('lb');
    expect(humanUnit({ value: 132, unit: ' Oz' })).toBe('oz');
    expect(humanUnit({ value: 60, unit: 'KG' })).toBe('kg');
  });

  it('shows unknown codes as the sender wrote them', () => {
    expect(humanUnit('kg{scale}')).toBe('kg{scale}');
    expect(humanUnit({ value: 60, unit: 'kilo', system: UCUM_SYSTEM, code: 'kg{scale}' })).toBe('kilo');
    expect(humanUnit({ value: 60, system: UCUM_SYSTEM, code: 'kg{scale}' })).toBe('kg{scale}');
    expect(humanUnit({ value: 150, unit: 'lbs', system: 'http://example.org/units', code: 'lbs' })).toBe('lbs');
    expect(humanUnit({ value: 150, system: 'http://example.org/units', code: '[lb_av]' })).toBe('lb');
    expect(humanUnit({ value: 150 })).toBe('');
    expect(humanUnit('toString')).toBe('toString');
  });
});

describe('isUnitsPerLitre (a hand rule that deliberately differs from UCUM)', () => {
  it('treats U/L, [IU]/L and IU/L as the same number for GGT/ALP, although UCUM refuses to convert [IU]/L to U/L', () => {
    // UCUM: [IU] is an arbitrary unit, not commensurable with U (µmol/min), so a UCUM engine would
    // not give a U/L value for [IU]/L. For these enzyme assays labs report the same number under
    // either unit, so the U/L fallback ULN applies to all three.
    expect(isUnitsPerLitre('U/L')).toBe(true);
    expect(isUnitsPerLitre('[IU]/L')).toBe(true);
    expect(isUnitsPerLitre('IU/L')).toBe(true);
    expect(isUnitsPerLitre('U/mL')).toBe(false);
    expect(isUnitsPerLitre('ukat/L')).toBe(false);
    expect(isUnitsPerLitre(undefined)).toBe(false);
  });

  it('documents the UCUM behaviour the hand rule overrides', async () => {
    const { UcumLhcUtils } = await import('@lhncbc/ucum-lhc');
    const converted = UcumLhcUtils.getInstance().convertUnitTo('[IU]/L', 100, 'U/L');
    expect(converted.status).not.toBe('succeeded');
    expect(converted.toVal).toBeNull();
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
