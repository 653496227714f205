/**
 * COP-R08: possible secondary organizing pneumonia (cop-rules.md COP-R08).
 *
 * OP coded as cryptogenic (P-COP, or a BOOP/COP code that P-COP rejected because a secondary
 * cause is coded) while a CTD or malignancy Condition (P-SECONDARY, active or historical) is on
 * record. Secondary OP is treated through its cause and did worse in the cited series.
 * Runs on order-select and patient-view (decision 5).
 */
import type { ConditionFact, PatientFacts, SecondaryCauseKind } from '../facts-types.js';
import type { Finding, Rule, RuleContext } from '../rule-types.js';
import { conditionEvidence, fitSummary } from './shared.js';

type SecondaryCause = ConditionFact & { kind: SecondaryCauseKind };

const KIND_TEXT: Record<SecondaryCauseKind, string> = { ctd: 'connective tissue disease', malignancy: 'malignancy' };

/** The OP condition: BOOP counts here even when P-COP excludes it (that exclusion is this rule's point). */
const opCondition = (facts: PatientFacts): ConditionFact | undefined =>
  facts.cop.opCoded ?? (facts.cop.present ? facts.cop.condition : undefined);

/** The clinical date to show: onset, else recorded date, else the provenance date. */
const conditionDate = (c: ConditionFact): string | undefined => (c.onset ?? c.recordedDate ?? c.date)?.slice(0, 10);

function causeText(c: SecondaryCause): string {
  const date = conditionDate(c);
  return `${c.display ?? c.code}${date ? ` (${date})` : ''}`;
}

/** Name an active cause first: it is the likelier driver of the OP. */
function orderedCauses(causes: SecondaryCause[]): SecondaryCause[] {
  const isActive = (c: SecondaryCause): boolean => c.clinicalStatus === 'active';
  return [...causes.filter(isActive), ...causes.filter((c) => !isActive(c))];
}

function causeLine(c: SecondaryCause): string {
  const status = c.clinicalStatus ? `; ${c.clinicalStatus}` : '';
  return `- ${KIND_TEXT[c.kind]}: ${c.display ?? c.code} (${c.code}${status}; ${conditionDate(c) ?? 'date unknown'})`;
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  // Decision 5: order-select and patient-view, not order-sign.
  if (context.hook !== 'order-select' && context.hook !== 'patient-view') return undefined;
  const op = opCondition(facts);
  const causes = orderedCauses(facts.secondaryCauses);
  const named = causes[0];
  if (!op || !named) return undefined;
  // Shorter than the catalog's gist so that a typical condition name and date fit in 139 characters.
  const advice = 'Consider secondary OP: treat the cause; specialist review.';
  const summary = fitSummary(
    `OP coded as cryptogenic but ${causeText(named)} is recorded. ${advice}`,
    fitSummary(`OP coded as cryptogenic but ${KIND_TEXT[named.kind]} is recorded (${conditionDate(named) ?? 'date unknown'}). ${advice}`, `OP coded as cryptogenic but ${KIND_TEXT[named.kind]} is recorded. ${advice}`),
  );
  return {
    ruleId: 'COP-R08',
    indicator: 'warning',
    summary,
    detail: [
      `Recorded ${causes.length > 1 ? 'conditions' : 'condition'} suggesting a secondary cause:\n${causes.map(causeLine).join('\n')}`,
      'CTD-related OP had a lower complete-recovery rate than COP in one series (20.8% vs 46.1%; CTD-OP-2011), and secondary OP had lower 5-year survival than COP (44% vs 73%; LOHR-1997). Both are observational series.',
      'If the OP is secondary, treatment targets the underlying disease; the COP dosing advice may not apply. Consider specialist (respiratory / rheumatology / oncology) review.',
    ],
    evidence: [conditionEvidence('Organizing pneumonia', op), ...causes.map((c) => conditionEvidence(`Possible secondary cause (${KIND_TEXT[c.kind]})`, c))],
    citations: ['CTD-OP-2011', 'LOHR-1997'],
  };
}

export const r08: Rule = {
  id: 'COP-R08',
  title: 'Possible secondary organizing pneumonia',
  purpose: 'OP coded as cryptogenic while a connective-tissue disease or a malignancy is recorded: consider secondary OP and treat the cause.',
  hooks: ['order-select', 'patient-view'],
  reads: ['conditions'],
  thresholds: [],
  citations: ['CTD-OP-2011', 'LOHR-1997'],
  evaluate,
};
