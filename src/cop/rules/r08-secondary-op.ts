/**
 * COP-R08: possible secondary organizing pneumonia.
 *
 * OP coded as cryptogenic (P-COP, or a BOOP/COP code that P-COP rejected because a secondary
 * cause is coded) while a CTD or malignancy Condition (P-SECONDARY, active or historical) is on
 * record. Secondary OP is treated through its cause and did worse in the cited series.
 * Runs on order-select and patient-view (decision 5).
 */
import type { ConditionFact, PatientFacts, SecondaryCauseKind } from '../facts-types.js';
import { calendarDaysAgo } from '../../fhir/dates.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
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

/** At most this many causes are listed as data used; the rest are counted. */
const MAX_CAUSES_SHOWN = 2;

const KIND_LABEL: Record<SecondaryCauseKind, string> = { ctd: 'CTD', malignancy: 'Malignancy' };

/** "CTD Rheumatoid arthritis, active (2019-04-02, 2794 days ago)": the cause with its clinical date. */
function causeEvidence(c: SecondaryCause, now: Date): Evidence {
  const status = c.clinicalStatus ? `, ${c.clinicalStatus}` : '';
  const day = conditionDate(c);
  const e: Evidence = { label: KIND_LABEL[c.kind], value: `${c.display ?? c.code}${status}${day ? '' : ', date unknown'}` };
  if (day) {
    e.date = day;
    const age = calendarDaysAgo(day, now);
    if (age !== undefined) e.ageDays = age;
  }
  if (c.reference) e.reference = c.reference;
  return e;
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
  const shown = causes.slice(0, MAX_CAUSES_SHOWN);
  const more = causes.length - shown.length;
  return {
    ruleId: 'COP-R08',
    indicator: 'warning',
    summary,
    detail: [
      'CTD-related OP had a lower complete-recovery rate than COP (Rheumatology 2011), and secondary OP a lower 5-year survival (Lohr 1997); both observational series.',
      'If the OP is secondary, treat the underlying disease; the COP dosing advice may not apply.',
      ...(more > 0 ? [`${more} more possible ${more === 1 ? 'cause is' : 'causes are'} recorded.`] : []),
    ],
    // The causes with their clinical dates, the named one first: the key fact of the card.
    evidence: [...shown.map((c) => causeEvidence(c, context.now)), conditionEvidence('Organizing pneumonia', op)],
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
  background: [
    'CTD-related OP had a lower complete-recovery rate than COP in one series (20.8% vs 46.1%; COP vs CTD-OP, Rheumatology 2011), and secondary OP had a lower 5-year survival than COP (44% vs 73%; Lohr 1997). Both are observational series.',
    'If the OP is secondary, treatment targets the underlying disease and the COP dosing advice may not apply; consider respiratory, rheumatology or oncology review. The card lists up to two recorded causes, an active one first, and counts the others.',
  ],
  evaluate,
};
