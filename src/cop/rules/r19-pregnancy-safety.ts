/**
 * COP-R19: pregnancy safety for non-steroid agents.
 *
 * A drafted clarithromycin, mycophenolate, azathioprine or rituximab while P-PREGNANT is yes or
 * unknown. One card at most (decision 7): the most severe agent drives the indicator and every
 * agent is named. No P-COP gate: pregnancy safety does not depend on the indication.
 *
 * ⚠ The severities follow product labelling and were not independently re-verified; pharmacy
 * must sign off before go-live.
 */
import type { MedicationClass, MedicationFact, PatientFacts } from '../facts-types.js';
import type { Finding, FindingSuggestion, Indicator, OverrideReason, Rule, RuleContext } from '../rule-types.js';
import { buildServiceRequest } from '../service-orders.js';
import { fitSummary, highestIndicator, INDICATOR_RANK, medicationEvidence, pregnancyStatusText } from './shared.js';
import { P_PREGNANT } from './predicate-thresholds.js';

type Agent = Extract<MedicationClass, 'mycophenolate' | 'clarithromycin' | 'rituximab' | 'azathioprine'>;
type CheckedStatus = 'yes' | 'unknown';

/** Most to least severe, so a drug in several classes is judged by its worst. */
const AGENTS: readonly Agent[] = ['mycophenolate', 'clarithromycin', 'rituximab', 'azathioprine'];

/**
 * ⚠ Indicators follow product labelling, not re-verified here (pharmacy sign-off pending).
 * The catalog is silent on clarithromycin/rituximab/azathioprine with unknown status: `info`,
 * a prompt to confirm status, below the mycophenolate-unknown warning (a teratogen with a
 * labelled pregnancy-testing requirement).
 */
export const R19_INDICATORS: Record<Agent, Record<CheckedStatus, Indicator>> = {
  mycophenolate: { yes: 'critical', unknown: 'warning' },
  clarithromycin: { yes: 'warning', unknown: 'info' },
  rituximab: { yes: 'warning', unknown: 'info' },
  azathioprine: { yes: 'info', unknown: 'info' },
};

const AGENT_NAME: Record<Agent, string> = {
  mycophenolate: 'Mycophenolate',
  clarithromycin: 'Clarithromycin',
  rituximab: 'Rituximab',
  azathioprine: 'Azathioprine',
};

/** What the product labelling says, in a line; ⚠ wording to be confirmed by pharmacy. */
const LABEL_NOTE: Record<Agent, string> = {
  mycophenolate: 'labelled embryofetal toxicity (pregnancy loss, malformations); pregnancy testing and contraception required',
  clarithromycin: 'labelling advises against use in pregnancy unless no alternative is suitable',
  rituximab: 'labelling advises avoiding pregnancy during and after treatment (neonatal B-cell depletion)',
  azathioprine: 'possible fetal harm per labelling; use in pregnancy is a specialist decision',
};

export const R19_OVERRIDE_REASONS: OverrideReason[] = [
  { code: 'pregnancy-excluded', display: 'Pregnancy excluded (result not yet in the record)' },
  { code: 'contraception-confirmed', display: 'Effective contraception confirmed' },
  { code: 'specialist-benefit-risk', display: 'Specialist decision: benefit outweighs risk' },
];

interface FlaggedDraft {
  med: MedicationFact;
  agent: Agent;
  indicator: Indicator;
}

function agentOf(med: MedicationFact): Agent | undefined {
  return AGENTS.find((a) => med.classes.includes(a));
}

function candidateDrafts(facts: PatientFacts, context: RuleContext): MedicationFact[] {
  // order-select judges the order just chosen; order-sign judges every draft.
  if (context.hook === 'order-select') return facts.medications.drafts.filter((m) => m.selected);
  if (context.hook === 'order-sign') return facts.medications.drafts;
  return [];
}

function flagged(drafts: MedicationFact[], status: CheckedStatus): FlaggedDraft[] {
  const result: FlaggedDraft[] = [];
  for (const med of drafts) {
    const agent = agentOf(med);
    if (agent) result.push({ med, agent, indicator: R19_INDICATORS[agent][status] });
  }
  // Most severe first, so the summary leads with the drug that drives the indicator.
  const rank = (f: FlaggedDraft): number => INDICATOR_RANK[f.indicator] * AGENTS.length + (AGENTS.length - AGENTS.indexOf(f.agent));
  return result.sort((a, b) => rank(b) - rank(a));
}

function namesOf(items: FlaggedDraft[]): string[] {
  return [...new Set(items.map((f) => AGENT_NAME[f.agent]))];
}

