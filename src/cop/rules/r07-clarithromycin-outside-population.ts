/**
 * COP-R07: clarithromycin drafted for COP outside the studied population (cop-rules.md COP-R07).
 *
 * The clarithromycin data (RADZ-2017, RADZ-ERS-2016) come from patients without respiratory
 * insufficiency and with preserved lung function. Each gate that fails gives a warning, each gate
 * that could not be assessed an info (unknown ≠ normal); the highest indicator wins and every
 * reason is listed. Runs on order-sign, and on order-select when the selected draft is
 * clarithromycin (decision 4). Pregnancy unknown is left to COP-R19's card (decision 20); each
 * line states the recorded facts with their dates (decision 21).
 */
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import type { Evidence, Finding, Indicator, OverrideReason, Rule, RuleContext } from '../rule-types.js';
import type { Thresholds } from '../knowledge.js';
import { pftValuesText, respiratoryInsufficiencyFindings } from './clarithromycin-gates.js';
import { compactNumber, conditionEvidence, evidenceOf, fitSummary, highestIndicator, medicationEvidence, pregnancyEvidence, pregnancyStatusText } from './shared.js';
import { CLARITHROMYCIN_GATES } from './predicate-thresholds.js';

export const R07_OVERRIDE_REASONS: OverrideReason[] = [
  { code: 'specialist-decision', display: 'Specialist decision: benefit outweighs the uncertainty' },
  { code: 'data-not-current', display: 'Recorded data not current: patient reassessed' },
  { code: 'glucocorticoid-unsuitable', display: 'Glucocorticoids contraindicated or declined' },
];

/** One reason the patient falls outside the studied population (or could not be checked). */
interface Reason {
  indicator: Indicator;
  /** A short noun phrase for the summary. */
  short: string;
  /** The full explanation for the detail. */
  line: string;
}

function clarithromycinDrafts(facts: PatientFacts, context: RuleContext): MedicationFact[] {
  const drafts = facts.medications.drafts.filter((m) => m.classes.includes('clarithromycin'));
  if (context.hook === 'order-sign') return drafts;
  // order-select: only when the order just chosen is clarithromycin (decision 4).
  if (context.hook === 'order-select') return drafts.filter((m) => m.selected);
  return [];
}

function respiratoryReason(facts: PatientFacts, th: Thresholds): Reason | undefined {
  const ox = facts.oxygenation;
  if (ox.respiratoryInsufficiency === 'present') {
    // Decision 21: the recorded readings with their dates, not the extractor's working notes.
    const findings = respiratoryInsufficiencyFindings(facts, th);
    return { indicator: 'warning', short: 'respiratory insufficiency', line: `Respiratory insufficiency present${findings.length > 0 ? `: ${findings.join('; ')}` : ''}.` };
  }
  if (ox.respiratoryInsufficiency === 'absent') return undefined;
  const line = ox.domain === 'unavailable'
    ? 'Oxygenation data could not be read: respiratory insufficiency not assessed.'
    : `Respiratory insufficiency not assessed: no SpO2/PaO2 in the last ${th.oxygenationWindowDays} days.`;
  return { indicator: 'info', short: 'oxygenation not assessed', line };
}

function pftReason(facts: PatientFacts, th: Thresholds): Reason | undefined {
  const pft = facts.pft;
  const limits = `studied range: FVC > ${th.fvcPercentPredictedMin}% and FEV1 > ${th.fev1PercentPredictedMin}% predicted`;
  if (pft.preserved === 'false') {
    return { indicator: 'warning', short: 'reduced lung function', line: `Lung function not preserved: ${pftValuesText(facts)} (${limits}).` };
  }
  if (pft.preserved === 'true') return undefined;
  let line: string;
  if (pft.domain === 'unavailable') line = 'PFT results could not be read: lung function not assessed.';
  else if (pft.absoluteOnly) line = 'Only absolute FVC/FEV1 recorded; predicted values are not computed, so lung function was not assessed.';
  else if (!pft.fvcPercentPredicted && !pft.fev1PercentPredicted) line = `Lung function not assessed: no FVC or FEV1 % predicted within ${th.pftWindowDays} days (${limits}).`;
  else line = `Lung function not assessed: ${pftValuesText(facts)}, both needed within ${th.pftWindowDays} days (${limits}).`;
  return { indicator: 'info', short: 'lung function not assessed', line };
}

