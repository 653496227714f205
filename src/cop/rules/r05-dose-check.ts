/**
 * COP-R05: dose and duration check on a drafted systemic glucocorticoid.
 *
 * r = PredEq mg/day ÷ kg. Above the mg/kg range or the daily cap → warning; below the range →
 * info; an initial phase at ≥ the range's lower bound that runs longer than the configured weeks →
 * info. Within range → no card. Runs on order-sign for every drafted glucocorticoid, and on
 * order-select for the selected draft once its dose is known (a dose has been entered).
 *
 * Unknown dose: at order-sign the card says the dose could not be derived and was not checked
 * (unknown is never read as "within range"); at order-select an unknown dose means the
 * clinician has not entered one yet, so the rule stays silent.
 *
 * Revision 2: the daily cap needs no weight (decision 16): without a usable weight only the mg/kg
 * checks are skipped (COP-R02 covers the weight). Pulse therapy (decision 17: PredEq ≥ 250 mg/day
 * for ≤ 5 days, stated) gets an info card instead of the cap warning; a pulse-level dose with no
 * stated duration, or a longer one, is checked like any other and the card says why it is no pulse.
 * A renewal (decision 14) is checked on its new dose, and the card names the order it renews.
 */
import type { Measurement, MedicationFact, PatientFacts } from '../facts-types.js';
import type { CitationKey, Thresholds } from '../knowledge.js';
import { MAX_SUMMARY_LENGTH, type Evidence, type Finding, type Indicator, type OverrideReason, type Rule, type RuleContext } from '../rule-types.js';
import { notAPulseReason, pulseOf } from './pulse.js';
import { renewedGlucocorticoid } from './renewal.js';
import { calendarDaysAgo } from '../../fhir/dates.js';
import { ageInWords } from '../cards.js';
import {
  compactNumber, draftGlucocorticoids, durationText, evidenceOf, fitSummary, isAdult, mgPerKgText,
  predEqMgPerDay, usableWeight,
} from './shared.js';
import { P_WEIGHT } from './predicate-thresholds.js';

const CITATIONS: CitationKey[] = ['LAZOR-2000', 'LOHR-1997', 'CORDIER-2006', 'KING-2022'];

/** Tolerance for floating-point ratios: exactly 1.0 mg/kg or 60 mg is within range. */
const EPSILON = 1e-9;

export const R05_OVERRIDE_REASONS: OverrideReason[] = [
  { code: 'severe-disease-specialist', display: 'Severe disease – specialist' },
  { code: 'weight-not-representative', display: 'Weight not representative' },
];

type IssueKind = 'above-range' | 'above-cap' | 'below-range' | 'long-initial-phase' | 'dose-unknown' | 'pulse';

interface Issue {
  kind: IssueKind;
  indicator: Indicator;
  text: string;
}

interface DraftCheck {
  draft: MedicationFact;
  predEq?: number;
  /** PredEq ÷ kg; undefined without a usable weight (or an unknown dose). */
  ratio?: number;
  /** Set for pulse therapy (decision 17): its planned days. */
  pulseDays?: number;
  /** Why a pulse-level dose is not a pulse (duration unknown or too long). */
  notAPulse?: string;
  issues: Issue[];
}

/**
 * r with enough decimals that a value just outside the range never prints as the boundary itself
 * (0.495 mg/kg must not read "0.50 mg/kg" on a "below 0.5" card).
 */
export function ratioText(r: number, t: Thresholds): string {
  const isBoundary = Math.abs(r - t.minMgPerKg) < EPSILON || Math.abs(r - t.maxMgPerKg) < EPSILON;
  const looksLikeBoundary = (text: string) => Number(text) === t.minMgPerKg || Number(text) === t.maxMgPerKg;
  for (const digits of [2, 3, 4]) {
    const text = r.toFixed(digits);
    if (isBoundary || !looksLikeBoundary(text)) return text;
  }
  return r.toFixed(6);
}

function rangeText(t: Thresholds): string {
  return `${mgPerKgText(t.minMgPerKg)}–${mgPerKgText(t.maxMgPerKg)} mg/kg/day`;
}

