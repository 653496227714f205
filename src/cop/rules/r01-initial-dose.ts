/**
 * COP-R01: initial glucocorticoid dose suggestion (cop-rules §R01, §2.1, §2.2, §2.4).
 *
 * This issue covers order-select only: when the clinician selects a systemic glucocorticoid draft
 * for an untreated adult COP patient with a usable weight, the card offers to rewrite that draft
 * (same id, decision 4) as the weight-based initial phase, or as the sequenced 24-week taper.
 * The patient-view reminder variant comes later.
 */
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import type { CitationKey } from '../knowledge.js';
import {
  buildInitialPhaseRequest, buildTaperRequest, doseComputationText, glucocorticoidName, initialPhasePlan,
  tabletCountText, taperPlan, type GlucocorticoidOrderSpec, type InitialPhasePlan,
} from '../orders.js';
import type { Evidence, Finding, FindingSuggestion, OverrideReason, Rule, RuleContext } from '../rule-types.js';
import { assessClarithromycinGates, notAssessedLine, notEligibleLine } from './clarithromycin-gates.js';
import {
  activeGlucocorticoids, compactNumber, conditionEvidence, draftGlucocorticoids, durationText, evidenceOf, fitSummary,
  isAdult, medicationEvidence, mgPerKgText, selectedGlucocorticoidDraft, usableWeight,
} from './shared.js';

const CITATIONS: CitationKey[] = ['LAZOR-2000', 'LOHR-1997', 'CORDIER-2006', 'KING-2022'];

/** cop-rules §2.4. */
export const R01_OVERRIDE_REASONS: OverrideReason[] = [
  { code: 'specialist-plan', display: 'Specialist regimen in place' },
  { code: 'observation-mild', display: 'Mild disease – observe' },
];

/**
 * "Fires when" of §R01 at order-select: P-COP, P-ADULT, P-WEIGHT fresh or stale, no P-GC-ACTIVE,
 * and no draft systemic glucocorticoid other than the one selected (two drafts are R04's).
 */
function selectedDraftForInitialDose(facts: PatientFacts): MedicationFact | undefined {
  const selected = selectedGlucocorticoidDraft(facts);
  if (!selected || !facts.cop.present || !isAdult(facts) || !usableWeight(facts)) return undefined;
  if (activeGlucocorticoids(facts).length > 0) return undefined;
  const otherDrafts = draftGlucocorticoids(facts).filter((d) => d !== selected && d.reference !== selected.reference);
  return otherDrafts.length > 0 ? undefined : selected;
}

function summaryFor(facts: PatientFacts, plan: InitialPhasePlan, context: RuleContext): string {
  const weight = facts.weight.kg;
  if (facts.weight.state === 'stale') {
    // The age of the weight is the one thing the clinician must act on before accepting the dose.
    return weight?.ageDays !== undefined
      ? `Weight is ${weight.ageDays} days old – confirm before ordering`
      : 'Weight date unknown – confirm before ordering';
  }
  const drug = glucocorticoidName(context.formulary);
  const { dose, range } = plan;
  const basis = `${mgPerKgText(dose.mgPerKg)} mg/kg x ${compactNumber(dose.kg)} kg`;
  const cappedNote = dose.capped ? `capped; ` : '';
  return fitSummary(
    `COP: suggested ${drug} ${dose.doseMg} mg once daily (${cappedNote}${basis}); usual ${range.lowMg}-${range.highMg} mg`,
    `COP: suggested ${drug} ${dose.doseMg} mg once daily; usual ${range.lowMg}-${range.highMg} mg`,
  );
}

