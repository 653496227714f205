/**
 * Glucocorticoid dose arithmetic, in mg only: the weight-based starting dose, the usual range for a
 * weight and the sequenced 24-week taper. No products and no FHIR: formulary.ts chooses the tablets
 * that make up a dose, order-assembly.ts turns a plan into MedicationRequests.
 *
 * Safety invariant: no daily dose made here exceeds `thresholds.maxDailyDoseMg`. `cappedDailyDoseMg`
 * is the only way a dose is made, and dosing.test.ts proves the bound with property tests over the
 * whole plausible weight and mg/kg range.
 */
import { TAPER_STEPS, type TaperStep, type Thresholds } from './knowledge.js';
import { compactNumber, mgPerKgText, roundToStep } from './text.js';

/**
 * The safety cap expressed in whole rounding steps: 60 mg when the cap is 60 and the step 5. If a
 * site configured a cap that is not a multiple of the step (say 58), the highest prescribable dose
 * below it (55) is used, so a capped dose can still be composed of tablets and never exceeds the cap.
 */
export const doseCeilingMg = (t: Thresholds): number =>
  Math.floor(t.maxDailyDoseMg / t.doseRoundingMg + 1e-9) * t.doseRoundingMg;

/** Round half-up to the rounding step, then cap: the only path by which a daily dose is made. */
export function cappedDailyDoseMg(rawMg: number, t: Thresholds): number {
  if (!Number.isFinite(rawMg) || rawMg <= 0) throw new RangeError(`Invalid daily dose ${rawMg} mg`);
  // A positive dose never rounds to nothing: the smallest prescribable dose is one step.
  const rounded = Math.max(t.doseRoundingMg, roundToStep(rawMg, t.doseRoundingMg));
  return Math.min(rounded, doseCeilingMg(t));
}

export interface WeightBasedDose {
  kg: number;
  mgPerKg: number;
  /** kg × mg/kg before rounding, e.g. 44.925. */
  rawMg: number;
  /** Rounded to the step, before the cap. */
  roundedMg: number;
  /** What is prescribed. */
  doseMg: number;
  capped: boolean;
}

export function weightBasedDose(kg: number, mgPerKg: number, t: Thresholds): WeightBasedDose {
  if (!Number.isFinite(kg) || kg <= 0) throw new RangeError(`Invalid body weight ${kg} kg`);
  const rawMg = kg * mgPerKg;
  const roundedMg = roundToStep(rawMg, t.doseRoundingMg);
  const doseMg = cappedDailyDoseMg(rawMg, t);
  return { kg, mgPerKg, rawMg, roundedMg, doseMg, capped: doseMg < roundedMg };
}

/**
 * The usual starting range for this weight, as COP-R01 quotes it: [round(min × kg), min(round(max × kg), cap)].
 * The lower bound is capped too, so a very heavy patient never sees a range like "65–60 mg".
 */
export function usualDoseRangeMg(kg: number, t: Thresholds): { lowMg: number; highMg: number } {
  return {
    lowMg: cappedDailyDoseMg(kg * t.minMgPerKg, t),
    highMg: cappedDailyDoseMg(kg * t.maxMgPerKg, t),
  };
}

// ---------------------------------------------------------------------------------------------
// The sequenced 24-week taper

export interface TaperStepPlan {
  sequence: number;
  doseMg: number;
  days: number;
  /** First and last day of the step, counted from the start of the course. */
  fromDay: number;
  toDay: number;
  /** How the step is defined: "0.75 mg/kg", "2/3 of the starting dose", "20 mg". */
  definition: string;
  /**
   * The taper table rows (1–5, TAPER_STEPS) this step covers. More than one when a row's dose
   * equals the one before: it is merged into that step (its days are added) rather than repeated or raised.
   */
  tableSteps: number[];
}

/**
 * The dose of each taper table row, before merging. Row 1 is the capped initial dose D (the same
 * `weightBasedDose` as the initial-phase order); row 2 is D × 2/3 rounded to the step (Lazor's
 * 0.5 mg/kg, up to rounding, while D is not capped), so a capped start still steps down by a third
 * instead of repeating the cap; rows 3–5 are the fixed doses of TAPER_STEPS (20, 10, 5 mg), each at
 * most the row before. So no row is above the one before it, nor above D or the cap.
 */
function taperRowDoses(kg: number, t: Thresholds, steps: readonly TaperStep[]): { doseMg: number; definition: string }[] {
  const initial = weightBasedDose(kg, t.mgPerKg, t);
  const rows: { doseMg: number; definition: string }[] = [];
  steps.forEach((step, i) => {
    if (i === 0) {
      rows.push({ doseMg: initial.doseMg, definition: `${mgPerKgText(t.mgPerKg)} mg/kg${initial.capped ? `, capped at ${doseCeilingMg(t)} mg/day` : ''}` });
      return;
    }
    const before = rows[i - 1]!.doseMg;
    if (i === 1) {
      rows.push({ doseMg: Math.min(before, cappedDailyDoseMg((initial.doseMg * 2) / 3, t)), definition: '2/3 of the starting dose' });
      return;
    }
    const fixed = 'mg' in step.dose ? step.dose.mg : kg * step.dose.mgPerKg;
    rows.push({ doseMg: Math.min(before, cappedDailyDoseMg(fixed, t)), definition: `${compactNumber(fixed)} mg` });
  });
  return rows;
}

/**
 * The sequenced taper: the table's rows with their days (TAPER_STEPS, 168 days in all), a row whose
 * dose equals the step before merged into it. The plan never rises, its first step is the capped
 * initial dose, and it lasts as long as the table however many rows merge.
 * 30 kg: 25 → 15 (8 weeks) → 10 → 5 mg; 250 kg: 60 → 40 → 20 → 10 → 5 mg.
 */
export function taperPlan(kg: number, t: Thresholds, steps: readonly TaperStep[] = TAPER_STEPS): TaperStepPlan[] {
  const doses = taperRowDoses(kg, t, steps);
  const plan: TaperStepPlan[] = [];
  let day = 1;
  steps.forEach((step, i) => {
    const row = doses[i]!;
    const last = plan.at(-1);
    if (last && last.doseMg === row.doseMg) {
      last.days += step.days;
      last.toDay += step.days;
      last.tableSteps.push(i + 1);
    } else {
      plan.push({
        sequence: plan.length + 1,
        doseMg: row.doseMg,
        days: step.days,
        fromDay: day,
        toDay: day + step.days - 1,
        definition: row.definition,
        tableSteps: [i + 1],
      });
    }
    day += step.days;
  });
  return plan;
}
