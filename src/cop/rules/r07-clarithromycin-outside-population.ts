/**
 * COP-R07: clarithromycin drafted for COP outside the studied population.
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
import { fitSummary, highestIndicator, medicationEvidence, pregnancyStatusText } from './shared.js';
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
    // The first finding (a low PaO2, else SpO2, else a condition) says enough; the others are counted.
    const findings = respiratoryInsufficiencyFindings(facts, th);
    const more = findings.length > 1 ? `, and ${findings.length - 1} more ${findings.length === 2 ? 'finding' : 'findings'}` : '';
    return { indicator: 'warning', short: 'respiratory insufficiency', line: `Respiratory insufficiency present${findings.length > 0 ? `: ${findings[0]}${more}` : ''}.` };
  }
  if (ox.respiratoryInsufficiency === 'absent') return undefined;
  const line = ox.domain === 'unavailable'
    ? 'Oxygenation data could not be read: respiratory insufficiency not assessed.'
    : `Respiratory insufficiency not assessed: no SpO2/PaO2 in the last ${th.oxygenationWindowDays} days.`;
  return { indicator: 'info', short: 'oxygenation not assessed', line };
}

function pftReason(facts: PatientFacts, th: Thresholds): Reason | undefined {
  const pft = facts.pft;
  const limits = `studied: FVC > ${th.fvcPercentPredictedMin}% and FEV1 > ${th.fev1PercentPredictedMin}%`;
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
    line: `Pregnancy status: ${pregnancyStatusText(facts)}: not studied in pregnancy.`,
  };
}

const PREGNANCY_UNKNOWN_NOTE = '- Pregnancy status unknown (see the pregnancy safety card).';

/**
 * The drafted order(s). The readings and the pregnancy record each reason rests on are stated with
 * their dates in the reason lines (decision 21), so they are not repeated as data used.
 */
function evidenceFor(drafts: MedicationFact[]): Evidence[] {
  return drafts.map((d) => medicationEvidence('Draft', d));
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (!facts.cop.present) return undefined;
  const drafts = clarithromycinDrafts(facts, context);
  if (drafts.length === 0) return undefined;
  const th = context.thresholds;
  const reasons = [respiratoryReason(facts, th), pftReason(facts, th), pregnancyReason(facts)].filter((r): r is Reason => r !== undefined);
  if (reasons.length === 0) return undefined;
  const list = reasons.map((r) => r.short).join(', ');
  const indicator = highestIndicator(reasons.map((r) => r.indicator));
  const action = indicator === 'info' ? 'check before relying on it.' : 'reconsider the choice.';
  const summary = fitSummary(
    `Clarithromycin drafted outside the studied COP population (${list}): ${action}`,
    fitSummary(`Clarithromycin outside the studied COP population (${list}): ${action}`, `Clarithromycin drafted outside the studied COP population: ${action}`),
  );
  return {
    ruleId: 'COP-R07',
    indicator,
    summary,
    detail: [
      [...reasons.map((r) => `- ${r.line}`), ...(facts.pregnancy.status === 'unknown' ? [PREGNANCY_UNKNOWN_NOTE] : [])].join('\n'),
      'The observational data come from milder patients without respiratory insufficiency, with preserved lung function; some did not respond (Radzikowska 2017).',
    ],
    evidence: evidenceFor(drafts),
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
  background: [
    'The clarithromycin data in COP (Radzikowska 2017, retrospective; congress abstract Radzikowska 2016) come from patients without respiratory insufficiency and with preserved lung function, who were milder than those given prednisone; some did not respond. The lung-function limits used here (FVC > 80% and FEV1 > 70% predicted by default) are stricter than the abstract\'s ROC cut-offs (FVC > 78%, FEV1 > 63%).',
    'A 12-week clarithromycin + prednisone regimen showed no benefit over 24-week prednisone alone (GERM"O"P 2018).',
    'Pregnancy status unknown is left to the pregnancy safety card (COP-R19), which asks for the test; this card only points to it.',
  ],
  evaluate,
};
