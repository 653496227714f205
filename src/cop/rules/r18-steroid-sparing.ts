/**
 * COP-R18: steroid-sparing and rescue agents, information only (evidence: rituximab in
 * steroid-resistant COP, RTX-2015; the 2023 COP review, RADZ-2023).
 *
 * patient-view only. P-COP and (P-ON-GC-WEEKS ≥ 12 at a current PredEq ≥ 10 mg/day, or ≥ 2
 * recurrence/relapse records, or COP-R16's poor-response condition) → info. The R16 condition is
 * recomputed through its shared pure function, so the card does not depend on rule order.
 * No order suggestions: the evidence is case-level, and the agents are a specialist's choice.
 */
import { calendarDaysAgo } from '../../fhir/dates.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import type { ConditionFact, PatientFacts } from '../facts-types.js';
import { assessPoorResponse, orderEvidence } from './r16-poor-response.js';
import {
  activeGlucocorticoids, compactNumber, conditionRecordDay, copRelapseConditions, fitSummary, totalPredEqMgPerDay,
} from './shared.js';
import { P_ON_GC_WEEKS } from './predicate-thresholds.js';

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'patient-view' || !facts.cop.present) return undefined;
  const t = context.thresholds;
  const active = activeGlucocorticoids(facts);
  const weeks = facts.medications.onGlucocorticoidWeeks;
  const dose = totalPredEqMgPerDay(active);
  const reasons: string[] = [];
  const notes: string[] = [];
  let longCourse = false;

  if (weeks !== undefined && weeks >= t.steroidSparingMinWeeks) {
    if (dose !== undefined && dose >= t.steroidSparingMinMgPerDay) {
      longCourse = true;
      reasons.push(`${weeks} weeks on glucocorticoids, now at ${compactNumber(dose)} mg/day prednisone-equivalent`);
    } else if (dose === undefined) {
      notes.push(`On glucocorticoids for ${weeks} weeks, but the current daily dose could not be derived, so the ≥ ${compactNumber(t.steroidSparingMinMgPerDay)} mg/day criterion was not assessed.`);
    }
  }
  const relapseCount = facts.cop.relapseRecords;
  const relapseReason = relapseCount >= t.steroidSparingMinRelapses;
  if (relapseReason) reasons.push(`${relapseCount} COP relapse records`);
  if (assessPoorResponse(facts, context).status === 'met') reasons.push('limited response to glucocorticoids (see COP-R16)');
  if (reasons.length === 0) return undefined;

  return {
    ruleId: 'COP-R18',
    indicator: 'info',
    summary: fitSummary(
      'If long-term steroids are expected: a specialist may consider mycophenolate or azathioprine; rituximab only in a 4-patient series.',
      'Long-term steroids expected: a specialist may consider steroid-sparing agents (case-level evidence).',
    ),
    detail: [
      `Shown because: ${reasons.join('; ')}.`,
      ...notes,
      'Mycophenolate and azathioprine: case reports and expert opinion (Front Med review 2023); rituximab: a 4-patient series (Respiration 2015); no order is suggested.',
      'Azathioprine needs TPMT/NUDT15 testing first. Mycophenolate is teratogenic: pregnancy is checked at ordering.',
    ],
    // The weeks and the dose are in the line above; the data used are the order(s) with their start
    // and, when they are a reason, the relapse records with their dates.
    evidence: [
      ...(longCourse ? active.map((m) => ({ ...orderEvidence('Active order', m, context.now), value: m.name })) : []),
      ...(relapseReason ? latestRelapses(facts).map((c) => relapseEvidence(c, context.now)) : []),
    ],
    citations: ['RTX-2015', 'RADZ-2023'],
  };
}

/** The two latest relapse records: the line above gives their number. */
function latestRelapses(facts: PatientFacts): ConditionFact[] {
  return [...copRelapseConditions(facts)].sort((a, b) => (conditionRecordDay(b) ?? '').localeCompare(conditionRecordDay(a) ?? '')).slice(0, 2);
}

/** "COP relapse (2026-10-15, 41 days ago)": the record's status and the day it was recorded. */
function relapseEvidence(c: ConditionFact, now: Date): Evidence {
  const day = conditionRecordDay(c);
  const e: Evidence = { label: 'COP', value: c.clinicalStatus ?? 'relapse' };
  if (day) {
    e.date = day;
    const age = calendarDaysAgo(day, now);
    if (age !== undefined) e.ageDays = age;
  }
  if (c.reference) e.reference = c.reference;
  return e;
}

export const r18: Rule = {
  id: 'COP-R18',
  title: 'Steroid-sparing and rescue agents',
  purpose: 'A long course, repeated relapses or a poor response: information on steroid-sparing and rescue agents, with no order suggestion.',
  hooks: ['patient-view'],
  reads: ['conditions', 'meds', 'weight', 'encounter', 'oxygenation', 'pft'],
  thresholds: ['steroidSparingMinWeeks', 'steroidSparingMinMgPerDay', 'steroidSparingMinRelapses', ...P_ON_GC_WEEKS],
  citations: ['RTX-2015', 'RADZ-2023'],
  background: [
    'Shown on patient-view when a COP patient has been on glucocorticoids for ≥ 12 weeks at ≥ 10 mg/day prednisone-equivalent, has ≥ 2 recurrence/relapse records, or meets the poor-response criteria of COP-R16.',
    'Mycophenolate mofetil or azathioprine when long-term steroids are expected: case reports and expert opinion only (reviewed in Update on COP, Front Med 2023). A specialist decision; no order is suggested.',
    'Rituximab: in a 4-patient series of steroid-resistant or steroid-dependent COP, patients improved or reduced steroids (Respiration 2015; very low certainty).',
    'Azathioprine: assess TPMT/NUDT15 status before starting, per the product label. Mycophenolate is teratogenic (product label): pregnancy status and contraception are checked when it is ordered (COP-R19).',
  ],
  reviewNotes: ['The TPMT/NUDT15 and teratogenicity notes follow the product labels and await pharmacy sign-off.'],
  evaluate,
};
