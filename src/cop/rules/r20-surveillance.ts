/**
 * COP-R20: surveillance for evolving CTD or malignancy (evidence: the 2024 COP cohort, PMID
 * 39703446; Zhou 2019; Zhang, Ann Transl Med).
 *
 * patient-view only. P-COP, the patient first labelled COP within the last 3 years (the earliest
 * COP record's recordedDate, else its onset), and no P-SECONDARY → info, no suggestions. The
 * wording is "a minority (about 5–30% across series)", never the fragile single-cohort figure.
 * "At most once per 90 days" and the 24-hour override window are applied by the pipeline from
 * the feedback store (thresholds `surveillanceIntervalDays`, `overrideSuppressionHours`), not here.
 */
import { calendarDaysAgo, writtenDay } from '../../fhir/dates.js';
import type { ConditionFact, PatientFacts } from '../facts-types.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';

/** The calendar day of a FHIR date as written (decision 22; a partial date counts from its first day). */
const dayOf = (date: string | undefined): string | undefined => writtenDay(date);

/** The same calendar day `years` years before `now` (the site clock: the site's today); 29 February rolls to 1 March. */
export function yearsBefore(now: Date, years: number): string {
  return new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate())).toISOString().slice(0, 10);
}

/** When the patient was first labelled COP: the earliest record, else the P-COP condition. */
export function firstLabelled(facts: PatientFacts): { record: ConditionFact; day: string } | undefined {
  const record = facts.cop.firstRecord ?? facts.cop.condition;
  const day = record ? dayOf(record.recordedDate ?? record.onset) : undefined;
  return record && day ? { record, day } : undefined;
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'patient-view' || !facts.cop.present) return undefined;
  // P-SECONDARY: COP-R08 speaks instead.
  if (facts.secondaryCauses.length > 0) return undefined;
  const t = context.thresholds;
  const first = firstLabelled(facts);
  // An undated record cannot be placed in the window: no reminder rather than a guess.
  if (!first) return undefined;
  const since = yearsBefore(context.now, t.surveillanceRecentYears);
  if (first.day < since) return undefined;
  const recorded = Boolean(first.record.recordedDate);
  const evidence: Evidence = { label: recorded ? 'COP first recorded' : 'COP onset', value: first.record.display ?? first.record.code, date: first.day };
  const age = calendarDaysAgo(first.day, context.now);
  if (age !== undefined) evidence.ageDays = age;
  if (first.record.reference) evidence.reference = first.record.reference;
  return {
    ruleId: 'COP-R20',
    indicator: 'info',
    summary: 'A minority first labelled COP (about 5–30% across series) are later diagnosed with CTD or malignancy; re-evaluate if new features appear.',
    detail: [
      'No connective tissue disease or malignancy is recorded.',
      'In small series, 5 of 16 (COP cohort 2024), 4 of 87 (Zhou 2019) and 31 of 207 (Zhang, Ann Transl Med) patients first labelled COP were later found to have a secondary cause.',
      'Re-evaluate if new systemic features appear (joint, skin or muscle symptoms, Raynaud phenomenon, sicca, weight loss); consider CTD serology or a malignancy work-up.',
    ],
    evidence: [evidence],
    citations: ['PMID-39703446', 'ZHOU-2019', 'ZHANG-ATM'],
  };
}

export const r20: Rule = {
  id: 'COP-R20',
  title: 'Surveillance for evolving CTD or malignancy',
  purpose: 'COP recorded within the last years and no secondary cause coded: a minority are later found to have a connective-tissue disease or a malignancy; re-evaluate if systemic features appear.',
  hooks: ['patient-view'],
  reads: ['conditions'],
  thresholds: ['surveillanceRecentYears', 'surveillanceIntervalDays'],
  citations: ['PMID-39703446', 'ZHOU-2019', 'ZHANG-ATM'],
  oncePerInterval: true,
  background: [
    'A minority of patients first labelled COP (about 5–30% across small series) are later diagnosed with connective tissue disease or malignancy: 5 of 16 in a small prospective cohort followed for 3 years (PMID 39703446), 4 of 87 later diagnosed with autoimmune OP (Zhou 2019), 31 of 207 reclassified as secondary OP (Zhang, Ann Transl Med). The single-cohort figure is fragile and is not shown as a rate.',
    'The card is shown on patient-view while COP was first recorded within the last 3 years and no secondary cause is coded, at most once per surveillance interval.',
  ],
  evaluate,
};
