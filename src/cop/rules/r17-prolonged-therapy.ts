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
import { calendarDaysAgo, writtenDay } from '../../fhir/dates.js';
import { ageInWords } from '../cards.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import { addDays } from '../service-orders.js';
import { courseOrderEvidence, runEvidence } from './pulse.js';
import { renewedGlucocorticoid } from './renewal.js';
import { activeGlucocorticoids, draftGlucocorticoids, durationText } from './shared.js';
import { P_ON_GC_WEEKS } from './predicate-thresholds.js';

export const r17: Rule = {
  id: 'COP-R17',
  title: 'Prolonged therapy / relapse management',
  purpose: 'A glucocorticoid course past 12 months, or a renewal that would take it there: prolonged therapy appears unnecessary; review the taper.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['conditions', 'meds'],
  thresholds: ['prolongedCourseWeeks', 'prolongedCourseMonths', ...P_ON_GC_WEEKS],
  citations: ['LAZOR-2000'],
  background: [
    'LAZOR-2000 (48 patients with COP): relapses occurred in 58%, most while still on treatment for the first episode, and did not adversely affect ' +
      'outcome; the authors conclude that prolonged therapy to suppress relapses appears unnecessary.',
    'The card appears on patient-view when the current glucocorticoid run exceeds 52 weeks, and on order-sign when a glucocorticoid is signed during ' +
      'such a run or when a draft would end the course more than 12 months after it began. A renewal (priorPrescription naming the active order) ' +
      'continues the course, so its planned end is judged against the start of the run; a draft with no planned duration cannot be judged.',
    'Steroid-sparing and rescue agents for patients who need long-term steroids are on the COP-R18 card (patient-view).',
  ],
  evaluate,
};

/** A draft that would end the course after the limit, with the dates that show it. */
interface Extension {
  draft: MedicationFact;
  /** The active order the draft renews, when it is a renewal. */
  renews?: MedicationFact;
  runStart: string;
  /** No active run: the draft starts the course itself. */
  ownCourse: boolean;
  plannedEnd: string;
  limit: string;
}

/** The one sentence of evidence (LAZOR-2000, the authors' conclusion). */
const LAZOR_LINE = 'Lazor 2000 (48 patients): relapses did not adversely affect outcome, and prolonged therapy to suppress relapses appears unnecessary.';
const summaryText = (t: Thresholds): string =>
  `Glucocorticoid course >${t.prolongedCourseMonths} months: review the taper and steroid-sparing options; prolonged therapy appears unnecessary in COP.`;

const weeksLine = (weeks: number, t: Thresholds): string => `On glucocorticoids for ${weeks} weeks: more than ${t.prolongedCourseWeeks} weeks.`;

/** patient-view: P-COP and P-ON-GC-WEEKS > the limit, from the active orders alone. */
function patientViewFinding(facts: PatientFacts, context: RuleContext): Finding | undefined {
  const t = context.thresholds;
  const weeks = facts.medications.onGlucocorticoidWeeks;
  if (!facts.cop.present || weeks === undefined || weeks <= t.prolongedCourseWeeks) return undefined;
  return {
    ruleId: 'COP-R17',
    indicator: 'info',
    summary: summaryText(t),
    detail: [weeksLine(weeks, t), LAZOR_LINE],
    evidence: evidenceFor(facts, context, 'active', activeGlucocorticoids(facts), true),
    citations: ['LAZOR-2000'],
  };
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook === 'patient-view') return patientViewFinding(facts, context);
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

  // A run already past the limit says it all; otherwise the drafts that would take it there.
  const detail = [longRun ? weeksLine(weeks, t) : extensionsLine(extensions, t, context.now), LAZOR_LINE];

  return {
    ruleId: 'COP-R17',
    indicator: 'info',
    summary: summaryText(t),
    detail,
    // The extension line names the run's start itself; only a long run needs it in the data line.
    evidence: evidenceFor(facts, context, 'drafted', drafts, longRun),
    citations: ['LAZOR-2000'],
  };
}

/**
 * "The renewal of prednisone is planned to end on 2027-02-23 (in 90 days), more than 12 months
 * after the course began on 2026-01-29 (300 days ago)." Several drafts share the course start:
 * "Planned to end more than 12 months after the course began on …: the renewal of prednisone on
 * …; prednisolone (12 weeks) on …". The resource ids stay in the card's extension.
 */
function extensionsLine(extensions: Extension[], t: Thresholds, now: Date): string {
  const what = (e: Extension): string => e.renews
    ? `the renewal of ${e.renews.glucocorticoid ?? e.renews.name}`
    : `${e.draft.glucocorticoid ?? e.draft.name} drafted for ${durationText(e.draft.plannedDurationDays!)}`;
  const since = (e: Extension): string => e.ownCourse ? 'after it starts' : `after the course began on ${dayAndAge(e.runStart, now)}`;
  const months = t.prolongedCourseMonths;
  const [first, ...rest] = extensions;
  if (first && rest.length === 0) return `${capitalise(what(first))} is planned to end on ${dayAndAge(first.plannedEnd, now)}, more than ${months} months ${since(first)}.`;
  const sinceAll = first!.ownCourse ? 'after they start' : since(first!);
  return `Planned to end more than ${months} months ${sinceAll}: ${extensions.map((e) => `${what(e)} on ${dayAndAge(e.plannedEnd, now)}`).join('; ')}.`;
}

/** "2027-02-23 (in 90 days)": a calendar date with its age in words (decision 19). */
function dayAndAge(day: string, now: Date): string {
  const ageDays = calendarDaysAgo(day, now);
  return ageDays === undefined ? day : `${day} (${ageInWords(ageDays)})`;
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The draft's planned end (its start, else today, + planned days) against the current run's start
 * + the limit in calendar months. Without an active run the draft starts the course itself.
 * A draft with no planned duration cannot be judged here (its end is unknown).
 */
export function extensionBeyondLimit(facts: PatientFacts, draft: MedicationFact, now: Date, t: Thresholds): Extension | undefined {
  if (draft.plannedDurationDays === undefined) return undefined;
  const draftStart = dayOf(draft.start) ?? addDays(now, 0);
  const activeRunStart = dayOf(facts.medications.glucocorticoidRunStart);
  const runStart = activeRunStart ?? draftStart;
  const plannedEnd = addDaysTo(draftStart, draft.plannedDurationDays);
  const limit = addCalendarMonths(runStart, t.prolongedCourseMonths);
  if (plannedEnd <= limit) return undefined;
  const renews = renewedGlucocorticoid(draft, facts);
  return { draft, runStart, ownCourse: activeRunStart === undefined, plannedEnd, limit, ...(renews ? { renews } : {}) };
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

/**
 * The orders judged (order-sign: the drafts; patient-view: the active orders, dated), and, with
 * `withRun`, the run's start with its age when no listed order's start shows it.
 */
function evidenceFor(facts: PatientFacts, context: RuleContext, kind: 'drafted' | 'active', orders: MedicationFact[], withRun: boolean): Evidence[] {
  const run = withRun ? runEvidence(facts, kind === 'active' ? orders : [], context.now) : undefined;
  return [
    ...orders.map((m) => courseOrderEvidence(kind === 'drafted' ? 'Drafted' : 'On', m, context.thresholds, context.now)),
    ...(run ? [run] : []),
  ];
}
