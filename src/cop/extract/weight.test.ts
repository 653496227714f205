/**
 * P-WEIGHT in any unit of mass (catalog decision 11): UCUM units of mass through the UCUM library,
 * unit text kg/g/lb/lbs/oz without a system, and units shown on cards as a person writes them.
 */
import type { Observation, Quantity } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { daysAgo, NOW } from '../../../test/fixtures/facts.js';
import { daysAgoAt, observation, weight } from '../../../test/fixtures/fhir.js';
import { UCUM_SYSTEM } from '../../fhir/ucum.js';
import type { WeightFact } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import { lastWeightText } from '../rules/r02-weight-missing.js';
import { indexObservations } from './observation-index.js';
import { extractWeight } from './weight.js';

const w = (...observations: Observation[]): WeightFact =>
  extractWeight(indexObservations(observations, NOW), 'available', false, DEFAULT_THRESHOLDS);

/** A body weight with exactly this valueQuantity. */
const weightQ = (value: Quantity, ageDays = 3, date?: string): Observation =>
  observation({ loinc: '29463-7', date: date ?? daysAgo(ageDays), value });

const FOREIGN = 'http://example.org/units';

describe('extractWeight: accepted units of mass', () => {
  it.each([
    ['UCUM kg', { value: 60, unit: 'kg', system: UCUM_SYSTEM, code: 'kg' }, 60, undefined],
    ['UCUM g', { value: 60000, unit: 'g', system: UCUM_SYSTEM, code: 'g' }, 60, { value: 60000, unit: 'g' }],
    ['UCUM mg', { value: 60_000_000, unit: 'mg', system: UCUM_SYSTEM, code: 'mg' }, 60, { value: 60_000_000, unit: 'mg' }],
    ['UCUM [lb_av] written "lbs"', { value: 132, unit: 'lbs', system: UCUM_SYSTEM, code: '[lb_av]' }, 59.874, { value: 132, unit: 'lb' }],
    ['UCUM [oz_av]', { value: 2112, unit: '[oz_av]', system: UCUM_SYSTEM, code: '[oz_av]' }, 59.874, { value: 2112, unit: 'oz' }],
    ['UCUM, no code, unit kg', { value: 60, unit: 'kg', system: UCUM_SYSTEM }, 60, undefined],
    ['UCUM, no code, unit [lb_av]', { value: 132, unit: '[lb_av]', system: UCUM_SYSTEM }, 59.874, { value: 132, unit: 'lb' }],
    ['unit text kg', { value: 60, unit: 'kg' }, 60, undefined],
    ['unit text KG', { value: 60, unit: 'KG' }, 60, undefined],
    ['unit text g', { value: 60000, unit: 'g' }, 60, { value: 60000, unit: 'g' }],
    ['unit text lb', { value: 132, unit: 'lb' }, 59.874, { value: 132, unit: 'lb' }],
    ['unit text LBS, code LBS', { value: 132, unit: 'LBS', code: 'LBS' }, 59.874, { value: 132, unit: 'lb' }],
    ['unit text " Oz"', { value: 2112, unit: ' Oz' }, 59.874, { value: 2112, unit: 'oz' }],
  ] as const)('%s', (_label, q, kg, original) => {
    const fact = w(weightQ({ ...q }));
    expect(fact.state).toBe('fresh');
    expect(fact.kg?.unit).toBe('kg');
    expect(fact.kg?.value).toBeCloseTo(kg, 3);
    expect(fact.kg?.original).toEqual(original);
  });
});

