/**
 * The dose arithmetic of dosing.ts: worked examples, then properties over every weight and every
 * threshold set the code accepts. Limits come from the code (DEFAULT_THRESHOLDS, thresholdsSchema,
 * TAPER_STEPS), never from numbers written here.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  cappedDailyDoseMg, doseCeilingMg, taperPlan, usualDoseRangeMg, weightBasedDose,
} from './dosing.js';
import { DEFAULT_THRESHOLDS, parseThresholds, TAPER_STEPS, thresholdsSchema, type Thresholds } from './knowledge.js';
import { roundToStep } from './text.js';

const T: Thresholds = DEFAULT_THRESHOLDS;

describe('dose arithmetic', () => {
  it('rounds half-up to 5 mg: 42.4 → 40, 42.5 → 45', () => {
    expect(roundToStep(42.4, 5)).toBe(40);
    expect(roundToStep(42.5, 5)).toBe(45);
    expect(weightBasedDose(42.4, 1.0, T).doseMg).toBe(40);
    expect(weightBasedDose(42.5, 1.0, T).doseMg).toBe(45);
  });

  it('computes 0.75 mg/kg: 60 kg → 45 mg, 59.9 kg → 45 mg (matrix #1, #2)', () => {
    expect(weightBasedDose(60, 0.75, T)).toMatchObject({ rawMg: 45, doseMg: 45, capped: false });
    expect(weightBasedDose(59.9, 0.75, T).doseMg).toBe(45);
  });

  it('caps at 60 mg/day: 60 and 60.1 mg both give 60; 62.5 rounds to 65 and is capped', () => {
    expect(cappedDailyDoseMg(60, T)).toBe(60);
    expect(cappedDailyDoseMg(60.1, T)).toBe(60);
    expect(weightBasedDose(100, 0.75, T)).toMatchObject({ roundedMg: 75, doseMg: 60, capped: true });
    expect(weightBasedDose(83.3, 0.75, T)).toMatchObject({ roundedMg: 60, doseMg: 60, capped: false });
  });

  it('keeps a cap that is not a multiple of the step prescribable and below the cap', () => {
    const t = { ...T, maxDailyDoseMg: 58 };
    expect(doseCeilingMg(t)).toBe(55);
    expect(cappedDailyDoseMg(80, t)).toBe(55);
  });

  it('refuses nonsense inputs rather than building a zero or NaN dose', () => {
    expect(() => weightBasedDose(0, 0.75, T)).toThrow(RangeError);
    expect(() => weightBasedDose(Number.NaN, 0.75, T)).toThrow(RangeError);
    expect(cappedDailyDoseMg(1, T)).toBe(5);
  });

  it('gives the usual range [round(0.5 kg), min(round(1.0 kg), 60)] with both ends capped', () => {
    expect(usualDoseRangeMg(60, T)).toEqual({ lowMg: 30, highMg: 60 });
    expect(usualDoseRangeMg(45, T)).toEqual({ lowMg: 25, highMg: 45 });
    expect(usualDoseRangeMg(130, T)).toEqual({ lowMg: 60, highMg: 60 });
  });
});

describe('taperPlan (the sequenced taper)', () => {
  it('caps the starting dose at 60 mg and takes 2/3 of it next (decision 13): 100 and 130 kg → 60, 40, 20, 10, 5', () => {
    expect(taperPlan(100, T).map((s) => s.doseMg)).toEqual([60, 40, 20, 10, 5]);
    expect(taperPlan(130, T).map((s) => s.doseMg)).toEqual([60, 40, 20, 10, 5]);
  });

  it('rounds weight-based steps half-up (59.9 kg → 45 and 30 mg)', () => {
    expect(taperPlan(59.9, T).map((s) => s.doseMg)).toEqual([45, 30, 20, 10, 5]);
  });

  const plan = (kg: number) => taperPlan(kg, T).map((s) => [s.doseMg, s.days, s.fromDay, s.toDay]);

  it.each([
    // kg, [dose, days, from, to] per step
    [30, [[25, 28, 1, 28], [15, 56, 29, 84], [10, 42, 85, 126], [5, 42, 127, 168]]],
    [39.9, [[30, 28, 1, 28], [20, 56, 29, 84], [10, 42, 85, 126], [5, 42, 127, 168]]],
    [40, [[30, 28, 1, 28], [20, 56, 29, 84], [10, 42, 85, 126], [5, 42, 127, 168]]],
    [53, [[40, 28, 1, 28], [25, 28, 29, 56], [20, 28, 57, 84], [10, 42, 85, 126], [5, 42, 127, 168]]],
    [80, [[60, 28, 1, 28], [40, 28, 29, 56], [20, 28, 57, 84], [10, 42, 85, 126], [5, 42, 127, 168]]],
    [80.1, [[60, 28, 1, 28], [40, 28, 29, 56], [20, 28, 57, 84], [10, 42, 85, 126], [5, 42, 127, 168]]],
    [250, [[60, 28, 1, 28], [40, 28, 29, 56], [20, 28, 57, 84], [10, 42, 85, 126], [5, 42, 127, 168]]],
  ])('%f kg: the taper table\'s steps, never rising, equal steps merged, 168 days', (kg, expected) => {
    expect(plan(kg)).toEqual(expected);
  });


  it('property: non-increasing for any configured mg/kg, cap and rounding step', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 30, max: 250, noNaN: true }),
        fc.double({ min: 0.5, max: 1.0, noNaN: true }),
        fc.integer({ min: 10, max: 60 }),
        fc.constantFrom(2.5, 5),
        (kg, mgPerKg, maxDailyDoseMg, doseRoundingMg) => {
          const thresholds = { ...T, mgPerKg, maxDailyDoseMg, doseRoundingMg };
          const steps = taperPlan(kg, thresholds);
          expect(steps[0]!.doseMg).toBe(weightBasedDose(kg, mgPerKg, thresholds).doseMg);
          for (let i = 1; i < steps.length; i++) expect(steps[i]!.doseMg).toBeLessThan(steps[i - 1]!.doseMg);
          expect(steps.reduce((n, s) => n + s.days, 0)).toBe(168);
        },
      ),
      { numRuns: 300 },
    );
  });

});

// ---------------------------------------------------------------------------------------------
// Properties

/** Every weight the weight checks accept as plausible (P-WEIGHT). */
const kgArb = fc.double({ min: T.weightMinKg, max: T.weightMaxKg, noNaN: true });