function detailFor(facts: PatientFacts, plan: InitialPhasePlan, context: RuleContext): string[] {
  const t = context.thresholds;
  const drug = glucocorticoidName(context.formulary);
  const { dose, range, tablet } = plan;
  const lines = [
    `Suggested start: ${drug} **${dose.doseMg} mg once daily** for ${durationText(plan.days)} ` +
      `(${doseComputationText(dose, t)}; ${tabletCountText(dose.doseMg, tablet)}).`,
    `Usual start ${mgPerKgText(t.minMgPerKg)}-${mgPerKgText(t.maxMgPerKg)} mg/kg/day ` +
      `(${range.lowMg}-${range.highMg} mg for this weight, at most ${t.maxDailyDoseMg} mg/day); ` +
      'taper over months (total ~6-12 months).',
  ];
  const kg = facts.weight.kg;
  if (facts.weight.state === 'stale' && kg) {
    lines.push(`Weight is ${kg.ageDays ?? 'an unknown number of'} days old (fresh is ≤ ${facts.inpatient ? t.weightFreshDaysInpatient : t.weightFreshDays} d): confirm or re-measure before ordering.`);
  }
  if (dose.kg < t.lowBodyWeightKg) {
    lines.push(`Low body weight (< ${t.lowBodyWeightKg} kg): check the dose.`);
  }
  lines.push(
    'Delayed treatment was associated with more relapses; a standardised taper lowered cumulative dose without worse outcomes (Lazor 2000).',
  );
  const steps = taperPlan(dose.kg, t).map((s) => `${s.doseMg} mg x ${durationText(s.days)}`).join(' → ');
  lines.push(`Optional sequenced taper (steps await clinical sign-off): ${steps}.`);
  const gates = assessClarithromycinGates(facts, context);
  if (gates.status === 'not-assessed') lines.push(notAssessedLine(gates.missing));
  if (gates.status === 'not-eligible') lines.push(notEligibleLine(gates.reasons));
  return lines;
}

function evidenceFor(facts: PatientFacts, draft: MedicationFact): Evidence[] {
  const evidence: Evidence[] = [];
  const kg = facts.weight.kg;
  if (kg) {
    const weight = evidenceOf('Weight', kg);
    if (kg.original && kg.original.unit !== kg.unit) weight.value += ` (recorded as ${kg.original.value} ${kg.original.unit})`;
    evidence.push(weight);
  }
  if (facts.age.status === 'known') evidence.push({ label: 'Age', value: `${facts.age.years} years` });
  if (facts.cop.condition) evidence.push(conditionEvidence('COP diagnosis', facts.cop.condition));
  evidence.push(medicationEvidence('Selected order', draft));
  return evidence;
}

function suggestionsFor(facts: PatientFacts, draft: MedicationFact, plan: InitialPhasePlan, context: RuleContext): FindingSuggestion[] {
  const kg = facts.weight.kg;
  // Decision 4: the suggestions rewrite the selected draft; without an id there is nothing to update.
  if (!kg || !(draft.draftResource?.id ?? draft.id)) return [];
  const spec: GlucocorticoidOrderSpec = {
    patientId: facts.patientId,
    weight: kg,
    thresholds: context.thresholds,
    formulary: context.formulary,
    intent: context.medicationRequestIntent,
    draft: { ...(draft.draftResource ? { resource: draft.draftResource } : {}), ...(draft.id ? { id: draft.id } : {}) },
  };
  const drug = glucocorticoidName(context.formulary);
  const steps = taperPlan(kg.value, context.thresholds);
  return [
    {
      label: `Order ${drug} ${plan.dose.doseMg} mg daily x ${durationText(plan.days)}`,
      isRecommended: true,
      actions: [{
        type: 'update',
        description: `Initial phase ${drug} ${plan.dose.doseMg} mg once daily for ${plan.days} days`,
        resource: buildInitialPhaseRequest(spec),
      }],
    },
    {
      label: `Order ${drug} 24-week taper (${steps.map((s) => s.doseMg).join(' → ')} mg)`,
      isRecommended: false,
      actions: [{
        type: 'update',
        description: `Sequenced ${drug} taper over ${steps.reduce((n, s) => n + s.days, 0)} days`,
        resource: buildTaperRequest(spec),
      }],
    },
  ];
}

export function evaluateR01(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'order-select') return undefined;
  const draft = selectedDraftForInitialDose(facts);
  const kg = facts.weight.kg;
  if (!draft || !kg) return undefined;
  const plan = initialPhasePlan(kg.value, context.thresholds, context.formulary);
  const detail = detailFor(facts, plan, context);
  const suggestions = suggestionsFor(facts, draft, plan, context);
  if (suggestions.length === 0) {
    detail.push('The selected draft has no id, so it cannot be updated from this card: enter the dose in the order.');
  }
  const finding: Finding = {
    ruleId: 'COP-R01',
    indicator: facts.weight.state === 'stale' ? 'warning' : 'info',
    summary: summaryFor(facts, plan, context),
    detail,
    evidence: evidenceFor(facts, draft),
    overrideReasons: R01_OVERRIDE_REASONS,
    citations: CITATIONS,
  };
  if (suggestions.length > 0) finding.suggestions = suggestions;
  return finding;
}

export const r01: Rule = { id: 'COP-R01', evaluate: evaluateR01 };