describe('extractWeight: invalid units', () => {
  it.each([
    ['no unit', { value: 60 }, /no unit/],
    ['UCUM cm', { value: 170, unit: 'cm', system: UCUM_SYSTEM, code: 'cm' }, /"cm" not recognised: not a UCUM unit of mass/],
    ['UCUM kg/m2', { value: 22, unit: 'kg/m2', system: UCUM_SYSTEM, code: 'kg/m2' }, /"kg\/m2" not recognised/],
    ['UCUM L', { value: 60, unit: 'L', system: UCUM_SYSTEM, code: 'L' }, /"L" not recognised/],
    ['UCUM code lbs (not UCUM)', { value: 132, unit: 'lbs', system: UCUM_SYSTEM, code: 'lbs' }, /"lbs" not recognised/],
    ['kg with a non-UCUM system', { value: 60, unit: 'kg', system: FOREIGN, code: 'kg' }, /"kg" \(system http:\/\/example\.org\/units\) not recognised/],
    ['lbs with a non-UCUM system', { value: 132, unit: 'lbs', system: FOREIGN, code: 'lbs' }, /"lbs" \(system http:\/\/example\.org\/units\) not recognised/],
    ['unit text stone', { value: 9, unit: 'stone' }, /"stone" \(no UCUM system\) not recognised/],
    ['empty unit', { value: 60, unit: '', system: UCUM_SYSTEM, code: '' }, /no unit/],
    ['garbage code', { value: 60, unit: '{[(', system: UCUM_SYSTEM, code: '{[(' }, /not recognised/],
  ] as const)('%s', (_label, q, reason) => {
    const fact = w(weightQ({ ...q }));
    expect(fact.state).toBe('invalid');
    expect(fact.kg).toBeUndefined();
    expect(fact.reason).toMatch(reason);
    expect(fact.latest?.value).toBe(q.value);
  });

  it('keeps an unrecognised unit as the sender wrote it for "last: 132 lbs", written as a person does for a UCUM code', () => {
    expect(w(weightQ({ value: 132, unit: 'lbs', system: FOREIGN, code: 'lbs' })).latest?.unit).toBe('lbs');
    expect(w(weightQ({ value: 132, system: FOREIGN, code: '[lb_av]' })).latest?.unit).toBe('lb');
    expect(w(weightQ({ value: 170, unit: 'cm', system: UCUM_SYSTEM, code: 'cm' })).latest?.unit).toBe('cm');
  });
});

describe('extractWeight: plausibility (30–250 kg) in other units', () => {
  it.each([
    [66.13, '[lb_av]', 'invalid'], // 29.996 kg
    [66.14, '[lb_av]', 'fresh'], // 30.0006 kg
    [66.2, '[lb_av]', 'fresh'], // 30.028 kg
    [1058.2, '[oz_av]', 'invalid'], // 29.9998 kg
    [1058.3, '[oz_av]', 'fresh'], // 30.0026 kg
    [29_999, 'g', 'invalid'],
    [30_000, 'g', 'fresh'], // exactly 30 kg
    [551.15, '[lb_av]', 'fresh'], // 249.997 kg
    [551.16, '[lb_av]', 'invalid'], // 250.002 kg
    [250_000, 'g', 'fresh'], // exactly 250 kg
    [250_001, 'g', 'invalid'],
  ])('%f %s is %s', (value, code, state) => {
    const fact = w(weight(value, code, 3));
    expect(fact.state).toBe(state);
    if (state === 'invalid') {
      expect(fact.reason).toMatch(/outside the plausible range 30–250 kg/);
      expect(fact.latest?.original?.value).toBe(value);
    }
  });

  it('same bounds for unit text without a system (66.13 lbs invalid, 66.2 lbs valid)', () => {
    expect(w(weight(66.13, 'lbs', 3, { system: null })).state).toBe('invalid');
    expect(w(weight(66.2, 'lbs', 3, { system: null })).state).toBe('fresh');
  });
});

describe('extractWeight: freshness and conflicts across units', () => {
  it('compares weights in different units in kg (10% of the latest)', () => {
    const latest = weight(60, 'kg', 1, { date: daysAgoAt(1, '08:00') });
    // 145.5 lb = 65.998 kg (within 10%), 146 lb = 66.22 kg (more than 10%)
    expect(w(latest, weight(145.5, '[lb_av]', 2, { date: daysAgoAt(2, '09:00') })).state).toBe('fresh');
    expect(w(latest, weight(146, 'lb', 2, { date: daysAgoAt(2, '09:00'), system: null })).state).toBe('conflicting');
  });

  it('shows a too-old weight in pounds as recorded', () => {
    const fact = w(weight(132, '[lb_av]', 120));
    expect(fact.state).toBe('absent');
    expect(fact.latest?.original).toEqual({ value: 132, unit: 'lb' });
  });

  it('lets COP-R02 print "132 lb", never "[lb_av]" or "[oz_av]"', () => {
    expect(lastWeightText(w(weight(132, '[lb_av]', 120)).latest)).toBe(`132 lb, ${daysAgo(120)}`);
    expect(lastWeightText(w(weight(2112, '[oz_av]', 120)).latest)).toBe(`2112 oz, ${daysAgo(120)}`);
    expect(lastWeightText(w(weight(66.13, '[lb_av]', 3)).latest)).toBe(`66.13 lb, ${daysAgo(3)}`);
  });
});