const mgPerKgRange = thresholdsSchema.shape.mgPerKg.unwrap();
const maxDailyDoseRange = thresholdsSchema.shape.maxDailyDoseMg.unwrap();

/**
 * Threshold sets a site could configure (mg/kg, cap and rounding step varied, the rest default),
 * kept only when parseThresholds accepts them, as a site file would be.
 */
const thresholdsArb: fc.Arbitrary<Thresholds> = fc
  .record({
    mgPerKg: fc.double({ min: mgPerKgRange.minValue ?? 0, max: mgPerKgRange.maxValue ?? 1, noNaN: true }),
    maxDailyDoseMg: fc.integer({ min: 1, max: maxDailyDoseRange.maxValue ?? T.maxDailyDoseMg }),
    doseRoundingMg: fc.constantFrom(1, 2.5, 5, 10),
  })
  .map((values) => parseThresholds(values).value)
  .filter((t): t is Thresholds => t !== undefined);

/** A whole number of rounding steps (tablets can make it up). */
const isWholeSteps = (doseMg: number, t: Thresholds): boolean =>
  Math.abs(doseMg / t.doseRoundingMg - Math.round(doseMg / t.doseRoundingMg)) < 1e-9;

const lastTableDoseMg = (): number => {
  const last = TAPER_STEPS.at(-1)!.dose;
  if (!('mg' in last)) throw new Error('the taper table ends on a fixed dose');
  return last.mg;
};
const TABLE_DAYS = TAPER_STEPS.reduce((n, s) => n + s.days, 0);

