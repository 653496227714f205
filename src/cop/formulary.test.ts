import { describe, expect, it } from 'vitest';
import { SYSTEMS } from '../fhir/systems.js';
import { taperPlan } from './dosing.js';
import {
  CLARITHROMYCIN_TABLETS, clarithromycinTablet, glucocorticoidName, glucocorticoidTablet, initialPhasePlan,
  LOCAL_FORMULARY_PLACEHOLDER_SYSTEM, tabletCountText, taperTablet,
} from './formulary.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './knowledge.js';

const T: Thresholds = DEFAULT_THRESHOLDS;
const RXNORM = SYSTEMS.rxnorm;
const ATC = SYSTEMS.atc;

describe('tablet choice: the fewest tablets a day', () => {
  it.each([
    [60, '312615', 20],
    [40, '312615', 20],
    [30, '198145', 10],
    [50, '198145', 10],
    [45, '312617', 5],
    [25, '312617', 5],
  ])('US %i mg → RxNorm %s (%i mg tablets)', (dose, code, strength) => {
    const tablet = glucocorticoidTablet(dose, 'us');
    expect(tablet.medication.coding?.[0]).toMatchObject({ system: RXNORM, code });
    expect(tablet.strengthMg).toBe(strength);
  });

  it('UK always prednisolone 5 mg, with ATC and a marked placeholder, never an RxNorm code', () => {
    const tablet = glucocorticoidTablet(60, 'uk');
    expect(tablet.strengthMg).toBe(5);
    expect(tablet.medication.coding?.map((c) => c.system)).toEqual([ATC, LOCAL_FORMULARY_PLACEHOLDER_SYSTEM]);
    expect(tablet.medication.coding?.[0]?.code).toBe('H02AB06');
    expect(tablet.medication.coding?.some((c) => c.system === RXNORM)).toBe(false);
    expect(LOCAL_FORMULARY_PLACEHOLDER_SYSTEM).toContain('PLACEHOLDER');
  });

  it('names the ingredient of each profile', () => {
    expect(glucocorticoidName('us')).toBe('prednisone');
    expect(glucocorticoidName('uk')).toBe('prednisolone');
  });

  it('refuses a dose no tablet composes rather than rounding it', () => {
    expect(() => glucocorticoidTablet(42, 'us')).toThrow(RangeError);
    expect(() => clarithromycinTablet(125)).toThrow(RangeError);
  });
});

describe('products of a plan', () => {
  it('the taper uses one tablet that composes every step', () => {
    expect(taperTablet(taperPlan(60, T), 'us').strengthMg).toBe(5);
    expect(taperTablet([{ sequence: 1, doseMg: 40, days: 28, fromDay: 1, toDay: 28, definition: '40 mg', tableSteps: [1] }, { sequence: 2, doseMg: 20, days: 28, fromDay: 29, toDay: 56, definition: '20 mg', tableSteps: [2] }], 'us').strengthMg).toBe(20);
    expect(taperTablet(taperPlan(60, T), 'uk').ingredient).toBe('prednisolone');
  });

  it('clarithromycin: the immediate-release tablet of the dose', () => {
    expect(clarithromycinTablet(T.clarithromycinDoseMg).medication.coding?.[0]?.code).toBe('197517');
    expect(CLARITHROMYCIN_TABLETS.every((t) => t.ingredient === 'clarithromycin')).toBe(true);
  });

  it('the initial phase: the dose, its tablets a day and the configured days', () => {
    const plan = initialPhasePlan(60, T, 'us');
    expect(plan.dose.doseMg).toBe(45);
    expect(plan.tablet.strengthMg).toBe(5);
    expect(plan.tabletsPerDay).toBe(9);
    expect(plan.days).toBe(T.initialPhaseDays);
    expect(tabletCountText(plan.dose.doseMg, plan.tablet)).toBe('9 x 5 mg tablets');
    expect(tabletCountText(20, glucocorticoidTablet(20, 'us'))).toBe('1 x 20 mg tablet');
  });
});