/** COP-R05's numeric checks (mg/kg range, daily cap, initial-phase length) for one draft whose PredEq is known. */
function numericIssues(draft: MedicationFact, predEq: number, kg: number, t: Thresholds): Issue[] {
  const r = predEq / kg;
  const issues: Issue[] = [];
  if (r > t.maxMgPerKg + EPSILON) {
    issues.push({ kind: 'above-range', indicator: 'warning', text: `above ${mgPerKgText(t.maxMgPerKg)} mg/kg/day` });
  }
  if (predEq > t.maxDailyDoseMg + EPSILON) {
    issues.push({ kind: 'above-cap', indicator: 'warning', text: `above the ${t.maxDailyDoseMg} mg/day cap` });
  }
  if (r < t.minMgPerKg - EPSILON) {
    issues.push({ kind: 'below-range', indicator: 'info', text: `below the ${rangeText(t)} range` });
  }
  const maxDays = t.maxInitialPhaseWeeks * 7;
  if (r >= t.minMgPerKg - EPSILON && draft.initialPhaseDays !== undefined && draft.initialPhaseDays > maxDays) {
    issues.push({
      kind: 'long-initial-phase',
      indicator: 'info',
      text: `initial phase ${durationText(draft.initialPhaseDays)}, over ${t.maxInitialPhaseWeeks} weeks`,
    });
  }
  return issues;
}

/** The check that needs no weight (decision 16): PredEq above the daily cap. */
function capIssues(predEq: number, t: Thresholds): Issue[] {
  return predEq > t.maxDailyDoseMg + EPSILON
    ? [{ kind: 'above-cap', indicator: 'warning', text: `above the ${t.maxDailyDoseMg} mg/day cap` }]
    : [];
}

function checkDraft(draft: MedicationFact, weight: Measurement | undefined, context: RuleContext): DraftCheck {
  const t = context.thresholds;
  const predEq = predEqMgPerDay(draft);
  if (predEq === undefined) {
    // Only reached on order-sign (order-select filters unknown doses out first). Without a weight
    // nothing could be checked anyway, and COP-R02 asks for the weight.
    if (!weight) return { draft, issues: [] };
    const why = draft.doseUnknownReason ? ` (${draft.doseUnknownReason})` : '';
    return {
      draft,
      issues: [{ kind: 'dose-unknown', indicator: 'info', text: `daily dose could not be derived${why}; not checked against ${rangeText(t)}` }],
    };
  }
  const pulse = pulseOf(draft, t);
  if (pulse) {
    // The pulse definition (≥ pulseMinPredEqMgPerDay for ≤ pulseMaxDays) is on the evidence page.
    const text = 'pulse therapy, not held to the cap or the mg/kg range';
    return { draft, predEq, pulseDays: pulse.days, issues: [{ kind: 'pulse', indicator: 'info', text }] };
  }
  const issues = weight ? numericIssues(draft, predEq, weight.value, t) : capIssues(predEq, t);
  const notAPulse = notAPulseReason(draft, t);
  if (notAPulse) {
    const cap = issues.find((i) => i.kind === 'above-cap');
    // The card says why it is no pulse; what a pulse is stays on the evidence page.
    const days = draft.plannedDurationDays;
    if (cap) cap.text += days === undefined ? '; no duration stated, so not a pulse' : `; planned ${durationText(days)}, longer than a pulse`;
  }
  return { draft, predEq, ...(weight ? { ratio: predEq / weight.value } : {}), ...(notAPulse ? { notAPulse } : {}), issues };
}

/** Which drafts this hook checks: all at order-sign; at order-select the selected ones with a dose. */
function draftsToCheck(facts: PatientFacts, context: RuleContext): MedicationFact[] {
  const drafts = draftGlucocorticoids(facts);
  if (context.hook === 'order-sign') return drafts;
  return drafts.filter((d) => d.selected && d.dailyDose !== undefined);
}

const doseText = (c: DraftCheck): string => {
  const mgPerDay = c.draft.dailyDose?.mgPerDay;
  if (c.predEq === undefined || mgPerDay === undefined) return 'dose unknown';
  const own = `${compactNumber(mgPerDay, 2)} mg/day`;
  return Math.abs(mgPerDay - c.predEq) < EPSILON ? own : `${own} (${compactNumber(c.predEq, 2)} mg/day PredEq)`;
};

/** The first summary that fits (the last must). */
const firstFitting = (...options: string[]): string =>
  options.find((o) => o.length <= MAX_SUMMARY_LENGTH) ?? options[options.length - 1]!;

