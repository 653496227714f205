/**
 * A medication's daily dose and planned duration from its dosage instructions: mg per day of the
 * first (initial) step, in prednisone equivalents (PredEq) for a glucocorticoid, and the days the
 * steps' bounds add up to. A dose that cannot be derived exactly is left undefined with a reason:
 * never guessed, never zero.
 */
import type { Dosage, Quantity } from 'fhir/r4.js';
import { calendarDaysAgo, parseFhirDate } from '../../fhir/dates.js';
import { durationToDays, UCUM_SYSTEM, unitOfTimeToDays } from '../../fhir/ucum.js';
import type { DailyDose, GlucocorticoidIngredient } from '../facts-types.js';
import { PREDNISONE_EQUIVALENCE } from '../knowledge.js';
import { roundedText } from '../text.js';
import type { ProductStrength } from './medication-identity.js';
import { isTabletCount } from './medication-strength.js';

type StepDose = { ok: true; mgPerDay: number; text: string } | { ok: false; reason: string };

/** Up to 3 decimals, as amounts are quoted in a dose derivation. */
const fmt = (n: number): string => roundedText(n, 3);

/**
 * Longest planned course that can be placed on a calendar (100 years): a bounds beyond it is a data
 * error, and is treated as no stated duration rather than as an overflowing date.
 */
export const MAX_PLAUSIBLE_COURSE_DAYS = 36_525;

const PER_ONE_UNIT: Record<string, string> = { h: 'hourly', d: 'daily', wk: 'weekly', mo: 'monthly' };

function frequencyPhrase(frequency: number, period: number, unit: string): string {
  const times = frequency === 1 ? 'once' : frequency === 2 ? 'twice' : `${fmt(frequency)} times`;
  const per = period === 1 ? PER_ONE_UNIT[unit] : `every ${fmt(period)} ${unit}`;
  return `${times} ${per}`;
}

/** A dose amount in mg (UCUM or unit-only). */
function isMg(q: Quantity): boolean {
  return (q.system === undefined || q.system === UCUM_SYSTEM) && (q.code ?? q.unit) === 'mg';
}

function isMillilitres(q: Quantity): boolean {
  return (q.system === undefined || q.system === UCUM_SYSTEM) && (q.code ?? q.unit) === 'mL';
}

/** mg/day of one dosage instruction. */
function dosageMgPerDay(dosage: Dosage, product: ProductStrength | undefined): StepDose {
  if (dosage.asNeededBoolean || dosage.asNeededCodeableConcept) return { ok: false, reason: 'dose is "as needed"' };
  const doseAndRate = dosage.doseAndRate ?? [];
  const dose = doseAndRate.find((d) => d.doseQuantity)?.doseQuantity;
  if (!dose) {
    if (doseAndRate.some((d) => d.doseRange)) return { ok: false, reason: 'dose given as a range' };
    return { ok: false, reason: 'no dose quantity stated' };
  }
  if (typeof dose.value !== 'number' || !(dose.value > 0) || !Number.isFinite(dose.value)) return { ok: false, reason: 'dose quantity has no positive value' };

  let amountMg: number;
  let amountText: string;
  if (isMg(dose)) {
    amountMg = dose.value;
    amountText = `${fmt(dose.value)} mg`;
  } else if (isTabletCount(dose)) {
    if (product?.per !== 'tablet') return { ok: false, reason: `dose is ${fmt(dose.value)} tablet(s) but the tablet strength is unknown` };
    amountMg = dose.value * product.strengthMg;
    amountText = `${fmt(dose.value)} x ${fmt(product.strengthMg)} mg ${dose.value === 1 ? 'tablet' : 'tablets'}`;
  } else if (isMillilitres(dose)) {
    if (product?.per !== 'mL') return { ok: false, reason: `dose is ${fmt(dose.value)} mL but the strength per mL is unknown` };
    amountMg = dose.value * product.strengthMg;
    amountText = `${fmt(dose.value)} mL x ${fmt(product.strengthMg)} mg/mL`;
  } else {
    return { ok: false, reason: `dose unit "${dose.unit ?? dose.code ?? ''}" is neither mg nor a tablet count` };
  }

  const repeat = dosage.timing?.repeat;
  if (!repeat || repeat.period === undefined || !repeat.periodUnit) return { ok: false, reason: 'no dosing frequency/period stated' };
  if (repeat.frequencyMax !== undefined || repeat.periodMax !== undefined) return { ok: false, reason: 'dosing frequency given as a range' };
  const periodDays = unitOfTimeToDays(repeat.periodUnit);
  if (periodDays === undefined) return { ok: false, reason: `dosing period unit "${repeat.periodUnit}" not supported` };
  if (!(repeat.period > 0) || !Number.isFinite(repeat.period)) return { ok: false, reason: 'dosing period is not a positive number' };
  // FHIR Timing: "If no frequency is stated, the assumption is that the event occurs once per period".
  const frequency = repeat.frequency ?? 1;
  if (!Number.isSafeInteger(frequency) || frequency < 1) return { ok: false, reason: 'dosing frequency is not a positive whole number' };
  const mgPerDay = (amountMg * frequency) / (repeat.period * periodDays);
  // Extreme inputs (1e308 mg, a period of 1e-320 days) overflow or vanish: not a dose that can be stated.
  if (!Number.isFinite(mgPerDay) || !(mgPerDay > 0)) return { ok: false, reason: 'the daily dose is out of range (check dose, frequency and period)' };
  return { ok: true, mgPerDay, text: `${amountText} ${frequencyPhrase(frequency, repeat.period, repeat.periodUnit)}` };
}

