/**
 * COP-R11 Adrenal suppression / steroid emergency card: order-sign (drafted course) and
 * patient-view (active course; decision 6).
 *
 * NatPSA-2020: prednisolone-equivalent ≥ 5 mg/day for ≥ 4 weeks, or > 40 mg/day for > 1 week, or an
 * adrenal-insufficiency diagnosis → Steroid Emergency Card, sick-day advice, no abrupt stop.
 * A drafted course is judged on its own daily dose and planned duration; a draft without a
 * duration still counts as ≥ 4 weeks, because a COP course lasts months.
 * A pulse (decision 17: PredEq ≥ 250 mg/day planned for ≤ 5 days) is judged by its planned length
 * and dose, so on its own it meets neither limit; an oral course that follows is judged on its own,
 * and a pulse's dose is not read as the dose of the course running now.
 */
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { buildTask } from '../service-orders.js';
import { courseOrderEvidence, isPulse, runEvidence } from './pulse.js';
import {
  activeGlucocorticoids, compactNumber, draftGlucocorticoids, durationText, evidenceWithProvenance,
  predEqMgPerDay, steroidSafetyCourse, suggestToAdultsOnly, type SteroidSafetyCourse,
} from './shared.js';
import { P_ON_GC_WEEKS } from './predicate-thresholds.js';

export const r11: Rule = {
  id: 'COP-R11',
  title: 'Adrenal suppression / steroid emergency card',
  purpose: 'A course that meets the Steroid Emergency Card criteria (≥ 5 mg/day for ≥ 4 weeks, > 40 mg/day for > 1 week, or adrenal insufficiency): issue the card, give sick-day advice, do not stop abruptly.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['conditions', 'meds'],
  thresholds: ['adrenalLowDoseMgPerDay', 'adrenalLowDoseWeeks', 'adrenalHighDoseMgPerDay', 'adrenalHighDoseWeeks', 'pulseMinPredEqMgPerDay', 'pulseMaxDays', ...P_ON_GC_WEEKS],
  citations: ['NatPSA-2020'],
  background: [
    'NatPSA 2020 (NHS England Steroid Emergency Card alert): adults on prednisolone-equivalent ≥ 5 mg/day for ≥ 4 weeks, or > 40 mg/day for > 1 week, ' +
      'on repeated courses, starting a course within 1 year of stopping long-term glucocorticoids, or with adrenal insufficiency, carry a Steroid ' +
      'Emergency Card, get sick-day advice, and must not stop glucocorticoids abruptly. US deployments word it as adrenal suppression counselling ' +
      'with steroid alert information.',
    'A drafted course is judged on its own daily dose and planned duration; a draft with no stated duration counts as ≥ 4 weeks, because a COP ' +
      'course lasts months. The course already given counts too: the highest current daily dose over the weeks of the current run.',
    'A pulse (≥ 250 mg/day prednisone-equivalent planned for ≤ 5 days, e.g. IV methylprednisolone 500 mg daily × 3 days) meets neither limit on its ' +
      'own, and its dose is not read as the dose of the course that runs on; an oral course given with it is judged on its own.',
    'An order whose daily dose could not be derived is never assumed to be low: with no other criterion met, the card says the criteria could not be ' +
      'assessed. The card lists the orders the criteria rest on; a pulse or an undosed order beside a course that meets them changes nothing.',
    'Not assessed: a course started within 1 year of stopping long-term glucocorticoids (this rule does not read stopped orders).',
  ],
  evaluate,
};