/** "; duration unknown, so not a pulse" for a pulse-level dose that is not one (decision 17). */
const notAPulseNote = (c: DraftCheck): string => {
  if (!c.notAPulse) return '';
  const days = c.draft.plannedDurationDays;
  return days === undefined ? '; duration unknown: check dose and duration' : `; ${durationText(days)} is longer than a pulse: check dose and duration`;
};

function summaryFor(worst: DraftCheck, t: Thresholds): string {
  const kinds = new Set(worst.issues.map((i) => i.kind));
  const range = `typical COP starting range ${rangeText(t)}`;
  if (worst.predEq === undefined) {
    // The drug name and the reason are in the detail; the summary must stay short.
    return `Drafted glucocorticoid dose could not be derived; check it against the ${range}`;
  }
  if (kinds.has('pulse')) {
    const drug = worst.draft.glucocorticoid ?? 'glucocorticoid';
    const days = durationText(worst.pulseDays ?? 0);
    const action = 'confirm specialist plan (severe or rapidly progressive COP)';
    return firstFitting(
      `Pulse therapy: ${drug} ${doseText(worst)} for ${days}; ${action}`,
      `Pulse therapy: ${compactNumber(worst.predEq, 2)} mg/day PredEq for ${days}; ${action}`,
      `Pulse therapy (${days}): ${action}`,
    );
  }
  const pulseNote = notAPulseNote(worst);
  if (worst.ratio === undefined) {
    // Decision 16: no usable weight, so only the cap was checked.
    return firstFitting(
      `Drafted dose ${doseText(worst)} is above the ${t.maxDailyDoseMg} mg/day cap${pulseNote || ': check the dose'} (no usable weight for mg/kg)`,
      `Drafted dose ${doseText(worst)} is above the ${t.maxDailyDoseMg} mg/day cap${pulseNote || ': check the dose'}`,
      `Drafted glucocorticoid dose is above the ${t.maxDailyDoseMg} mg/day cap: check the dose`,
    );
  }
  const r = ratioText(worst.ratio, t);
  const cap = kinds.has('above-cap') ? `, above the ${t.maxDailyDoseMg} mg/day cap` : '';
  if (pulseNote) {
    return firstFitting(
      `Drafted dose ${doseText(worst)} = ${r} mg/kg${cap}${pulseNote}`,
      `Drafted dose = ${r} mg/kg${cap}${pulseNote}`,
    );
  }
  if (kinds.has('long-initial-phase') && kinds.size === 1) {
    const days = worst.draft.initialPhaseDays ?? 0;
    return `Drafted initial phase ${durationText(days)} at ${r} mg/kg exceeds ${t.maxInitialPhaseWeeks} weeks; taper after the initial phase`;
  }
  return fitSummary(
    `Drafted dose ${doseText(worst)} = ${r} mg/kg${cap}; ${range}`,
    `Drafted dose = ${r} mg/kg${cap}; ${range}`,
  );
}

/** ", 200 days ago" for a start date, when its age is known. */
function sinceAge(start: string, now: Date): string {
  const days = calendarDaysAgo(start, now);
  return days === undefined ? '' : `, ${ageInWords(days)}`;
}

const severity = (c: DraftCheck): number =>
  Math.max(...c.issues.map((i) => (i.indicator === 'warning' ? 2 : 1)));