/**
 * Dosage instructions grouped into sequential steps: when every instruction has a `sequence`,
 * instructions sharing one are concurrent parts of the same step (e.g. morning + evening doses);
 * otherwise each instruction is its own step, in order.
 */
export function dosageSteps(dosages: readonly Dosage[]): Dosage[][] {
  if (dosages.length === 0) return [];
  if (dosages.every((d) => d.sequence !== undefined)) {
    const bySequence = new Map<number, Dosage[]>();
    for (const d of dosages) bySequence.set(d.sequence as number, [...(bySequence.get(d.sequence as number) ?? []), d]);
    return [...bySequence.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
  }
  return dosages.map((d) => [d]);
}

export interface DoseDerivation {
  dailyDose?: DailyDose;
  doseUnknownReason?: string;
}

/** Daily dose of the first (initial) step, with PredEq for a glucocorticoid of known ingredient. */
export function deriveDailyDose(
  dosages: readonly Dosage[],
  product: ProductStrength | undefined,
  glucocorticoid: GlucocorticoidIngredient | undefined,
): DoseDerivation {
  const first = dosageSteps(dosages)[0];
  if (!first) return { doseUnknownReason: 'no dosage instruction' };
  const parts = first.map((d) => dosageMgPerDay(d, product));
  const failed = parts.find((p): p is Extract<StepDose, { ok: false }> => !p.ok);
  if (failed) return { doseUnknownReason: failed.reason };
  const ok = parts as Extract<StepDose, { ok: true }>[];
  const mgPerDay = Math.round(ok.reduce((sum, p) => sum + p.mgPerDay, 0) * 1000) / 1000;
  const predEq = glucocorticoid ? Math.round(mgPerDay * PREDNISONE_EQUIVALENCE[glucocorticoid] * 1000) / 1000 : undefined;
  // Never zero (a dose below 0.0005 mg/day rounds to it) and never an overflow.
  if (!(mgPerDay > 0) || !Number.isFinite(mgPerDay) || (predEq !== undefined && (!(predEq > 0) || !Number.isFinite(predEq)))) {
    return { doseUnknownReason: 'the daily dose is out of range (check dose, frequency and period)' };
  }
  const dailyDose: DailyDose = { mgPerDay, derivation: `${ok.map((p) => p.text).join(' + ')} = ${fmt(mgPerDay)} mg/day` };
  if (predEq !== undefined) dailyDose.prednisoneEquivalentMgPerDay = predEq;
  return { dailyDose };
}

// ---------------------------------------------------------------------------------------------
// Duration and start

/** Days of one dosage's bounds: boundsDuration (d/wk/mo) or boundsPeriod length. */
function boundsDays(dosage: Dosage): number | undefined {
  const repeat = dosage.timing?.repeat;
  const fromDuration = durationToDays(repeat?.boundsDuration);
  if (fromDuration !== undefined) return fromDuration <= MAX_PLAUSIBLE_COURSE_DAYS ? fromDuration : undefined;
  const period = repeat?.boundsPeriod;
  if (!period?.start || !period.end) return undefined;
  const start = parseFhirDate(period.start);
  const end = parseFhirDate(period.end);
  if (!start || !end) return undefined;
  const days = (calendarDaysAgo(period.start, end.day) ?? 0);
  // An end before the start is not a course length.
  if (days < 0) return undefined;
  // A date-only end means "through that day", so it counts inclusively.
  return end.precision === 'day' ? days + 1 : days;
}

export interface PlannedDuration {
  plannedDurationDays?: number;
  initialPhaseDays?: number;
}

/** Sum of the steps' bounds (whole days); the total is unknown when any step leaves it open. */
export function plannedDuration(dosages: readonly Dosage[]): PlannedDuration {
  const stepDays = dosageSteps(dosages).map((step) => {
    const days = step.map(boundsDays).filter((d): d is number => d !== undefined);
    return days.length > 0 ? Math.max(...days) : undefined;
  });
  const result: PlannedDuration = {};
  const first = stepDays[0];
  if (first !== undefined) result.initialPhaseDays = Math.round(first);
  if (stepDays.length > 0 && stepDays.every((d) => d !== undefined)) {
    const total = Math.round((stepDays as number[]).reduce((a, b) => a + b, 0));
    if (total <= MAX_PLAUSIBLE_COURSE_DAYS) result.plannedDurationDays = total;
  }
  return result;
}

/** Where the first step's bounds start, for an order with no authoredOn. */
export function firstBoundsStart(dosages: readonly Dosage[]): string | undefined {
  return dosageSteps(dosages)[0]?.map((d) => d.timing?.repeat?.boundsPeriod?.start).find((s) => s !== undefined);
}