describe('properties of the starting dose', () => {
  it('with the default thresholds, no weight in the accepted range gets a first dose above maxDailyDoseMg', () => {
    fc.assert(
      fc.property(kgArb, (kg) => {
        const dose = weightBasedDose(kg, T.mgPerKg, T);
        expect(dose.doseMg).toBeLessThanOrEqual(T.maxDailyDoseMg);
        expect(taperPlan(kg, T)[0]!.doseMg).toBeLessThanOrEqual(T.maxDailyDoseMg);
      }),
      { numRuns: 1000 },
    );
  });

  it('for any accepted thresholds: the dose is at most the cap, at least one step, and a whole number of steps', () => {
    fc.assert(
      fc.property(kgArb, thresholdsArb, (kg, t) => {
        const dose = weightBasedDose(kg, t.mgPerKg, t);
        expect(dose.doseMg).toBeLessThanOrEqual(t.maxDailyDoseMg);
        expect(dose.doseMg).toBeLessThanOrEqual(doseCeilingMg(t));
        expect(dose.doseMg).toBeGreaterThanOrEqual(t.doseRoundingMg);
        expect(isWholeSteps(dose.doseMg, t)).toBe(true);
        expect(isWholeSteps(dose.roundedMg, t)).toBe(true);
        expect(dose.roundedMg).toBe(roundToStep(dose.rawMg, t.doseRoundingMg));
        // Capped exactly when the rounded dose is above the ceiling, and then the dose is the ceiling.
        expect(dose.capped).toBe(dose.roundedMg > doseCeilingMg(t));
        if (dose.capped) expect(dose.doseMg).toBe(doseCeilingMg(t));
      }),
      { numRuns: 1000 },
    );
  });

  it('a heavier patient never gets a smaller starting dose', () => {
    fc.assert(
      fc.property(kgArb, kgArb, thresholdsArb, (a, b, t) => {
        const [light, heavy] = a <= b ? [a, b] : [b, a];
        expect(weightBasedDose(light, t.mgPerKg, t).doseMg).toBeLessThanOrEqual(weightBasedDose(heavy, t.mgPerKg, t).doseMg);
      }),
      { numRuns: 500 },
    );
  });

  it('the usual range is ordered, within the cap and in whole steps', () => {
    fc.assert(
      fc.property(kgArb, thresholdsArb, (kg, t) => {
        const { lowMg, highMg } = usualDoseRangeMg(kg, t);
        expect(lowMg).toBeLessThanOrEqual(highMg);
        expect(highMg).toBeLessThanOrEqual(t.maxDailyDoseMg);
        expect(isWholeSteps(lowMg, t) && isWholeSteps(highMg, t)).toBe(true);
        const dose = weightBasedDose(kg, t.mgPerKg, t).doseMg;
        expect(dose).toBeGreaterThanOrEqual(lowMg);
        expect(dose).toBeLessThanOrEqual(highMg);
      }),
      { numRuns: 500 },
    );
  });

  it('any positive amount is capped and rounded to a whole number of steps', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 10_000, noNaN: true }), thresholdsArb, (rawMg, t) => {
        const dose = cappedDailyDoseMg(rawMg, t);
        expect(dose).toBeLessThanOrEqual(t.maxDailyDoseMg);
        expect(dose).toBeGreaterThanOrEqual(t.doseRoundingMg);
        expect(isWholeSteps(dose, t)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('properties of the taper', () => {
  it('for any accepted thresholds: starts at the starting dose, never rises, stays within the cap in whole steps, and ends where the table ends', () => {
    fc.assert(
      fc.property(kgArb, thresholdsArb, (kg, t) => {
        const steps = taperPlan(kg, t);
        expect(steps[0]!.doseMg).toBe(weightBasedDose(kg, t.mgPerKg, t).doseMg);
        expect(steps[0]!.fromDay).toBe(1);
        steps.forEach((s, i) => {
          expect(s.doseMg).toBeLessThanOrEqual(t.maxDailyDoseMg);
          expect(isWholeSteps(s.doseMg, t)).toBe(true);
          expect(s.sequence).toBe(i + 1);
          expect(s.toDay - s.fromDay + 1).toBe(s.days);
          if (i > 0) {
            expect(s.doseMg).toBeLessThan(steps[i - 1]!.doseMg);
            expect(s.fromDay).toBe(steps[i - 1]!.toDay + 1);
          }
        });
        // Every table row is in exactly one step, in order.
        expect(steps.flatMap((s) => s.tableSteps)).toEqual(TAPER_STEPS.map((_, i) => i + 1));
        const last = steps.at(-1)!;
        expect(last.toDay).toBe(TABLE_DAYS);
        expect(steps.reduce((n, s) => n + s.days, 0)).toBe(TABLE_DAYS);
        expect(last.doseMg).toBeLessThanOrEqual(cappedDailyDoseMg(lastTableDoseMg(), t));
      }),
      { numRuns: 1000 },
    );
  });

  it('with the default thresholds, every weight in the accepted range ends on the table\'s last dose', () => {
    fc.assert(
      fc.property(kgArb, (kg) => {
        expect(taperPlan(kg, T).at(-1)!.doseMg).toBe(cappedDailyDoseMg(lastTableDoseMg(), T));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the same input gives the same output', () => {
  it('weightBasedDose, usualDoseRangeMg and taperPlan are deterministic and leave the table unchanged', () => {
    const table = JSON.stringify(TAPER_STEPS);
    fc.assert(
      fc.property(kgArb, thresholdsArb, (kg, t) => {
        expect(weightBasedDose(kg, t.mgPerKg, t)).toEqual(weightBasedDose(kg, t.mgPerKg, t));
        expect(usualDoseRangeMg(kg, t)).toEqual(usualDoseRangeMg(kg, t));
        const first = taperPlan(kg, t);
        const second = taperPlan(kg, t);
        expect(second).toEqual(first);
        expect(second).not.toBe(first);
        // A plan is built fresh each call: changing one does not change the next.
        first[0]!.tableSteps.push(99);
        expect(taperPlan(kg, t)).toEqual(second);
      }),
      { numRuns: 300 },
    );
    expect(JSON.stringify(TAPER_STEPS)).toBe(table);
  });
});
