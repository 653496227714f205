/**
 * COP-R04: existing systemic glucocorticoid / duplicate order (cop-rules.md COP-R04, decision 4).
 *
 * - Duplicate (warning + `delete` of the newer draft): a systemic GC draft while a *different*
 *   active GC exists, or two systemic GC drafts at once.
 * - Info (no suggestion): an active GC and no GC draft, so the clinician adjusts the existing order.
 * - A renewal is not a duplicate (decision 14): a draft whose `priorPrescription` references an
 *   active order replaces it, so that order is left out of the duplicate check.
 */
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import type { Evidence, Finding, FindingSuggestion, OverrideReason, Rule, RuleContext } from '../rule-types.js';
import {
  activeGlucocorticoids,
  compactNumber,
  conditionEvidence,
  draftGlucocorticoids,
  evidenceOf,
  fitSummary,
  medicationEvidence,
  mgPerKgText,
  totalPredEqMgPerDay,
  unidentifiedActiveOrders,
  unidentifiedOrderText,
  usableWeight,
} from './shared.js';
import { replacedOrderReferences } from './renewal.js';
import { P_WEIGHT } from './predicate-thresholds.js';

export const DUPLICATE_OVERRIDE_REASONS: OverrideReason[] = [
  { code: 'intentional-switch', display: 'intentional switch (existing will be stopped)' },
  { code: 'intentional-combination', display: 'intentional combination' },
];

/** The draft to remove and the orders it duplicates. */
interface Duplicate {
  draft: MedicationFact;
  activeOthers: MedicationFact[];
  draftOthers: MedicationFact[];
}

/** "prednisone 10 mg/day", "methylprednisolone (dose unknown)": ingredient reads better than the SCD name. */
function gcDoseText(med: MedicationFact): string {
  const drug = med.glucocorticoid ?? med.name;
  return med.dailyDose ? `${drug} ${compactNumber(med.dailyDose.mgPerDay)} mg/day` : `${drug} (dose unknown)`;
}

function findDuplicate(hook: RuleContext['hook'], drafts: MedicationFact[], active: MedicationFact[]): Duplicate | undefined {
  let draft: MedicationFact | undefined;
  // order-select is about the order just chosen; other drafts were judged when they were chosen.
  if (hook === 'order-select') draft = drafts.find((d) => d.selected);
  // order-sign: the later draft in the bundle is the one most likely added by mistake.
  else if (hook === 'order-sign') draft = drafts.at(-1);
  if (!draft) return undefined;
  const draftOthers = drafts.filter((d) => d !== draft);
  if (active.length === 0 && draftOthers.length === 0) return undefined;
  return { draft, activeOthers: active, draftOthers };
}

function removeDraftSuggestion(draft: MedicationFact): FindingSuggestion[] | undefined {
  // Without an id the EHR cannot resolve the delete action; the card still warns.
  if (!draft.id) return undefined;
  return [{
    label: 'Remove duplicate draft',
    isRecommended: false,
    actions: [{ type: 'delete', description: `Remove the draft ${draft.name}`, resourceId: `MedicationRequest/${draft.id}` }],
  }];
}

function duplicateFinding(facts: PatientFacts, dup: Duplicate): Finding {
  const { draft, activeOthers, draftOthers } = dup;
  const all = [draft, ...activeOthers, ...draftOthers];
  const summary = activeOthers.length > 0
    ? fitSummary(
      `Second systemic glucocorticoid drafted while ${activeOthers.map(gcDoseText).join(' + ')} is active.`,
      'Second systemic glucocorticoid drafted while another systemic glucocorticoid is active.',
    )
    : fitSummary(
      `Two systemic glucocorticoids drafted at once: ${draftOthers.map(gcDoseText).join(', ')} and ${gcDoseText(draft)}.`,
      'Two systemic glucocorticoid drafts at once: likely a duplicate order.',
    );
  const combined = totalPredEqMgPerDay(all);
  const ordersLine = [
    `Drafted: **${draft.name}**.`,
    activeOthers.length > 0 ? `Active: ${activeOthers.map((m) => m.name).join('; ')}.` : '',
    draftOthers.length > 0 ? `Also drafted: ${draftOthers.map((m) => m.name).join('; ')}.` : '',
  ].filter(Boolean).join(' ');
  const detail = [
    ordersLine,
    combined !== undefined
      ? `Together ≈ ${compactNumber(combined)} mg/day prednisone-equivalent: two systemic glucocorticoids add up dose and toxicity.`
      : 'Combined dose not computed: at least one dose is unknown. Two systemic glucocorticoids add up dose and toxicity.',
    draft.id
      ? 'Remove the duplicate draft, or override if this is an intentional switch (the existing order will be stopped) or combination. Changing the active order stays with the clinician.'
      : 'The draft has no id, so it cannot be removed from here; remove it in the order entry screen if it is a duplicate.',
  ];
  const finding: Finding = {
    ruleId: 'COP-R04',
    indicator: 'warning',
    summary,
    detail,
    evidence: [
      medicationEvidence('Drafted glucocorticoid', draft),
      ...activeOthers.map((m) => medicationEvidence('Active glucocorticoid', m)),
      ...draftOthers.map((m) => medicationEvidence('Other drafted glucocorticoid', m)),
      ...copEvidence(facts),
    ],
    overrideReasons: DUPLICATE_OVERRIDE_REASONS,
    citations: ['STEROID-TOXICITY'],
  };
  const suggestions = removeDraftSuggestion(draft);
  if (suggestions) finding.suggestions = suggestions;
  return finding;
}