function joinNames(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

const PREGNANT_ADVICE: Record<Indicator, string> = {
  critical: 'labelled teratogen; avoid without specialist review.',
  warning: 'labelling advises against use in pregnancy; review.',
  info: 'specialist decision; check the product labelling.',
};

function summaryFor(items: FlaggedDraft[], status: CheckedStatus, indicator: Indicator): string {
  const names = namesOf(items);
  if (status === 'unknown') {
    const action = indicator === 'info' ? 'confirm pregnancy status before prescribing.' : 'confirm pregnancy status / contraception.';
    return fitSummary(`${joinNames(names)} drafted; pregnancy status unknown: ${action}`, `Pregnancy status unknown for a drafted non-steroid agent: ${action}`);
  }
  // The driver's advice must not be read as applying to the milder agents: name those apart.
  const [driver, ...others] = names;
  const main = `${driver} drafted for a pregnant patient: ${PREGNANT_ADVICE[indicator]}`;
  if (others.length === 0) return main;
  return fitSummary(`${main} Also: ${joinNames(others)}.`, `${main} (+${others.length} more, see detail)`);
}

/**
 * The status with the last recorded status and its date, even outside the window (decision 15):
 * "Pregnancy status: pregnant, 2026-10-31 (31 days ago)." / "Pregnancy status: unknown; last
 * recorded not pregnant, 2026-09-01 (91 days ago: too old to rule out pregnancy)."
 */
function statusLine(facts: PatientFacts): string {
  return `Pregnancy status: ${pregnancyStatusText(facts)}.`;
}

function pregnancyTestSuggestion(facts: PatientFacts): FindingSuggestion {
  return {
    label: 'Order pregnancy test',
    isRecommended: false,
    actions: [{
      type: 'create',
      description: 'Order a pregnancy test (hCG)',
      // No LOINC/SNOMED orderable for a pregnancy test is confirmed: text only, mapped locally.
      resource: buildServiceRequest({
        patientId: facts.patientId,
        text: 'Pregnancy test (hCG)',
        category: 'laboratory',
        note: 'Pregnancy status unknown before starting a drug that can harm a pregnancy: result needed before signing.',
      }),
    }],
  };
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  const status = facts.pregnancy.status;
  if (status !== 'yes' && status !== 'unknown') return undefined;
  const items = flagged(candidateDrafts(facts, context), status);
  if (items.length === 0) return undefined;
  const indicator = highestIndicator(items.map((f) => f.indicator));
  const detail = [
    statusLine(facts),
    // The drafted products and doses are the data used, below.
    items.map((f) => `- **${AGENT_NAME[f.agent]}**: ${LABEL_NOTE[f.agent]}.`).join('\n'),
  ];
  const finding: Finding = {
    ruleId: 'COP-R19',
    indicator,
    summary: summaryFor(items, status, indicator),
    detail,
    // The drafted products: the agent lines name the agents, and the dose does not change the advice.
    // The pregnancy status is the first line, with its dates (decision 15), so it is not repeated.
    evidence: items.map((f) => ({ ...medicationEvidence('Draft', f.med), value: f.med.name })),
    overrideReasons: R19_OVERRIDE_REASONS,
    citations: ['PREGNANCY-LABELLING'],
  };
  if (status === 'unknown') finding.suggestions = [pregnancyTestSuggestion(facts)];
  return finding;
}

export const r19: Rule = {
  id: 'COP-R19',
  title: 'Pregnancy safety for non-steroid agents',
  purpose: 'Clarithromycin, mycophenolate, azathioprine or rituximab drafted while pregnant or with pregnancy status unknown: info to critical by agent.',
  hooks: ['order-select', 'order-sign'],
  reads: ['patient', 'pregnancy', 'conditions'],
  thresholds: [...P_PREGNANT],
  citations: ['PREGNANCY-LABELLING'],
  overrideReasons: R19_OVERRIDE_REASONS,
  background: [
    'Product labelling: mycophenolate carries labelled embryofetal toxicity (pregnancy loss, congenital malformations) and the label requires pregnancy testing and contraception; clarithromycin labelling advises against use in pregnancy unless no alternative is appropriate; rituximab labelling advises avoiding pregnancy during and after treatment (B-cell depletion in the newborn); azathioprine labelling notes possible fetal harm, so use in pregnancy is a specialist decision.',
    'Pregnancy status is taken from the latest pregnancy-status observation (pregnant within 280 days unless a later result or a resolved pregnancy says otherwise; not pregnant only within 30 days) or an active pregnancy condition. The card shows the last recorded status with its date, even outside those windows.',
  ],
  reviewNotes: [
    'Severities by agent follow product labelling and were not re-verified: pharmacy sign-off.',
    'The suggested pregnancy test is a text-only order: no standard code is confirmed, so each site maps it to its local pregnancy test orderable.',
  ],
  evaluate,
};