export function evaluateR05(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'order-sign' && context.hook !== 'order-select') return undefined;
  // Non-adults → COP-R03 covers it. No usable weight → only the cap (decision 16); COP-R02 covers the weight.
  if (!facts.cop.present || !isAdult(facts)) return undefined;
  const weight = usableWeight(facts);

  const checks = draftsToCheck(facts, context).map((d) => checkDraft(d, weight, context)).filter((c) => c.issues.length > 0);
  if (checks.length === 0) return undefined;
  const worst = [...checks].sort((a, b) => severity(b) - severity(a))[0]!;

  const t = context.thresholds;
  // A stale weight says how old it is where it is used (decision 19).
  const weightAge = weight && facts.weight.state === 'stale' ? ` (${weight.ageDays ?? 'an unknown number of'} days old)` : '';
  const detail = checks.map((c) => {
    const ratio = c.ratio === undefined || !weight ? '' : ` = ${ratioText(c.ratio, t)} mg/kg for ${weight.value.toFixed(1)} kg${weightAge}`;
    const days = c.pulseDays !== undefined ? ` for ${durationText(c.pulseDays)}` : '';
    const prior = renewedGlucocorticoid(c.draft, facts);
    const since = prior?.start ? ` (since ${prior.start.slice(0, 10)}${sinceAge(prior.start, context.now)})` : '';
    const renews = prior ? ` Renews ${prior.name}${since}.` : '';
    return `- ${c.draft.name}: ${doseText(c)}${days}${ratio}: ${c.issues.map((i) => i.text).join('; ')}.${renews}`;
  });
  if (checks.some((c) => c.pulseDays === undefined)) {
    detail.push(`Typical COP start ${rangeText(t)} (at most ${t.maxDailyDoseMg} mg/day) for up to ${t.maxInitialPhaseWeeks} weeks; cohorts started near 50 mg/day (Lohr 1997).`);
  } else {
    detail.push('Pulse therapy is specialist use in severe or rapidly progressive COP.');
  }
  if (!weight) {
    // COP-R02 says the weight is not usable; this card says what that left unchecked.
    detail.push(`Only the ${t.maxDailyDoseMg} mg/day cap was checked: the mg/kg range needs a usable body weight (COP-R02).`);
  }
  // Each drafted order, with its dose, is on its own line (and in the request's draftOrders): the
  // data used is the weight, when an mg/kg check ran (a pulse is judged without it).
  const weightUsed = weight && checks.some((c) => c.ratio !== undefined && c.pulseDays === undefined);
  const evidence: Evidence[] = weight && weightUsed ? [evidenceOf('Weight', weight)] : [];
  return {
    ruleId: 'COP-R05',
    indicator: severity(worst) === 2 ? 'warning' : 'info',
    summary: summaryFor(worst, t),
    detail,
    evidence,
    overrideReasons: R05_OVERRIDE_REASONS,
    citations: CITATIONS,
  };
}

export const r05: Rule = {
  id: 'COP-R05',
  title: 'Dose and duration check on a drafted glucocorticoid',
  purpose: 'A drafted glucocorticoid above the daily cap (no weight needed) or above 1.0 mg/kg → warning; below 0.5 mg/kg, or an initial phase longer than 8 weeks → info; pulse therapy → info.',
  hooks: ['order-select', 'order-sign'],
  reads: ['patient', 'conditions', 'weight', 'encounter', 'meds'],
  thresholds: ['minMgPerKg', 'maxMgPerKg', 'maxDailyDoseMg', 'maxInitialPhaseWeeks', 'pulseMinPredEqMgPerDay', 'pulseMaxDays', ...P_WEIGHT],
  citations: CITATIONS,
  overrideReasons: R05_OVERRIDE_REASONS,
  background: [
    'The typical COP starting range, 0.5–1.0 mg/kg/day prednisone (typically 40–60 mg/day) for 4–8 weeks then a gradual taper, matches cohort practice ' +
      '(about 50 mg/day in Lohr 1997; mean 0.73 mg/kg/day in the Radzikowska 2016 prednisone arm; a standard 24-week regimen in GERM"O"P 2018), ' +
      'but no guideline text recommends exactly this range. The 60 mg/day cap is the service\'s ceiling for a starting dose.',
    'The cap needs no weight: without a usable weight only the cap is checked and COP-R02 asks for the weight. Doses of other glucocorticoids are compared as ' +
      'prednisone equivalents (prednisolone 1, methylprednisolone 1.25, hydrocortisone 0.25, dexamethasone 6.67).',
    'Pulse therapy is a systemic glucocorticoid at 250 mg/day prednisone-equivalent or more, planned for at most 5 days (e.g. IV methylprednisolone 500 mg daily ' +
      'for 3 days): specialist use in severe or rapidly progressive COP, so it is reported for information instead of the cap warning. A pulse-level dose ' +
      'with no stated duration, or a longer one, is checked like any other dose; an oral course given with a pulse is checked on its own.',
    'A renewal (a draft whose priorPrescription names the active order) is checked on its new dose.',
  ],
  reviewNotes: ['Prednisone equivalence (prednisolone 1, methylprednisolone 1.25, hydrocortisone 0.25, dexamethasone 6.67) is standard pharmacology and needs pharmacy verification.'],
  evaluate: evaluateR05,
};
