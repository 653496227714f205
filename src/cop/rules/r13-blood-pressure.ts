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
import { conditionEvidence, evidenceWithProvenance, isWithinDays, steroidSafetyCourse, whenText } from './shared.js';

export const r13: Rule = {
  id: 'COP-R13',
  title: 'Blood pressure',
  purpose: 'During a glucocorticoid course: no recent blood pressure → measure it; raised BP or hypertension → monitor during therapy.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['conditions', 'bp', 'meds'],
  thresholds: ['bpWindowDays', 'systolicHighMmHg', 'diastolicHighMmHg'],
  citations: ['STEROID-TOXICITY'],
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

  const detail: string[] = [];
  if (!readable) detail.push('Blood pressure not assessed: observations could not be read (unknown, not normal).');
  if (reading) detail.push(`Latest blood pressure ${readingText(reading)} (${whenText(reading)})${raised ? `, raised (${cutOffText(t)})` : ''}.`);
  if (measureNeeded) detail.push(`No blood pressure recorded in the last ${t.bpWindowDays} days: measure it ${when}.`);
  if (hypertension) detail.push(`Hypertension recorded: ${bp.hypertensionConditions.map((c) => c.display ?? c.code).join(', ')}.`);
  if (raised || hypertension) detail.push('Glucocorticoids can raise blood pressure: monitor BP during glucocorticoid therapy.');

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

const readingText = (r: Reading): string => `${r.systolic ?? '?'}/${r.diastolic ?? '?'} mm[Hg]`;
const cutOffText = (t: Thresholds): string => `systolic ≥ ${t.systolicHighMmHg} or diastolic ≥ ${t.diastolicHighMmHg} mm[Hg]`;

function summaryFor(s: { raised: boolean; hypertension: boolean; measureNeeded: boolean }, reading: Reading | undefined, t: Thresholds, when: string): string {
  if (s.raised && reading) return `BP ${readingText(reading)} (${cutOffText(t)}): monitor BP during glucocorticoid therapy.`;
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
  evidence.push(...facts.bloodPressure.hypertensionConditions.map((c) => conditionEvidence('Hypertension', c)));
  return evidence;
}
