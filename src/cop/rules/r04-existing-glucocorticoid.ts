/**
 * COP-R04: existing systemic glucocorticoid / duplicate order (decision 4: two glucocorticoid
 * drafts at once are a duplicate).
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
  draftGlucocorticoids,
  evidenceOf,
  fitSummary,
  medicationEvidence,
  mgPerKgText,
  shortMedicationEvidence,
  totalPredEqMgPerDay,
  unidentifiedActiveOrders,
  unidentifiedOrdersText,
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

function duplicateFinding(facts: PatientFacts, dup: Duplicate, now: Date): Finding {
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
  // The orders themselves, with their doses and dates, are in the data used.
  const detail = [
    draft.id
      ? `Remove the draft **${draft.name}** if it duplicates the course; override for an intentional switch or combination.`
      : `The draft **${draft.name}** has no id, so it cannot be removed from here: remove it in the order entry screen if it is a duplicate.`,
    combined !== undefined
      ? `Together ≈ ${compactNumber(combined)} mg/day prednisone-equivalent: two systemic glucocorticoids add up dose and toxicity.`
      : 'Combined dose not computed: at least one dose is unknown. Two systemic glucocorticoids add up dose and toxicity.',
  ];
  const finding: Finding = {
    ruleId: 'COP-R04',
    indicator: 'warning',
    summary,
    detail,
    evidence: [
      shortMedicationEvidence('Drafted glucocorticoid', draft, now),
      ...activeOthers.map((m) => shortMedicationEvidence('Active glucocorticoid', m, now)),
      ...draftOthers.map((m) => shortMedicationEvidence('Other drafted glucocorticoid', m, now)),
    ],
    overrideReasons: DUPLICATE_OVERRIDE_REASONS,
    citations: ['STEROID-TOXICITY'],
  };
  const suggestions = removeDraftSuggestion(draft);
  if (suggestions) finding.suggestions = suggestions;
  return finding;
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
  if (predEq === undefined) return 'Total daily dose unknown: a dose on an active order could not be read.';
  const weight = usableWeight(facts);
  const perKg = mgPerKg(facts, active);
  const perKgPart = weight && perKg
    ? ` = ${perKg} mg/kg at ${compactNumber(weight.value)} kg${facts.weight.state === 'stale' ? ` (weight ${weight.ageDays ?? 'of unknown'} days old)` : ''}`
    : '; mg/kg not computed (no usable weight)';
  return `Current dose ≈ ${compactNumber(predEq)} mg/day prednisone-equivalent${perKgPart}.`;
}

/** Up to this many active orders are shown with how their dose was read ("2 x 20 mg tablets once daily = 40 mg/day"). */
const MAX_DETAILED_ORDERS = 2;

function existingFinding(facts: PatientFacts, active: MedicationFact[], now: Date): Finding {
  const drugs = active.map(gcDoseText).join(' + ');
  const perKg = mgPerKg(facts, active);
  const advice = 'Adjust the existing order rather than adding one.';
  const summary = fitSummary(
    `Patient already on ${drugs}${perKg ? ` (≈${perKg} mg/kg prednisone-equivalent)` : ''}. ${advice}`,
    `Patient already on ${active.length > 1 ? `${active.length} systemic glucocorticoids` : 'a systemic glucocorticoid'}. ${advice}`,
  );
  const weight = usableWeight(facts);
  // Each order, with its dose, how it was read and its start date, is in the data used.
  const detail = [
    currentDoseLine(facts, active),
    'No new course is suggested while one is active: a second would add dose and toxicity.',
  ];
  // The orders are the data, each with its start date (the COP diagnosis is this card's premise, not
  // its subject): how each dose was read for up to two orders, the mg/day alone beyond that.
  const orderEvidence = active.length <= MAX_DETAILED_ORDERS ? medicationEvidence : shortMedicationEvidence;
  const evidence: Evidence[] = active.map((m) => orderEvidence('Active glucocorticoid', m, now));
  if (weight) evidence.push(evidenceOf('Weight', weight));
  return { ruleId: 'COP-R04', indicator: 'info', summary, detail, evidence, citations: ['STEROID-TOXICITY'] };
}

/**
 * order-sign, a glucocorticoid drafted, no identified active one, but an active order nothing
 * identifies (decision 10): whether the draft duplicates a running course is unknown, so say so.
 */
function duplicateUnknownFinding(facts: PatientFacts, draft: MedicationFact, unidentified: MedicationFact[], now: Date): Finding {
  const { sharedReason, evidence } = unidentifiedOrdersText(unidentified, 'Unidentified active order', now);
  const noun = unidentified.length === 1 ? 'An active order' : `${unidentified.length} active orders`;
  return {
    ruleId: 'COP-R04',
    indicator: 'info',
    summary: fitSummary(
      `Duplicate check not possible: ${unidentified.length === 1 ? 'an active order' : `${unidentified.length} active orders`} could not be identified. Check it is not a glucocorticoid.`,
      'Duplicate check not possible: an active medication order could not be identified.',
    ),
    detail: [
      `${noun} could not be identified${sharedReason ? `: ${sharedReason}` : ''}.`,
      `If it is a systemic glucocorticoid, the drafted **${draft.name}** would be a second course: two courses add up dose and toxicity.`,
    ],
    evidence: [shortMedicationEvidence('Drafted glucocorticoid', draft, now), ...evidence],
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
  if (duplicate) return duplicateFinding(facts, duplicate, context.now);
  if (drafts.length === 0 && active.length > 0) return existingFinding(facts, active, context.now);
  const unidentified = unidentifiedActiveOrders(facts).filter(current);
  const lastDraft = drafts.at(-1);
  if (context.hook === 'order-sign' && lastDraft && active.length === 0 && unidentified.length > 0) {
    return duplicateUnknownFinding(facts, lastDraft, unidentified, context.now);
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
  background: [
    'COP-R01 never starts a new course while a systemic glucocorticoid is active: the existing order is adjusted instead. The card gives the current ' +
      'prednisone-equivalent dose and, with a usable weight, its mg/kg.',
    'At order-sign a drafted systemic glucocorticoid beside a different active one, or two drafted at once, is a likely duplicate: the card offers to remove ' +
      'the newer draft. Changing the active order stays with the clinician. A draft whose priorPrescription names the active order renews it and is not a duplicate.',
    'An active order whose medication cannot be identified could be a glucocorticoid: the duplicate check is then reported as not possible rather than passed.',
  ],
  evaluate,
};