/** One reason the course meets the criteria, in words for the card. */
type Criterion = string;

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  const course = steroidSafetyCourse(facts, context);
  if (!course) return undefined;
  const t = context.thresholds;
  // order-sign: the drafted course; patient-view: the active orders' planned course (decision 6).
  const drafts = course.orders;
  const word = course.kind === 'drafted' ? 'drafted' : 'ordered';
  const actual = actualCourseCriteria(facts, t);
  // patient-view: the weeks already on treatment say it; the same orders' planned course adds nothing.
  const meetingOrders = course.kind === 'active' && actual.length > 0 ? [] : drafts.filter((d) => !isPulse(d, t) && draftCriteria(d, t, word).length > 0);
  const met: Criterion[] = [
    ...meetingOrders.flatMap((d) => draftCriteria(d, t, word)),
    ...actual,
    ...(facts.adrenalInsufficiencyConditions.length > 0 ? ['adrenal insufficiency recorded'] : []),
  ];
  const undosed = drafts.filter((d) => predEqMgPerDay(d) === undefined);

  // The data line shows what the criteria rest on: an undosed order or a pulse beside a course that
  // meets them changes nothing and is left out (the evidence page says so).
  if (met.length > 0) {
    const runOrders = actual.length > 0 ? [actualCourseOrder(facts, t)].filter((m): m is MedicationFact => m !== undefined) : [];
    const orders = course.kind === 'drafted'
      ? { drafted: meetingOrders, active: runOrders }
      : { drafted: [], active: runOrders.length > 0 ? runOrders : meetingOrders };
    return criteriaMetFinding(facts, context, met, orders);
  }
  // Unknown ≠ normal: a draft whose dose could not be derived is reported, never assumed low.
  if (undosed.length > 0) return doseUnknownFinding(facts, context, undosed, course.kind);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Criteria

/**
 * The drafted course against both NatPSA limits, as one phrase per draft ("drafted 40 mg/day for
 * 4 weeks"). Days are compared with weeks × 7. A draft with no planned duration meets the ≥ 4 weeks
 * limit (COP course) but not the high-dose one on its own: any dose above the high limit is also
 * above the low limit, so nothing is lost.
 */
export function draftCriteria(draft: MedicationFact, t: Thresholds, word: 'drafted' | 'ordered' = 'drafted'): Criterion[] {
  const dose = predEqMgPerDay(draft);
  if (dose === undefined) return [];
  const days = draft.plannedDurationDays;
  const doseText = `${word} ${compactNumber(dose)} mg/day`;
  if (dose >= t.adrenalLowDoseMgPerDay && days === undefined) return [`${doseText}, no stated duration (a COP course lasts months)`];
  const low = dose >= t.adrenalLowDoseMgPerDay && days !== undefined && days >= t.adrenalLowDoseWeeks * 7;
  const high = dose > t.adrenalHighDoseMgPerDay && days !== undefined && days > t.adrenalHighDoseWeeks * 7;
  return (low || high) && days !== undefined ? [`${doseText} for ${durationText(days)}`] : [];
}

/** The active order whose dose the actual course is judged by: the highest current daily dose (a pulse excluded). */
function actualCourseOrder(facts: PatientFacts, t: Thresholds): MedicationFact | undefined {
  let best: MedicationFact | undefined;
  for (const m of activeGlucocorticoids(facts)) {
    const dose = predEqMgPerDay(m);
    if (isPulse(m, t) || dose === undefined) continue;
    if (!best || dose > predEqMgPerDay(best)!) best = m;
  }
  return best;
}

/** The actual course so far: the current active dose over the whole weeks of the current run. */
export function actualCourseCriteria(facts: PatientFacts, t: Thresholds): Criterion[] {
  const weeks = facts.medications.onGlucocorticoidWeeks;
  // A pulse (decision 17) lasts days: its dose is not the dose of the course that runs on.
  const order = actualCourseOrder(facts, t);
  if (weeks === undefined || !order) return [];
  const dose = predEqMgPerDay(order)!;
  const met = (dose >= t.adrenalLowDoseMgPerDay && weeks >= t.adrenalLowDoseWeeks) || (dose > t.adrenalHighDoseMgPerDay && weeks > t.adrenalHighDoseWeeks);
  return met ? [`on ${compactNumber(dose)} mg/day for ${weeks} weeks already`] : [];
}

// ---------------------------------------------------------------------------------------------
// Findings

