/**
 * COP-R17 Prolonged therapy / relapse management, order-sign (renewal) and patient-view
 * (P-ON-GC-WEEKS above the limit).
 *
 * LAZOR-2000: relapses did not worsen outcome, so prolonged therapy to suppress them appears
 * unnecessary. When a glucocorticoid order is signed and the course has passed (or the draft would
 * carry it past) the configured length, say so. Information only, no suggestions.
 * A renewal (`priorPrescription` referencing an active glucocorticoid, decision 14) continues the
 * current run: its planned end is judged against the start of that run, and the card names the
 * order it renews.
 */
import { writtenDay } from '../../fhir/dates.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import { addDays } from '../service-orders.js';
import { renewedGlucocorticoid } from './renewal.js';
import { activeGlucocorticoids, draftGlucocorticoids, glucocorticoidRunEvidence, medicationEvidence } from './shared.js';
import { P_ON_GC_WEEKS } from './predicate-thresholds.js';

export const r17: Rule = {
  id: 'COP-R17',
  title: 'Prolonged therapy / relapse management',
  purpose: 'A glucocorticoid course past 12 months, or a renewal that would take it there: prolonged therapy appears unnecessary; review the taper.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['conditions', 'meds'],
  thresholds: ['prolongedCourseWeeks', 'prolongedCourseMonths', ...P_ON_GC_WEEKS],
  citations: ['LAZOR-2000'],
  evaluate,
};

/** A draft that would end the course after the limit, with the dates that show it. */
interface Extension {
  draft: MedicationFact;
  /** The active order the draft renews, when it is a renewal. */
  renews?: MedicationFact;
  runStart: string;
  plannedEnd: string;
  limit: string;
}

const LAZOR_LINE = 'Lazor 2000 (48 patients): relapses did not adversely affect outcome, and prolonged therapy to suppress relapses appears unnecessary.';
const REVIEW_LINE = 'Review the taper and steroid-sparing options (COP-R18).';
const summaryText = (t: Thresholds): string =>
  `Glucocorticoid course >${t.prolongedCourseMonths} months: in COP, relapses did not worsen outcome; prolonged therapy appears unnecessary. Review taper.`;

/** patient-view: P-COP and P-ON-GC-WEEKS > the limit, from the active orders alone. */
function patientViewFinding(facts: PatientFacts, t: Thresholds): Finding | undefined {
  const weeks = facts.medications.onGlucocorticoidWeeks;
  if (!facts.cop.present || weeks === undefined || weeks <= t.prolongedCourseWeeks) return undefined;
  const start = facts.medications.glucocorticoidRunStart;
  const evidence: Evidence[] = activeGlucocorticoids(facts).map((m) => medicationEvidence('Active glucocorticoid', m));
  const run = glucocorticoidRunEvidence(facts);
  if (run) evidence.push(run);
  return {
    ruleId: 'COP-R17',
    indicator: 'info',
    summary: summaryText(t),
    detail: [
      `On systemic glucocorticoids for ${weeks} weeks${start ? ` (current run since ${start.slice(0, 10)})` : ''}: more than ${t.prolongedCourseWeeks} weeks.`,
      LAZOR_LINE,
      REVIEW_LINE,
    ],
    evidence,
    citations: ['LAZOR-2000'],
  };
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook === 'patient-view') return patientViewFinding(facts, context.thresholds);
  // On order-sign the trigger is a glucocorticoid order (a renewal); P-ON-GC-WEEKS alone, with no
  // glucocorticoid being signed, is the patient-view variant's job.
  if (context.hook !== 'order-sign' || !facts.cop.present) return undefined;
  const drafts = draftGlucocorticoids(facts);
  if (drafts.length === 0) return undefined;
  const t = context.thresholds;
  const weeks = facts.medications.onGlucocorticoidWeeks;
  const longRun = weeks !== undefined && weeks > t.prolongedCourseWeeks;
  const extensions = drafts.map((d) => extensionBeyondLimit(facts, d, context.now, t)).filter((e): e is Extension => e !== undefined);
  if (!longRun && extensions.length === 0) return undefined;

  const detail: string[] = [];
  if (longRun) detail.push(`On systemic glucocorticoids for ${weeks} weeks (more than ${t.prolongedCourseWeeks} weeks).`);
  for (const e of extensions) {
    const renews = e.renews ? ` (renewal of ${e.renews.name}${e.renews.start ? `, active since ${e.renews.start.slice(0, 10)}` : ''})` : '';
    detail.push(`${e.draft.name}${renews} is planned to end on ${e.plannedEnd}, more than ${t.prolongedCourseMonths} months after the course started (${e.runStart}; limit ${e.limit}).`);
  }
  detail.push(LAZOR_LINE, REVIEW_LINE);

  return {
    ruleId: 'COP-R17',
    indicator: 'info',
    summary: summaryText(t),
    detail,
    evidence: evidenceFor(facts, drafts),
    citations: ['LAZOR-2000'],
  };
}

/**
 * The draft's planned end (its start, else today, + planned days) against the current run's start
 * + the limit in calendar months. Without an active run the draft starts the course itself.
 * A draft with no planned duration cannot be judged here (its end is unknown).
 */
export function extensionBeyondLimit(facts: PatientFacts, draft: MedicationFact, now: Date, t: Thresholds): Extension | undefined {
  if (draft.plannedDurationDays === undefined) return undefined;
  const draftStart = dayOf(draft.start) ?? addDays(now, 0);
  const runStart = dayOf(facts.medications.glucocorticoidRunStart) ?? draftStart;
  const plannedEnd = addDaysTo(draftStart, draft.plannedDurationDays);
  const limit = addCalendarMonths(runStart, t.prolongedCourseMonths);
  if (plannedEnd <= limit) return undefined;
  const renews = renewedGlucocorticoid(draft, facts);
  return { draft, runStart, plannedEnd, limit, ...(renews ? { renews } : {}) };
}

/** The calendar day (YYYY-MM-DD) of a FHIR date as written (decision 22), so days compare as strings. */
function dayOf(date: string | undefined): string | undefined {
  return writtenDay(date);
}

function addDaysTo(day: string, days: number): string {
  return addDays(new Date(`${day}T00:00:00Z`), days);
}

/** Same day-of-month n calendar months later (UTC); a missing day rolls into the next month. */
export function addCalendarMonths(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate())).toISOString().slice(0, 10);
}

function evidenceFor(facts: PatientFacts, drafts: MedicationFact[]): Evidence[] {
  const evidence = drafts.map((d) => medicationEvidence('Drafted glucocorticoid', d));
  const run = glucocorticoidRunEvidence(facts);
  if (run) evidence.push(run);
  return evidence;
}