function copEvidence(facts: PatientFacts): Evidence[] {
  return facts.cop.condition ? [conditionEvidence('COP diagnosis', facts.cop.condition)] : [];
}

/** PredEq mg/kg as text ("0.17"), when the weight is usable and every dose is known. */
function mgPerKg(facts: PatientFacts, active: MedicationFact[]): string | undefined {
  const weight = usableWeight(facts);
  const predEq = totalPredEqMgPerDay(active);
  if (!weight || predEq === undefined) return undefined;
  return mgPerKgText(predEq / weight.value);
}

function currentDoseLine(facts: PatientFacts, active: MedicationFact[]): string {
  const predEq = totalPredEqMgPerDay(active);
  if (predEq === undefined) return 'Current prednisone-equivalent dose not computed: a dose is unknown (never read as 0).';
  const weight = usableWeight(facts);
  const perKg = mgPerKg(facts, active);
  const perKgPart = weight && perKg
    ? ` = ${perKg} mg/kg at ${compactNumber(weight.value)} kg${facts.weight.state === 'stale' ? ' (weight not recent)' : ''}`
    : `; mg/kg not computed (weight ${facts.weight.state})`;
  return `Current dose ≈ ${compactNumber(predEq)} mg/day prednisone-equivalent${perKgPart}.`;
}

function existingFinding(facts: PatientFacts, active: MedicationFact[]): Finding {
  const drugs = active.map(gcDoseText).join(' + ');
  const perKg = mgPerKg(facts, active);
  const advice = 'Adjust the existing order rather than adding one.';
  const summary = fitSummary(
    `Patient already on ${drugs}${perKg ? ` (≈${perKg} mg/kg prednisone-equivalent)` : ''}. ${advice}`,
    `Patient already on ${active.length > 1 ? `${active.length} systemic glucocorticoids` : 'a systemic glucocorticoid'}. ${advice}`,
  );
  const weight = usableWeight(facts);
  const detail = [
    active.map((m) => `- ${m.name}: ${m.dailyDose ? m.dailyDose.derivation : `dose unknown${m.doseUnknownReason ? ` (${m.doseUnknownReason})` : ''}`}${m.start ? `; since ${m.start.slice(0, 10)}` : ''}.`).join('\n'),
    currentDoseLine(facts, active),
    'No new starting-dose order is suggested while a systemic glucocorticoid is active (COP-R01).',
  ];
  const evidence: Evidence[] = [...active.map((m) => medicationEvidence('Active glucocorticoid', m)), ...copEvidence(facts)];
  if (weight) evidence.push(evidenceOf('Weight', weight));
  return { ruleId: 'COP-R04', indicator: 'info', summary, detail, evidence, citations: ['STEROID-TOXICITY'] };
}

/**
 * order-sign, a glucocorticoid drafted, no identified active one, but an active order nothing
 * identifies (decision 10): whether the draft duplicates a running course is unknown, so say so.
 */
function duplicateUnknownFinding(facts: PatientFacts, draft: MedicationFact, unidentified: MedicationFact[]): Finding {
  return {
    ruleId: 'COP-R04',
    indicator: 'info',
    summary: fitSummary(
      `Duplicate check not possible: ${unidentified.length === 1 ? 'an active order' : `${unidentified.length} active orders`} could not be identified. Check it is not a glucocorticoid.`,
      'Duplicate check not possible: an active medication order could not be identified.',
    ),
    detail: [
      ...unidentified.map((m) => `- ${unidentifiedOrderText(m, 'active')}.`),
      `Drafted: **${draft.name}**. If the unidentified order is a systemic glucocorticoid, two courses would add up dose and toxicity.`,
    ],
    evidence: [medicationEvidence('Drafted glucocorticoid', draft), ...unidentified.map((m) => medicationEvidence('Active order (not identified)', m)), ...copEvidence(facts)],
    citations: ['STEROID-TOXICITY'],
  };
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (!facts.cop.present) return undefined;
  // patient-view carries no drafts: only the info variant can apply there (decision 5).
  const drafts = context.hook === 'patient-view' ? [] : draftGlucocorticoids(facts);
  const draftRefs = new Set(drafts.map((d) => d.reference));
  // An active order that is itself in draftOrders is being edited, and one a draft renews
  // (`priorPrescription`, decision 14) is being replaced: neither is duplicated.
  const replaced = replacedOrderReferences(drafts, facts);
  const current = (m: MedicationFact) => !draftRefs.has(m.reference) && !replaced.has(m.reference);
  const active = activeGlucocorticoids(facts).filter(current);
  const duplicate = findDuplicate(context.hook, drafts, active);
  if (duplicate) return duplicateFinding(facts, duplicate);
  if (drafts.length === 0 && active.length > 0) return existingFinding(facts, active);
  const unidentified = unidentifiedActiveOrders(facts).filter(current);
  const lastDraft = drafts.at(-1);
  if (context.hook === 'order-sign' && lastDraft && active.length === 0 && unidentified.length > 0) {
    return duplicateUnknownFinding(facts, lastDraft, unidentified);
  }
  return undefined;
}

export const r04: Rule = {
  id: 'COP-R04',
  title: 'Existing systemic glucocorticoid / duplicate order',
  purpose: 'Already on a systemic glucocorticoid: adjust the existing order rather than adding one. A second glucocorticoid drafted (not a renewal of the active one) → warning with the removal of the duplicate draft.',
  hooks: ['order-select', 'order-sign', 'patient-view'],
  reads: ['conditions', 'meds', 'weight', 'encounter'],
  thresholds: [...P_WEIGHT],
  citations: ['STEROID-TOXICITY'],
  overrideReasons: DUPLICATE_OVERRIDE_REASONS,
  evaluate,
};