/**
 * Pregnant → a warning reason. Pregnancy unknown is not a reason here: COP-R19 runs on the same
 * hooks, judges the same clarithromycin drafts and fires whenever P-PREGNANT is unknown, asking for
 * the pregnancy test; one fact is said by one card (decision 20). This card then only points there.
 */
function pregnancyReason(facts: PatientFacts): Reason | undefined {
  if (facts.pregnancy.status !== 'yes') return undefined;
  return {
    indicator: 'warning',
    short: 'pregnant',
    line: `Pregnancy status: ${pregnancyStatusText(facts)}; pregnant patients were not in the studied population.`,
  };
}

const PREGNANCY_UNKNOWN_NOTE = '- Pregnancy status unknown (see the pregnancy safety card).';

function evidenceFor(facts: PatientFacts, drafts: MedicationFact[]): Evidence[] {
  const { oxygenation: ox, pft } = facts;
  const evidence: Evidence[] = drafts.map((d) => medicationEvidence('Drafted clarithromycin', d));
  const spo2 = ox.spo2[0];
  if (spo2) evidence.push({ ...evidenceOf('SpO2', spo2, 0), value: `${compactNumber(spo2.value)}% ${spo2.onSupplementalOxygen ? 'on supplemental oxygen' : 'on room air'}` });
  const pao2 = ox.pao2[0];
  if (pao2) evidence.push({ ...evidenceOf('PaO2', pao2, 0), value: `${compactNumber(pao2.value, 0)} mmHg` });
  evidence.push(...ox.respiratoryFailureConditions.map((c) => conditionEvidence('Respiratory failure', c)));
  if (pft.fvcPercentPredicted) evidence.push(evidenceOf('FVC % predicted', pft.fvcPercentPredicted, 0));
  if (pft.fev1PercentPredicted) evidence.push(evidenceOf('FEV1 % predicted', pft.fev1PercentPredicted, 0));
  evidence.push(...pregnancyEvidence(facts));
  return evidence;
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (!facts.cop.present) return undefined;
  const drafts = clarithromycinDrafts(facts, context);
  if (drafts.length === 0) return undefined;
  const th = context.thresholds;
  const reasons = [respiratoryReason(facts, th), pftReason(facts, th), pregnancyReason(facts)].filter((r): r is Reason => r !== undefined);
  if (reasons.length === 0) return undefined;
  const list = reasons.map((r) => r.short).join(', ');
  const summary = fitSummary(
    `Clarithromycin for COP was studied without respiratory insufficiency, with preserved lung function; here: ${list}.`,
    fitSummary(`Clarithromycin drafted outside the studied COP population: ${list}.`, 'Clarithromycin drafted outside the studied COP population (see detail).'),
  );
  return {
    ruleId: 'COP-R07',
    indicator: highestIndicator(reasons.map((r) => r.indicator)),
    summary,
    detail: [
      'Clarithromycin data in COP come from patients without respiratory insufficiency and with preserved lung function; this patient:',
      [...reasons.map((r) => `- ${r.line}`), ...(facts.pregnancy.status === 'unknown' ? [PREGNANCY_UNKNOWN_NOTE] : [])].join('\n'),
      'Evidence is observational: one retrospective comparison of milder patients, some of whom did not respond (Radzikowska 2017); a 12-week clarithromycin + prednisone regimen showed no benefit (GERM"O"P 2018).',
    ],
    evidence: evidenceFor(facts, drafts),
    overrideReasons: R07_OVERRIDE_REASONS,
    citations: ['RADZ-2017', 'RADZ-ERS-2016', 'GERMOP-2018'],
  };
}

export const r07: Rule = {
  id: 'COP-R07',
  title: 'Clarithromycin drafted for COP outside the studied population',
  purpose: 'Clarithromycin drafted for a patient with respiratory insufficiency, impaired lung function or pregnancy → warning; a gate unknown → info.',
  hooks: ['order-select', 'order-sign'],
  reads: ['patient', 'conditions', 'oxygenation', 'pft', 'pregnancy'],
  thresholds: [...CLARITHROMYCIN_GATES],
  citations: ['RADZ-2017', 'RADZ-ERS-2016', 'GERMOP-2018'],
  overrideReasons: R07_OVERRIDE_REASONS,
  evaluate,
};
