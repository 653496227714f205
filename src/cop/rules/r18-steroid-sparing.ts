/**
 * COP-R18: steroid-sparing and rescue agents, information only (cop-rules.md COP-R18;
 * evidence §2 #13, #14).
 *
 * patient-view only. P-COP and (P-ON-GC-WEEKS ≥ 12 at a current PredEq ≥ 10 mg/day, or ≥ 2
 * recurrence/relapse records, or COP-R16's poor-response condition) → info. The R16 condition is
 * recomputed through its shared pure function, so the card does not depend on rule order.
 * No order suggestions: the evidence is case-level, and the agents are a specialist's choice.
 */
import type { Finding, Rule, RuleContext } from '../rule-types.js';
import type { PatientFacts } from '../facts-types.js';
import { assessPoorResponse } from './r16-poor-response.js';
import {
  activeGlucocorticoids, compactNumber, conditionEvidence, copRelapseConditions, fitSummary, glucocorticoidRunEvidence,
  medicationEvidence, totalPredEqMgPerDay,
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

  if (weeks !== undefined && weeks >= t.steroidSparingMinWeeks) {
    if (dose !== undefined && dose >= t.steroidSparingMinMgPerDay) {
      reasons.push(`on systemic glucocorticoids for ${weeks} weeks, now at ${compactNumber(dose)} mg/day prednisone-equivalent (≥ ${compactNumber(t.steroidSparingMinMgPerDay)} mg/day for ≥ ${t.steroidSparingMinWeeks} weeks)`);
    } else if (dose === undefined) {
      notes.push(`On glucocorticoids for ${weeks} weeks, but the current daily dose could not be derived, so the ≥ ${compactNumber(t.steroidSparingMinMgPerDay)} mg/day criterion was not assessed.`);
    }
  }
  const relapseCount = facts.cop.relapseRecords;
  if (relapseCount >= t.steroidSparingMinRelapses) reasons.push(`${relapseCount} COP recurrence/relapse records`);
  if (assessPoorResponse(facts, context).status === 'met') reasons.push('limited response to glucocorticoids (see COP-R16)');
  if (reasons.length === 0) return undefined;

  const run = glucocorticoidRunEvidence(facts);
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
      'Mycophenolate mofetil or azathioprine when long-term steroids are expected: case reports and expert opinion only (reviewed in RADZ-2023). A specialist decision; no order is suggested.',
      'Rituximab: in a 4-patient series of steroid-resistant or steroid-dependent COP, patients improved or reduced steroids (RTX-2015; very low certainty).',
      'Azathioprine: assess TPMT/NUDT15 status before starting, per the product label (pending pharmacy sign-off).',
      'Mycophenolate is teratogenic (product label; pending pharmacy sign-off): pregnancy status and contraception are checked when it is ordered (COP-R19).',
    ],
    evidence: [
      ...active.map((m) => medicationEvidence('Active glucocorticoid', m)),
      ...(run ? [run] : []),
      ...copRelapseConditions(facts).map((c) => conditionEvidence('COP recurrence/relapse', c)),
    ],
    citations: ['RTX-2015', 'RADZ-2023'],
  };
}

export const r18: Rule = {
  id: 'COP-R18',
  title: 'Steroid-sparing and rescue agents',
  purpose: 'A long course, repeated relapses or a poor response: information on steroid-sparing and rescue agents, with no order suggestion.',
  hooks: ['patient-view'],
  reads: ['conditions', 'meds', 'weight', 'encounter', 'oxygenation', 'pft'],
  thresholds: ['steroidSparingMinWeeks', 'steroidSparingMinMgPerDay', 'steroidSparingMinRelapses', ...P_ON_GC_WEEKS],
  citations: ['RTX-2015', 'RADZ-2023'],
  evaluate,
};
