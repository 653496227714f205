/**
 * COP-R12 Glucose baseline and diabetes: order-sign (drafted course) and patient-view (active
 * course; decision 6).
 *
 * Glucocorticoids raise blood glucose. (a) Without a recent HbA1c or glucose the baseline is
 * unknown → suggest an HbA1c. (b) Known diabetes or a value at a conventional diagnostic cut-off →
 * warning to plan monitoring. One card: the warning wins; the HbA1c suggestion comes only with (a).
 */
import type { Measurement, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { buildServiceRequest, LOINC } from '../service-orders.js';
import {
  adultOnlySuggestionLine, compactNumber, conditionEvidence, evidenceOf, isAdult, steroidSafetyCourse, type SteroidSafetyCourse,
  isWithinDays, measurementText,
} from './shared.js';

export const HBA1C_LOINC = { system: LOINC, code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' } as const;

export const r12: Rule = {
  id: 'COP-R12',
  title: 'Glucose baseline and diabetes',
  purpose: 'During a glucocorticoid course: no recent HbA1c or glucose → order an HbA1c; diabetes or raised values → plan glucose monitoring.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['conditions', 'labs', 'meds'],
  thresholds: ['hba1cWindowDays', 'glucoseWindowDays', 'hba1cHighPercent', 'hba1cHighMmolPerMol', 'glucoseHighMgPerDl', 'glucoseHighMmolPerL'],
  citations: ['STEROID-TOXICITY'],
  evaluate,
};

/** Where a measured value stands against its cut-off; `unit-not-recognised` is never "normal". */
type Level = 'high' | 'below' | 'unit-not-recognised';

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  const course = steroidSafetyCourse(facts, context);
  if (!course) return undefined;
  // order-sign: a baseline before therapy; patient-view: the patient is already on therapy.
  const t = context.thresholds;
  const g = facts.glycaemia;
  const labsReadable = g.domain === 'available';
  const hba1c = labsReadable && g.hba1c && isWithinDays(g.hba1c, t.hba1cWindowDays) ? g.hba1c : undefined;
  const glucose = labsReadable && g.glucose && isWithinDays(g.glucose, t.glucoseWindowDays) ? g.glucose : undefined;

  const hba1cLevel = hba1c && hba1cLevelOf(hba1c, t);
  const glucoseLevel = glucose && glucoseLevelOf(glucose, t);
  const raised = g.diabetesConditions.length > 0 || hba1cLevel === 'high' || glucoseLevel === 'high';
  const noBaseline = labsReadable && !hba1c && !glucose;

  const detail: string[] = [];
  if (!labsReadable) detail.push('Glucose not assessed: laboratory results could not be read (unknown, not normal). Check HbA1c or glucose.');
  if (course.kind === 'active') detail.push(activeCourseLine(facts));
  if (hba1c) detail.push(`HbA1c ${measurementText(hba1c)}${levelNote(hba1cLevel, hba1cCutOffText(t))}.`);
  if (glucose) detail.push(`Glucose ${measurementText(glucose)}${levelNote(glucoseLevel, glucoseCutOffText(t))}.`);
  if (noBaseline) detail.push(`No HbA1c in the last ${t.hba1cWindowDays} days and no glucose in the last ${t.glucoseWindowDays} days: ${course.kind === 'drafted' ? 'a baseline HbA1c is suggested before glucocorticoid therapy' : 'an HbA1c is suggested during glucocorticoid therapy'}.`);
  if (g.diabetesConditions.length > 0) detail.push(`Diabetes recorded: ${g.diabetesConditions.map((c) => c.display ?? c.code).join(', ')}.`);

  const summary = summaryFor({ raised, noBaseline, labsReadable }, t, course.kind);
  if (!summary) return undefined;

  const finding: Finding = {
    ruleId: 'COP-R12',
    indicator: raised ? 'warning' : 'info',
    summary,
    detail,
    evidence: evidenceFor(facts, t, { hba1c, glucose, labsReadable }),
    citations: ['STEROID-TOXICITY'],
  };
  if (noBaseline) {
    // COP-R03 suppresses steroid-safety suggestions for anyone not known to be an adult.
    if (isAdult(facts)) finding.suggestions = [hba1cSuggestion(facts, course.kind)];
    else detail.push(adultOnlySuggestionLine(facts));
  }
  return finding;
}

// ---------------------------------------------------------------------------------------------
// Levels: each unit against its own cut-off (no conversion between % and mmol/mol)

export function hba1cLevelOf(m: Measurement, t: Thresholds): Level {
  if (m.unit === '%') return m.value >= t.hba1cHighPercent ? 'high' : 'below';
  if (m.unit === 'mmol/mol') return m.value >= t.hba1cHighMmolPerMol ? 'high' : 'below';
  return 'unit-not-recognised';
}

export function glucoseLevelOf(m: Measurement, t: Thresholds): Level {
  if (m.unit === 'mg/dL') return m.value >= t.glucoseHighMgPerDl ? 'high' : 'below';
  if (m.unit === 'mmol/L') return m.value >= t.glucoseHighMmolPerL ? 'high' : 'below';
  return 'unit-not-recognised';
}

const hba1cCutOffText = (t: Thresholds): string => `≥ ${compactNumber(t.hba1cHighPercent)} % / ≥ ${compactNumber(t.hba1cHighMmolPerMol)} mmol/mol`;
const glucoseCutOffText = (t: Thresholds): string => `≥ ${compactNumber(t.glucoseHighMgPerDl)} mg/dL / ≥ ${compactNumber(t.glucoseHighMmolPerL)} mmol/L`;

function levelNote(level: Level | undefined, cutOff: string): string {
  if (level === 'high') return ` (at or above ${cutOff})`;
  if (level === 'unit-not-recognised') return ' (unit not recognised: not compared with the cut-off)';
  return '';
}

// ---------------------------------------------------------------------------------------------
// Summary, suggestion, evidence

function summaryFor(s: { raised: boolean; noBaseline: boolean; labsReadable: boolean }, t: Thresholds, kind: SteroidSafetyCourse['kind']): string | undefined {
  const when = kind === 'drafted' ? 'before glucocorticoid therapy' : 'during glucocorticoid therapy';
  if (s.raised) return 'Glucocorticoids raise glucose; plan glucose monitoring / treatment adjustment.';
  if (s.noBaseline) return `No HbA1c in ${t.hba1cWindowDays} days or glucose in ${t.glucoseWindowDays} days: order ${kind === 'drafted' ? 'a baseline' : 'an'} HbA1c ${when}.`;
  if (!s.labsReadable) return `Glucose not assessed: laboratory results could not be read. Check glycaemia ${when}.`;
  return undefined;
}

/** patient-view: the active course the advice is about. */
function activeCourseLine(facts: PatientFacts): string {
  const { onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: start } = facts.medications;
  return weeks === undefined
    ? 'On an active systemic glucocorticoid (start date unknown).'
    : `On systemic glucocorticoids for ${weeks} weeks${start ? ` (current run since ${start.slice(0, 10)})` : ''}.`;
}

function hba1cSuggestion(facts: PatientFacts, kind: SteroidSafetyCourse['kind']): FindingSuggestion {
  const resource = buildServiceRequest({
    patientId: facts.patientId,
    coding: { ...HBA1C_LOINC },
    text: kind === 'drafted' ? 'HbA1c (baseline before glucocorticoid therapy)' : 'HbA1c (monitoring during glucocorticoid therapy)',
    category: 'laboratory',
  });
  return {
    label: kind === 'drafted' ? 'Order baseline HbA1c' : 'Order HbA1c',
    isRecommended: false,
    actions: [{ type: 'create', description: 'HbA1c (LOINC 4548-4)', resource }],
  };
}

/** The values used, or an explicit "none" / "not readable" so the card shows what was looked for. */
function evidenceFor(
  facts: PatientFacts,
  t: Thresholds,
  s: { hba1c: Measurement | undefined; glucose: Measurement | undefined; labsReadable: boolean },
): Evidence[] {
  const missing = s.labsReadable ? 'none' : 'not readable';
  const evidence: Evidence[] = [
    s.hba1c ? evidenceOf('HbA1c', s.hba1c) : { label: `HbA1c (last ${t.hba1cWindowDays} days)`, value: missing },
    s.glucose ? evidenceOf('Glucose', s.glucose) : { label: `Glucose (last ${t.glucoseWindowDays} days)`, value: missing },
  ];
  evidence.push(...facts.glycaemia.diabetesConditions.map((c) => conditionEvidence('Diabetes', c)));
  return evidence;
}
