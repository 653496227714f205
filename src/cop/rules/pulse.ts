/**
 * Pulse therapy (cop-rules.md decision 17): a systemic glucocorticoid at PredEq ≥
 * `pulseMinPredEqMgPerDay` (250 mg/day ⚠) planned for ≤ `pulseMaxDays` (5) days, e.g. IV
 * methylprednisolone 500 mg daily × 3 days. COP-R05 gives it an info card instead of the cap
 * warning; COP-R10 and COP-R11 judge a course by its planned length and dose, so a pulse alone is
 * neither a > 3-month course nor "> 40 mg/day for > 1 week". A pulse needs a stated duration:
 * without one the length is unknown and the order is checked like any other.
 */
import type { MedicationFact } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { compactNumber, durationText, predEqMgPerDay } from './shared.js';

const EPSILON = 1e-9;

export interface Pulse {
  predEqMgPerDay: number;
  days: number;
}

/** The pulse an order is, or undefined (dose or duration unknown, below the pulse dose, or too long). */
export function pulseOf(med: MedicationFact, t: Thresholds): Pulse | undefined {
  if (!med.classes.includes('systemic-glucocorticoid')) return undefined;
  const predEq = predEqMgPerDay(med);
  const days = med.plannedDurationDays;
  if (predEq === undefined || days === undefined || days <= 0) return undefined;
  if (predEq < t.pulseMinPredEqMgPerDay - EPSILON || days > t.pulseMaxDays) return undefined;
  return { predEqMgPerDay: predEq, days };
}

export const isPulse = (med: MedicationFact, t: Thresholds): boolean => pulseOf(med, t) !== undefined;

/**
 * Why an order at a pulse dose is not a pulse, for the card: "no planned duration stated" or
 * "planned 6 days, longer than a pulse (≤ 5 days)". Undefined below the pulse dose or for a pulse.
 */
export function notAPulseReason(med: MedicationFact, t: Thresholds): string | undefined {
  const predEq = predEqMgPerDay(med);
  if (predEq === undefined || predEq < t.pulseMinPredEqMgPerDay - EPSILON || isPulse(med, t)) return undefined;
  const limit = `a pulse is ≥ ${compactNumber(t.pulseMinPredEqMgPerDay)} mg/day PredEq for ≤ ${durationText(t.pulseMaxDays)}`;
  return med.plannedDurationDays === undefined
    ? `planned duration unknown (none stated), so not judged as pulse therapy (${limit})`
    : `planned ${durationText(med.plannedDurationDays)}, longer than pulse therapy (${limit})`;
}
