/**
 * COP-R13 Blood pressure: order-sign (drafted course) and patient-view (active course; decision 6).
 *
 * Glucocorticoids raise blood pressure. No reading in the window → measure it; a raised reading or
 * recorded hypertension → monitor during therapy; a recent normal reading → nothing to say.
 */
import type { PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { buildTask } from '../service-orders.js';
import { evidenceWithProvenance, isWithinDays, steroidSafetyCourse } from './shared.js';

export const r13: Rule = {
  id: 'COP-R13',
  title: 'Blood pressure',
  purpose: 'During a glucocorticoid course: no recent blood pressure → measure it; raised BP or hypertension → monitor during therapy.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['conditions', 'bp', 'meds'],
  thresholds: ['bpWindowDays', 'systolicHighMmHg', 'diastolicHighMmHg'],
  citations: ['STEROID-TOXICITY'],
  background: [
    'Glucocorticoids can raise blood pressure. Before a course (order-sign) or during one (patient-view), the latest blood pressure panel within ' +
      '30 days is read: none → measure it; systolic ≥ 140 or diastolic ≥ 90 mmHg, or recorded hypertension → monitor BP during therapy; a recent ' +
      'normal reading → no card. When observations cannot be read, BP is reported as not assessed (unknown, not normal).',
    'BP monitoring during glucocorticoid therapy follows standard practice; no primary COP source was checked for it.',
  ],
  reviewNotes: ['The 140/90 mmHg cut-off is the conventional value, not verified for glucocorticoid therapy.'],
  evaluate,
};

type Reading = NonNullable<PatientFacts['bloodPressure']['latest']>;

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  const course = steroidSafetyCourse(facts, context);
  if (!course) return undefined;
  // order-sign: before therapy (drafted course); patient-view: during therapy (active course).
  const when = course.kind === 'drafted' ? 'before glucocorticoid therapy' : 'during glucocorticoid therapy';
  const t = context.thresholds;
  const bp = facts.bloodPressure;
  const readable = bp.domain === 'available';
  const reading = readable ? recentReading(bp.latest, t) : undefined;
  const raised = reading !== undefined && isRaised(reading, t);
  const hypertension = bp.hypertensionConditions.length > 0;
  const measureNeeded = readable && reading === undefined;

  if (!raised && !hypertension && !measureNeeded && readable) return undefined;

  // The reading and its date are in the data line, and the summary says what to do; the text says
  // what the data mean and why it matters.
  const detail: string[] = [];
  if (raised) detail.push(`Raised: ${cutOffText(t)}.`);
  if (hypertension) detail.push('Hypertension recorded.');
  if (measureNeeded && hypertension) detail.push(`No blood pressure in the last ${t.bpWindowDays} days: measure it ${when}.`);
  detail.push(raised || hypertension
    ? 'Glucocorticoids can raise blood pressure, a common steroid side effect.'
    : `Glucocorticoids can raise blood pressure: ${course.kind === 'drafted' ? 'a baseline before therapy shows pre-existing hypertension' : 'check it during therapy'}.`);

  const finding: Finding = {
    ruleId: 'COP-R13',
    indicator: 'info',
    summary: summaryFor({ raised, hypertension, measureNeeded }, reading, t, when),
    detail,
    evidence: evidenceFor(facts, reading, readable ? 'none' : 'not readable', t),
    citations: ['STEROID-TOXICITY'],
  };
  if (measureNeeded) finding.suggestions = [measureSuggestion(facts)];
  return finding;
}

/** The latest panel inside the window with at least one of systolic/diastolic; else none. */
function recentReading(latest: Reading | undefined, t: Thresholds): Reading | undefined {
  if (!latest || !isWithinDays(latest, t.bpWindowDays)) return undefined;
  return latest.systolic !== undefined || latest.diastolic !== undefined ? latest : undefined;
}

export function isRaised(r: Reading, t: Thresholds): boolean {
  return (r.systolic !== undefined && r.systolic >= t.systolicHighMmHg)
    || (r.diastolic !== undefined && r.diastolic >= t.diastolicHighMmHg);
}

/** "152/94 mmHg" (units as people write them, decision 19); "145/? mmHg" when one component is missing. */
const readingText = (r: Reading): string => `${r.systolic ?? '?'}/${r.diastolic ?? '?'} mmHg`;
const cutOffText = (t: Thresholds): string => `systolic ≥ ${t.systolicHighMmHg} or diastolic ≥ ${t.diastolicHighMmHg} mmHg`;

function summaryFor(s: { raised: boolean; hypertension: boolean; measureNeeded: boolean }, reading: Reading | undefined, t: Thresholds, when: string): string {
  if (s.raised && reading) return `BP ${readingText(reading)} (≥ ${t.systolicHighMmHg}/${t.diastolicHighMmHg}): monitor BP during glucocorticoid therapy.`;
  if (s.hypertension) return 'Hypertension recorded: monitor BP during glucocorticoid therapy.';
  if (s.measureNeeded) return `No blood pressure in the last ${t.bpWindowDays} days: measure BP ${when}.`;
  return `Blood pressure not assessed (observations could not be read): check BP ${when}.`;
}

function measureSuggestion(facts: PatientFacts): FindingSuggestion {
  const description = 'Measure blood pressure';
  return {
    label: description,
    isRecommended: false,
    actions: [{ type: 'create', description, resource: buildTask({ patientId: facts.patientId, description, codeText: 'Blood pressure panel (LOINC 85354-9)' }) }],
  };
}

/** The reading used, or an explicit "none" / "not readable" so the card shows what was looked for. */
function evidenceFor(facts: PatientFacts, reading: Reading | undefined, missing: string, t: Thresholds): Evidence[] {
  const evidence: Evidence[] = [];
  if (reading) {
    evidence.push(evidenceWithProvenance('Blood pressure', readingText(reading), reading));
  } else {
    evidence.push({ label: `Blood pressure (last ${t.bpWindowDays} days)`, value: missing });
  }
  evidence.push(...facts.bloodPressure.hypertensionConditions.map((c) => evidenceWithProvenance(c.display ?? c.code, 'recorded', c)));
  return evidence;
}
