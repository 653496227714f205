/**
 * Pulse therapy (decision 17): a systemic glucocorticoid at PredEq ≥
 * `pulseMinPredEqMgPerDay` (250 mg/day ⚠) planned for ≤ `pulseMaxDays` (5) days, e.g. IV
 * methylprednisolone 500 mg daily × 3 days. COP-R05 gives it an info card instead of the cap
 * warning; COP-R10 and COP-R11 judge a course by its planned length and dose, so a pulse alone is
 * neither a > 3-month course nor "> 40 mg/day for > 1 week". A pulse needs a stated duration:
 * without one the length is unknown and the order is checked like any other.
 *
 * Also how a course's orders read in a card's data line (COP-R10, R11, R14, R17), where a pulse is
 * named as one.
 */
import { calendarDaysAgo } from '../../fhir/dates.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence } from '../rule-types.js';
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

// ---------------------------------------------------------------------------------------------
// How a course order reads in a card's "Data used" line (COP-R10, R11, R14, R17)

/**
 * A short evidence entry for an order of the course a card judges: the drug (the ingredient when
 * known: "prednisone", "clarithromycin", else the order's name), its daily dose ("40 mg/day"; a glucocorticoid
 * other than prednisone/prednisolone also in prednisone mg), its planned length when stated, and
 * "pulse" for a pulse (decision 17). Dated by the order's start with its age; the resource
 * reference stays machine-readable in the card's extension.
 */
export function courseOrderEvidence(label: string, med: MedicationFact, t: Thresholds, now: Date): Evidence {
  const drug = med.glucocorticoid ?? (med.classes.includes('clarithromycin') ? 'clarithromycin' : med.name);
  const mg = med.dailyDose?.mgPerDay;
  const predEq = predEqMgPerDay(med);
  const dose = mg === undefined
    ? 'dose unknown'
    : `${compactNumber(mg)} mg/day${predEq !== undefined && Math.abs(predEq - mg) > EPSILON ? ` (prednisone ${compactNumber(predEq)} mg/day)` : ''}`;
  const days = med.plannedDurationDays;
  const length = days === undefined ? '' : `, ${durationText(days)}${isPulse(med, t) ? ' pulse' : ''}`;
  const e: Evidence = { label, value: `${drug} ${dose}${length}`, reference: med.reference };
  const ageDays = calendarDaysAgo(med.start, now);
  if (med.start) e.date = med.start;
  if (med.start && ageDays !== undefined) e.ageDays = ageDays;
  return e;
}

/**
 * "On glucocorticoids 10 weeks (2026-09-10, 76 days ago)": P-ON-GC-WEEKS with the start of the
 * current run, for a card whose criterion is the weeks already on treatment. Undefined when not on
 * glucocorticoids, when the run's start is unknown, or when an active order's own start (already
 * in the data line) is that day.
 */
export function runEvidence(facts: PatientFacts, active: readonly MedicationFact[], now: Date): Evidence | undefined {
  const { onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: start } = facts.medications;
  if (weeks === undefined) return undefined;
  if (!start || active.some((m) => m.start?.slice(0, 10) === start.slice(0, 10))) return undefined;
  const e: Evidence = { label: 'On glucocorticoids', value: weeks === 1 ? '1 week' : `${weeks} weeks`, date: start };
  const ageDays = calendarDaysAgo(start, now);
  if (ageDays !== undefined) e.ageDays = ageDays;
  return e;
}
