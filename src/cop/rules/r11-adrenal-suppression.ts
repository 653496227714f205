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
import { isPulse, pulseOf } from './pulse.js';
import {
  activeGlucocorticoids, adultOnlySuggestionLine, compactNumber, conditionEvidence, draftGlucocorticoids, durationText, glucocorticoidRunEvidence,
  isAdult, medicationEvidence, predEqMgPerDay, steroidSafetyCourse, type SteroidSafetyCourse,
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
  const met: Criterion[] = [
    ...drafts.filter((d) => !isPulse(d, t)).flatMap((d) => draftCriteria(d, t, word)),
    ...actualCourseCriteria(facts, t),
    ...facts.adrenalInsufficiencyConditions.map((c) => `adrenal insufficiency recorded (${c.display ?? c.code})`),
  ];
  const undosed = drafts.filter((d) => predEqMgPerDay(d) === undefined);

  if (met.length > 0) return criteriaMetFinding(facts, context, met, undosed, drafts.filter((d) => isPulse(d, t)));
  // Unknown ≠ normal: a draft whose dose could not be derived is reported, never assumed low.
  if (undosed.length > 0) return doseUnknownFinding(facts, t, undosed, course.kind);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Criteria

/**
 * The drafted course against both NatPSA limits. Days are compared with weeks × 7. A draft with no
 * planned duration meets the ≥ 4 weeks limit (COP course) but not the high-dose one on its own:
 * any dose above the high limit is also above the low limit, so nothing is lost.
 */
export function draftCriteria(draft: MedicationFact, t: Thresholds, word: 'drafted' | 'ordered' = 'drafted'): Criterion[] {
  const dose = predEqMgPerDay(draft);
  if (dose === undefined) return [];
  const days = draft.plannedDurationDays;
  const met: Criterion[] = [];
  const doseText = `${compactNumber(dose)} mg/day`;
  if (dose >= t.adrenalLowDoseMgPerDay) {
    if (days === undefined) {
      met.push(`${word} ${doseText} with no stated duration: a COP course lasts months, so counted as ≥ ${t.adrenalLowDoseWeeks} weeks`);
    } else if (days >= t.adrenalLowDoseWeeks * 7) {
      met.push(`${word} ${doseText} for ${durationText(days)} (≥ ${compactNumber(t.adrenalLowDoseMgPerDay)} mg/day for ≥ ${t.adrenalLowDoseWeeks} weeks)`);
    }
  }
  if (dose > t.adrenalHighDoseMgPerDay && days !== undefined && days > t.adrenalHighDoseWeeks * 7) {
    met.push(`${word} ${doseText} for ${durationText(days)} (> ${compactNumber(t.adrenalHighDoseMgPerDay)} mg/day for > ${durationText(t.adrenalHighDoseWeeks * 7)})`);
  }
  return met;
}

/** The actual course so far: the current active dose over the whole weeks of the current run. */
export function actualCourseCriteria(facts: PatientFacts, t: Thresholds): Criterion[] {
  const weeks = facts.medications.onGlucocorticoidWeeks;
  if (weeks === undefined) return [];
  // A pulse (decision 17) lasts days: its dose is not the dose of the course that runs on.
  const doses = activeGlucocorticoids(facts).filter((m) => !isPulse(m, t)).map(predEqMgPerDay).filter((d): d is number => d !== undefined);
  if (doses.length === 0) return [];
  const dose = Math.max(...doses);
  const met: Criterion[] = [];
  if (dose >= t.adrenalLowDoseMgPerDay && weeks >= t.adrenalLowDoseWeeks) met.push(`on ${compactNumber(dose)} mg/day for ${weeks} weeks already`);
  else if (dose > t.adrenalHighDoseMgPerDay && weeks > t.adrenalHighDoseWeeks) met.push(`on ${compactNumber(dose)} mg/day for ${weeks} weeks already`);
  return met;
}

// ---------------------------------------------------------------------------------------------
// Findings

function criteriaMetFinding(facts: PatientFacts, context: RuleContext, met: Criterion[], undosed: MedicationFact[], pulses: MedicationFact[]): Finding {
  const t = context.thresholds;
  const us = context.formulary === 'us';
  const detail = [
    `Meets the criteria (PredEq ≥ ${compactNumber(t.adrenalLowDoseMgPerDay)} mg/day for ≥ ${t.adrenalLowDoseWeeks} weeks, or > ${compactNumber(t.adrenalHighDoseMgPerDay)} mg/day for > ${durationText(t.adrenalHighDoseWeeks * 7)}, or adrenal insufficiency): ${met.join('; ')}.`,
    us
      ? 'Give adrenal suppression counselling: sick-day rules, carry steroid alert information, and do not stop glucocorticoids abruptly.'
      : 'Issue a Steroid Emergency Card, give sick-day advice, and do not stop glucocorticoids abruptly.',
    'Not assessed: a previous long-term course stopped within the last year (stopped orders are not read).',
    ...undosed.map((d) => `The daily dose of ${d.name} could not be derived, so it was not judged.`),
    ...pulses.map((d) => {
      const pulse = pulseOf(d, t)!;
      return `${d.name} (pulse, ${compactNumber(pulse.predEqMgPerDay)} mg/day for ${durationText(pulse.days)}) meets neither limit on its own.`;
    }),
  ];
  const finding: Finding = {
    ruleId: 'COP-R11',
    indicator: 'info',
    summary: us
      ? 'Steroid course meets adrenal suppression criteria: give counselling and sick-day advice; do not stop abruptly.'
      : 'Steroid course meets Steroid Emergency Card criteria: issue card, give sick-day advice, do not stop abruptly.',
    detail,
    evidence: evidenceFor(facts),
    citations: ['NatPSA-2020'],
  };
  // COP-R03 suppresses steroid-safety suggestions for anyone not known to be an adult.
  if (isAdult(facts)) finding.suggestions = [educationSuggestion(facts, context)];
  else detail.push(adultOnlySuggestionLine(facts));
  return finding;
}

function doseUnknownFinding(facts: PatientFacts, t: Thresholds, undosed: MedicationFact[], kind: SteroidSafetyCourse['kind']): Finding {
  const names = undosed.map((d) => d.name).join(', ');
  return {
    ruleId: 'COP-R11',
    indicator: 'info',
    summary: `Steroid Emergency Card criteria not assessed: the ${kind === 'drafted' ? 'drafted' : 'active'} glucocorticoid dose could not be derived.`,
    detail: [
      `The daily dose of ${names} could not be derived from the order, so it was not guessed.`,
      `Check it against the criteria: PredEq ≥ ${compactNumber(t.adrenalLowDoseMgPerDay)} mg/day for ≥ ${t.adrenalLowDoseWeeks} weeks, or > ${compactNumber(t.adrenalHighDoseMgPerDay)} mg/day for > ${durationText(t.adrenalHighDoseWeeks * 7)}. A COP course usually meets them.`,
    ],
    evidence: evidenceFor(facts),
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

function evidenceFor(facts: PatientFacts): Evidence[] {
  const evidence = [
    ...draftGlucocorticoids(facts).map((d) => medicationEvidence('Drafted glucocorticoid', d)),
    ...activeGlucocorticoids(facts).map((m) => medicationEvidence('Active glucocorticoid', m)),
    ...facts.adrenalInsufficiencyConditions.map((c) => conditionEvidence('Adrenal insufficiency', c)),
  ];
  const run = glucocorticoidRunEvidence(facts);
  if (run) evidence.push(run);
  return evidence;
}