/** The one sentence of evidence: NatPSA 2020's criteria. */
const natpsaLine = (t: Thresholds, formulary: RuleContext['formulary']): string =>
  `NatPSA 2020: adrenal crisis risk from ≥ ${compactNumber(t.adrenalLowDoseMgPerDay)} mg/day for ≥ ${t.adrenalLowDoseWeeks} weeks or > ${compactNumber(t.adrenalHighDoseMgPerDay)} mg/day ` +
  `for > ${durationText(t.adrenalHighDoseWeeks * 7)} (${formulary === 'us' ? 'prednisone' : 'prednisolone'}-equivalent), or adrenal insufficiency.`;

function criteriaMetFinding(facts: PatientFacts, context: RuleContext, met: Criterion[], orders: { drafted: MedicationFact[]; active: MedicationFact[] }): Finding {
  const t = context.thresholds;
  const us = context.formulary === 'us';
  const detail = [
    `Meets the criteria: ${met.join('; ')}.`,
    natpsaLine(t, context.formulary),
    // The summary says what to do; the US wording adds the alert the patient carries.
    ...(us ? ['Advise the patient to carry steroid alert information.'] : []),
  ];
  const finding: Finding = {
    ruleId: 'COP-R11',
    indicator: 'info',
    summary: us
      ? 'Steroid course meets adrenal suppression criteria: give counselling and sick-day advice; do not stop abruptly.'
      : 'Steroid course meets Steroid Emergency Card criteria: issue card, give sick-day advice, do not stop abruptly.',
    detail,
    evidence: evidenceFor(facts, context, orders),
    citations: ['NatPSA-2020'],
  };
  suggestToAdultsOnly(finding, facts, () => [educationSuggestion(facts, context)]);
  return finding;
}

function doseUnknownFinding(facts: PatientFacts, context: RuleContext, undosed: MedicationFact[], kind: SteroidSafetyCourse['kind']): Finding {
  const t = context.thresholds;
  const which = [...new Set(undosed.map((d) => `${d.glucocorticoid ?? d.name}${d.doseUnknownReason ? ` (${d.doseUnknownReason})` : ''}`))].join('; ');
  return {
    ruleId: 'COP-R11',
    indicator: 'info',
    summary: `${context.formulary === 'us' ? 'Adrenal suppression' : 'Steroid Emergency Card'} criteria not assessed: the ${kind === 'drafted' ? 'drafted' : 'active'} glucocorticoid dose could not be derived.`,
    detail: [
      `The daily dose could not be derived, so it was not guessed: ${which}. A COP course usually meets the criteria.`,
      natpsaLine(t, context.formulary),
    ],
    evidence: evidenceFor(facts, context, { drafted: draftGlucocorticoids(facts), active: activeGlucocorticoids(facts) }),
    citations: ['NatPSA-2020'],
  };
}

function educationSuggestion(facts: PatientFacts, context: RuleContext): FindingSuggestion {
  // The Steroid Emergency Card is an NHS England instrument; US deployments name the counselling.
  const description = context.formulary === 'us'
    ? 'Adrenal suppression counselling / patient education'
    : 'Issue Steroid Emergency Card / patient education';
  return {
    label: description,
    isRecommended: false,
    actions: [{ type: 'create', description, resource: buildTask({ patientId: facts.patientId, description }) }],
  };
}

/** The orders the card rests on, short and dated, the weeks of the run when its start is not already shown, and any adrenal-insufficiency diagnosis. */
function evidenceFor(facts: PatientFacts, context: RuleContext, orders: { drafted: MedicationFact[]; active: MedicationFact[] }): Evidence[] {
  const t = context.thresholds;
  const run = orders.active.length > 0 ? runEvidence(facts, orders.active, context.now) : undefined;
  return [
    ...orders.drafted.map((d) => courseOrderEvidence('Drafted', d, t, context.now)),
    ...orders.active.map((m) => courseOrderEvidence('On', m, t, context.now)),
    ...(run ? [run] : []),
    ...facts.adrenalInsufficiencyConditions.map((c) => evidenceWithProvenance(c.display ?? c.code, 'recorded', c)),
  ];
}
