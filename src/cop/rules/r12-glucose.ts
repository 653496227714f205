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
  compactNumber, quantityText, evidenceWithProvenance, isWithinDays, steroidSafetyCourse, suggestToAdultsOnly, type SteroidSafetyCourse,
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
  background: [
    'Glucocorticoids raise blood glucose. Before a course (order-sign) or during one (patient-view), with no HbA1c in the last 90 days and no glucose ' +
      'in the last 30 days, the card suggests an HbA1c (LOINC 4548-4).',
    'Known diabetes, an HbA1c ≥ 6.5% (≥ 48 mmol/mol) or a glucose ≥ 200 mg/dL (≥ 11.1 mmol/L) gives a warning to plan glucose monitoring and ' +
      'treatment adjustment. Each value is compared in its own unit; a value in an unrecognised unit is not compared, and is never read as normal.',
    'When laboratory results cannot be read, glucose is reported as not assessed (unknown, not normal) and no order is suggested.',
    'Steroid side effects were reported in 25% of patients in LAZOR-2000 and 53% in RADZ-ERS-2016; glucose monitoring follows standard practice, ' +
      'no primary COP source was checked for it.',
  ],
  reviewNotes: ['The HbA1c and glucose cut-offs are the conventional diagnostic values, not independently verified for glucocorticoid therapy.'],
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

  const summary = summaryFor({ raised, noBaseline, labsReadable }, t, course.kind);
  if (!summary) return undefined;

  // The values and dates are in the data line (labs that could not be read: "not readable"), the
  // summary says what to do; the text says what the values mean.
  const detail: string[] = [];
  if (!labsReadable && raised) detail.push('Laboratory results could not be read: HbA1c and glucose not assessed.');
  const high = [
    ...(hba1c && hba1cLevel === 'high' ? [{ name: 'HbA1c', cutOff: hba1cCutOff(hba1c, t) }] : []),
    ...(glucose && glucoseLevel === 'high' ? [{ name: 'glucose', cutOff: glucoseCutOff(glucose, t) }] : []),
  ];
  const findings = [
    ...(g.diabetesConditions.length > 0 ? ['diabetes recorded'] : []),
    ...(high.length > 0 ? [`${high.map((h) => h.name).join(' and ')} at or above the diabetes cut-off${high.length > 1 ? 's' : ''} (${high.map((h) => h.cutOff).join(', ')})`] : []),
    ...(hba1cLevel === 'unit-not-recognised' ? ['HbA1c unit not recognised (not compared with the cut-off)'] : []),
    ...(glucoseLevel === 'unit-not-recognised' ? ['glucose unit not recognised (not compared with the cut-off)'] : []),
  ];
  if (findings.length > 0) detail.push(`${capitalise(findings.join('; '))}.`);
  detail.push(raised
    ? 'Glucocorticoids raise blood glucose: check it regularly during therapy and adjust diabetes treatment.'
    : `Glucocorticoids raise blood glucose: ${course.kind === 'drafted' ? 'a baseline before therapy shows pre-existing diabetes' : 'check it during therapy'}.`);

  const finding: Finding = {
    ruleId: 'COP-R12',
    indicator: raised ? 'warning' : 'info',
    summary,
    detail,
    evidence: evidenceFor(facts, t, { hba1c, glucose, labsReadable }),
    citations: ['STEROID-TOXICITY'],
  };
  if (noBaseline) suggestToAdultsOnly(finding, facts, () => [hba1cSuggestion(facts, course.kind)]);
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

/** The cut-off in the value's own unit: "≥ 6.5%", "≥ 48 mmol/mol", "≥ 200 mg/dL", "≥ 11.1 mmol/L". */
const hba1cCutOff = (m: Measurement, t: Thresholds): string =>
  m.unit === 'mmol/mol' ? `≥ ${compactNumber(t.hba1cHighMmolPerMol)} mmol/mol` : `≥ ${compactNumber(t.hba1cHighPercent)}%`;
const glucoseCutOff = (m: Measurement, t: Thresholds): string =>
  m.unit === 'mmol/L' ? `≥ ${compactNumber(t.glucoseHighMmolPerL)} mmol/L` : `≥ ${compactNumber(t.glucoseHighMgPerDl)} mg/dL`;

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

// ---------------------------------------------------------------------------------------------
// Summary, suggestion, evidence

function summaryFor(s: { raised: boolean; noBaseline: boolean; labsReadable: boolean }, t: Thresholds, kind: SteroidSafetyCourse['kind']): string | undefined {
  const when = kind === 'drafted' ? 'before glucocorticoid therapy' : 'during glucocorticoid therapy';
  if (s.raised) return 'Glucocorticoids raise glucose; plan glucose monitoring / treatment adjustment.';
  if (s.noBaseline) return `No HbA1c in ${t.hba1cWindowDays} days or glucose in ${t.glucoseWindowDays} days: order ${kind === 'drafted' ? 'a baseline' : 'an'} HbA1c ${when}.`;
  if (!s.labsReadable) return `Glucose not assessed: laboratory results could not be read. Check glycaemia ${when}.`;
  return undefined;
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

/** The values used (as people write them: "212 mg/dL"), or an explicit "none" / "not readable" so the card shows what was looked for. */
function evidenceFor(
  facts: PatientFacts,
  t: Thresholds,
  s: { hba1c: Measurement | undefined; glucose: Measurement | undefined; labsReadable: boolean },
): Evidence[] {
  const missing = s.labsReadable ? 'none' : 'not readable';
  const value = (m: Measurement): string => quantityText(compactNumber(m.value), m.unit);
  const evidence: Evidence[] = [
    s.hba1c ? evidenceWithProvenance('HbA1c', value(s.hba1c), s.hba1c) : { label: `HbA1c (last ${t.hba1cWindowDays} days)`, value: missing },
    s.glucose ? evidenceWithProvenance('Glucose', value(s.glucose), s.glucose) : { label: `Glucose (last ${t.glucoseWindowDays} days)`, value: missing },
  ];
  evidence.push(...facts.glycaemia.diabetesConditions.map((c) => evidenceWithProvenance(c.display ?? c.code, 'recorded', c)));
  return evidence;
}
