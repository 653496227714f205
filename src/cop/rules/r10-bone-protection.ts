/**
 * COP-R10 Bone protection (glucocorticoid-induced osteoporosis): order-sign (a drafted course) and
 * patient-view (an active course, from P-ON-GC-WEEKS ≥ 4; decision 6).
 *
 * ACR-GIOP-2022 covers adults on ≥ 2.5 mg/day prednisone for > 3 months: calcium + vitamin D,
 * a fracture-risk assessment soon after starting, and a bone drug when the risk is high.
 * A COP course (6–12 months, starting at 0.5–1 mg/kg/day) always meets that, so a drafted
 * glucocorticoid for COP qualifies whatever duration the draft itself states. A pulse (decision 17:
 * PredEq ≥ 250 mg/day planned for ≤ 5 days) is judged by its planned length and is no such course
 * on its own; an oral course drafted with it is judged on its own.
 */
import type { MedicationRequest } from 'fhir/r4.js';
import type { ConditionFact, MedicationClass, MedicationFact, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { ORAL_ROUTE, RXNORM, UCUM } from '../orders.js';
import { buildServiceRequest } from '../service-orders.js';
import { isPulse, pulseOf } from './pulse.js';
import {
  compactNumber, conditionEvidence, durationText, glucocorticoidRunEvidence, isAdult, lastPregnancyRecordText, medicationEvidence,
  predEqMgPerDay, pregnancyEvidence, pregnancyStatusText, steroidSafetyCourse, type SteroidSafetyCourse,
} from './shared.js';
import { P_ON_GC_WEEKS, P_PREGNANT } from './predicate-thresholds.js';

/** cop-codes.md: RxNorm 904431 (C, openFDA), the weekly alendronate tablet. */
export const ALENDRONATE_70_MG_TABLET = { system: RXNORM, code: '904431', display: 'alendronic acid 70 MG Oral Tablet' } as const;

/** No SCD is confirmed for calcium + vitamin D (cop-codes.md: U), so the order is by name only. */
export const CALCIUM_VITAMIN_D_TEXT = 'Calcium carbonate + cholecalciferol (vitamin D3), local formulary product';

/** SNOMED procedure code for DXA with VFA is not confirmed (cop-rules.md R10): text only. */
export const DXA_WITH_VFA_TEXT = 'Bone densitometry (DXA) with VFA';

export const r10: Rule = {
  id: 'COP-R10',
  title: 'Bone protection (glucocorticoid-induced osteoporosis)',
  purpose: 'A COP glucocorticoid course longer than 3 months at 2.5 mg/day or more (a pulse alone is not): calcium and vitamin D, fracture-risk assessment, and a bisphosphonate when the risk is high and it is safe.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['patient', 'conditions', 'meds', 'pregnancy'],
  thresholds: ['boneCourseMinMonths', 'boneCourseMinMgPerDay', 'boneOnGlucocorticoidMinWeeks', 'fraxMinAge', 'bisphosphonateMinEgfr', 'pulseMinPredEqMgPerDay', 'pulseMaxDays', ...P_PREGNANT, ...P_ON_GC_WEEKS],
  citations: ['ACR-GIOP-2022'],
  reviewNotes: [
    'RxNorm ingredient codes 1897 (calcium carbonate) and 2418 (cholecalciferol) are from memory and need confirmation.',
    'The eGFR limit for bisphosphonates is the label value, not verified here.',
  ],
  evaluate,
};

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  // P-ADULT is part of R10's firing condition; COP-R03 speaks for everyone else.
  const course = steroidSafetyCourse(facts, context);
  if (!course || !isAdult(facts)) return undefined;
  const t = context.thresholds;
  // patient-view: an active course from P-ON-GC-WEEKS ≥ the configured weeks (cop-rules R10 hooks).
  if (course.kind === 'active' && (facts.medications.onGlucocorticoidWeeks ?? -1) < t.boneOnGlucocorticoidMinWeeks) return undefined;
  const drafts = course.orders;
  if (!courseQualifies(drafts, t)) return undefined;

  const calcium = existingOrder(facts, 'calcium-vitamin-d');
  const bisphosphonate = existingOrder(facts, 'bisphosphonate');
  const risk = fractureRisk(facts);
  // Nothing left to advise: both parts of ACR-GIOP-2022 are already in place.
  if (calcium && bisphosphonate) return undefined;

  const blockers = bisphosphonateBlockers(facts);
  const offerAlendronate = !bisphosphonate && risk.state === 'high' && blockers.length === 0;
  const offerAssessment = !bisphosphonate && risk.state === 'unknown';

  // Order for the at-most-one renderer: the measure every patient needs first, then the drug,
  // then the assessment that decides whether a drug is needed.
  const suggestions: FindingSuggestion[] = [];
  if (!calcium) suggestions.push(calciumVitaminDSuggestion(facts, context));
  if (offerAlendronate) suggestions.push(alendronateSuggestion(facts, context));
  if (offerAssessment) suggestions.push(boneAssessmentSuggestion(facts, t));

  const finding: Finding = {
    ruleId: 'COP-R10',
    indicator: 'info',
    summary: summaryText(t, { needsCalcium: !calcium, bisphosphonate, risk }),
    detail: [
      ...courseLines(course, t, facts),
      calciumLine(calcium),
      ...boneDrugLines(facts, t, { bisphosphonate, risk, blockers }),
    ],
    evidence: evidenceFor(facts, course, calcium, bisphosphonate, risk),
    citations: ['ACR-GIOP-2022'],
  };
  if (suggestions.length > 0) finding.suggestions = suggestions;
  return finding;
}

// ---------------------------------------------------------------------------------------------
// Does the course qualify?

/**
 * Qualifies unless every drafted dose is known and below the ACR dose floor. A dose that could not
 * be derived still qualifies: the rule rests on the COP regimen, which starts at 0.5–1 mg/kg/day.
 * Duration is not tested: a COP course always exceeds the ACR 3 months. A pulse is the exception:
 * its planned length (≤ 5 days) is stated, so it does not qualify by itself (decision 17).
 */
export function courseQualifies(drafts: MedicationFact[], t: Thresholds): boolean {
  return drafts.some((d) => {
    if (isPulse(d, t)) return false;
    const dose = predEqMgPerDay(d);
    return dose === undefined || dose >= t.boneCourseMinMgPerDay;
  });
}

function courseLines(course: SteroidSafetyCourse, t: Thresholds, facts: PatientFacts): string[] {
  const population = `ACR 2022 bone protection applies to glucocorticoids ≥ ${compactNumber(t.boneCourseMinMgPerDay)} mg/day prednisone-equivalent for > ${t.boneCourseMinMonths} months.`;
  const lines = [population];
  if (course.kind === 'active') {
    const { onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: start } = facts.medications;
    lines.push(`On systemic glucocorticoids for ${weeks ?? 'an unknown number of'} weeks${start ? ` (current run since ${start.slice(0, 10)})` : ''}.`);
  }
  const which = course.kind === 'drafted' ? { label: 'Drafted', order: 'the draft', this: 'this draft' } : { label: 'Active', order: 'the order', this: 'this order' };
  for (const d of course.orders) {
    const pulse = pulseOf(d, t);
    if (pulse) {
      lines.push(`${which.label} ${d.name}: pulse therapy, ${compactNumber(pulse.predEqMgPerDay)} mg/day prednisone-equivalent for ${durationText(pulse.days)}; not a > ${t.boneCourseMinMonths}-month course on its own.`);
      continue;
    }
    const dose = predEqMgPerDay(d);
    const doseText = dose === undefined
      ? `its daily dose could not be derived, but a COP course starts at ${t.minMgPerKg}–${t.maxMgPerKg} mg/kg/day`
      : `${compactNumber(dose)} mg/day prednisone-equivalent`;
    const duration = d.plannedDurationDays === undefined ? 'states no duration' : `covers ${durationText(d.plannedDurationDays)}`;
    lines.push(`${which.label} ${d.name}: ${doseText}; ${which.order} ${duration}.`);
  }
  const pulses = course.orders.filter((d) => isPulse(d, t)).length;
  const rest = course.orders.length - pulses;
  lines.push(pulses > 0
    ? `A COP course lasts 6–12 months in total, so the ${rest > 1 ? 'courses' : 'course'} given with the pulse ${rest > 1 ? 'exceed' : 'exceeds'} ${t.boneCourseMinMonths} months whatever duration ${rest > 1 ? 'they state' : 'it states'}.`
    : `A COP course lasts 6–12 months in total, so it exceeds ${t.boneCourseMinMonths} months whatever duration ${which.this} states.`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// (a) calcium + vitamin D, (b) bone drug or fracture-risk assessment

/** An active or already-drafted order of the class: drafting it again would duplicate it. */
function existingOrder(facts: PatientFacts, cls: MedicationClass): MedicationFact | undefined {
  return [...facts.medications.active, ...facts.medications.drafts].find((m) => m.classes.includes(cls));
}

type FractureRisk = { state: 'high'; conditions: ConditionFact[] } | { state: 'unknown' };

/**
 * High when osteoporosis or a fragility fracture is recorded. PatientFacts holds no FRAX or BMD
 * result, so without those conditions the risk is unknown (never "low").
 */
export function fractureRisk(facts: PatientFacts): FractureRisk {
  const conditions = [...facts.boneHealth.osteoporosisConditions, ...facts.boneHealth.fragilityFractureConditions];
  return conditions.length > 0 ? { state: 'high', conditions } : { state: 'unknown' };
}

/**
 * Why a bisphosphonate must not be suggested now. Unknown ≠ normal (§0.4.1): renal function and
 * oesophageal disease are not in PatientFacts (no eGFR code is in the catalog), so they always
 * block the order suggestion and the card asks the clinician to check them instead.
 */
export function bisphosphonateBlockers(facts: PatientFacts): string[] {
  const blockers: string[] = [];
  const pregnancy = facts.pregnancy.status;
  // Decision 15: the last recorded status with its date, even outside the window.
  if (pregnancy === 'yes') blockers.push(`pregnancy: ${pregnancyStatusText(facts)}`);
  if (pregnancy === 'unknown') {
    const last = lastPregnancyRecordText(facts);
    blockers.push(`pregnancy status is unknown${last ? `, last recorded ${last}` : ''}`);
  }
  blockers.push('renal function is unknown (eGFR is not available to this service)');
  blockers.push('oesophageal stricture or achalasia was not assessed');
  return blockers;
}

function calciumLine(calcium: MedicationFact | undefined): string {
  if (calcium) return `(a) Calcium + vitamin D: already ordered (${calcium.name}).`;
  return '(a) Calcium + vitamin D: none active. The suggested order is by name only: no RxNorm clinical drug is confirmed, so pick the local formulary product and dose.';
}

function boneDrugLines(
  facts: PatientFacts,
  t: Thresholds,
  s: { bisphosphonate: MedicationFact | undefined; risk: FractureRisk; blockers: string[] },
): string[] {
  if (s.bisphosphonate) return [`(b) Osteoporosis drug: already ordered (${s.bisphosphonate.name}).`];
  if (s.risk.state === 'high') {
    const why = s.risk.conditions.map((c) => c.display ?? c.code).join(', ');
    const drug = `${ALENDRONATE_70_MG_TABLET.display} once weekly (RxNorm ${ALENDRONATE_70_MG_TABLET.code})`;
    if (s.blockers.length === 0) return [`(b) High fracture risk (${why}): a bisphosphonate is indicated; ${drug} is offered.`];
    return [
      `(b) High fracture risk (${why}): a bisphosphonate such as ${drug} is indicated, but no order is suggested: ${s.blockers.join('; ')}.`,
      `Before prescribing: check renal function (avoid if eGFR < ${t.bisphosphonateMinEgfr} mL/min/1.73 m²) and exclude oesophageal stricture or achalasia.`,
    ];
  }
  const frax = facts.age.status === 'known' && facts.age.years >= t.fraxMinAge
    ? `calculate FRAX (age ≥ ${t.fraxMinAge}) and order BMD with vertebral fracture assessment`
    : `order BMD with vertebral fracture assessment (FRAX applies from age ${t.fraxMinAge})`;
  return [`(b) Fracture risk unknown (no osteoporosis, fragility fracture, FRAX or BMD result on record): ${frax} as soon as possible after starting.`];
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/** The calcium + vitamin D order, by name (see CALCIUM_VITAMIN_D_TEXT). */
export function calciumVitaminDRequest(facts: PatientFacts, context: RuleContext): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    status: 'draft',
    intent: context.medicationRequestIntent,
    subject: { reference: `Patient/${facts.patientId}` },
    medicationCodeableConcept: { text: CALCIUM_VITAMIN_D_TEXT },
    reasonCode: [{ text: 'Prevention of glucocorticoid-induced osteoporosis' }],
    dosageInstruction: [{ text: 'Oral, dose per local formulary, for the duration of glucocorticoid therapy' }],
  };
}

/**
 * Alendronate 70 mg once weekly (cop-rules.md R10: frequency 1, period 1, periodUnit wk). Offered
 * only when bisphosphonateBlockers() is empty, which needs renal function in PatientFacts first.
 */
export function alendronateWeeklyRequest(facts: PatientFacts, context: RuleContext): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    status: 'draft',
    intent: context.medicationRequestIntent,
    subject: { reference: `Patient/${facts.patientId}` },
    medicationCodeableConcept: { coding: [{ ...ALENDRONATE_70_MG_TABLET }], text: ALENDRONATE_70_MG_TABLET.display },
    reasonCode: [{ text: 'Glucocorticoid-induced osteoporosis: high fracture risk' }],
    dosageInstruction: [{
      text: '70 mg orally once weekly',
      timing: { repeat: { frequency: 1, period: 1, periodUnit: 'wk' } },
      route: ORAL_ROUTE,
      doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet', system: UCUM, code: '{tbl}' } }],
    }],
  };
}

function calciumVitaminDSuggestion(facts: PatientFacts, context: RuleContext): FindingSuggestion {
  return {
    label: 'Order calcium + vitamin D',
    isRecommended: false,
    actions: [{ type: 'create', description: 'Calcium + vitamin D (local formulary product)', resource: calciumVitaminDRequest(facts, context) }],
  };
}

function alendronateSuggestion(facts: PatientFacts, context: RuleContext): FindingSuggestion {
  return {
    label: 'Order alendronate 70 mg once weekly',
    isRecommended: false,
    actions: [{ type: 'create', description: 'Alendronate 70 mg tablet once weekly', resource: alendronateWeeklyRequest(facts, context) }],
  };
}

function boneAssessmentSuggestion(facts: PatientFacts, t: Thresholds): FindingSuggestion {
  const withFrax = facts.age.status === 'known' && facts.age.years >= t.fraxMinAge;
  const resource = buildServiceRequest({
    patientId: facts.patientId,
    text: DXA_WITH_VFA_TEXT,
    category: 'imaging',
    note: `Fracture-risk assessment soon after starting glucocorticoids${withFrax ? '; report FRAX' : ''} (ACR 2022).`,
  });
  return {
    label: 'Order bone densitometry (DXA) with VFA',
    isRecommended: false,
    actions: [{ type: 'create', description: DXA_WITH_VFA_TEXT, resource }],
  };
}

// ---------------------------------------------------------------------------------------------
// Summary and evidence

function summaryText(t: Thresholds, s: { needsCalcium: boolean; bisphosphonate: MedicationFact | undefined; risk: FractureRisk }): string {
  const needs: string[] = [];
  if (s.needsCalcium) needs.push('calcium + vitamin D');
  if (!s.bisphosphonate && s.risk.state === 'high') needs.push('a bisphosphonate (check eGFR first)');
  if (!s.bisphosphonate && s.risk.state === 'unknown') needs.push('fracture-risk assessment (DXA/FRAX)');
  return `Glucocorticoid ≥ ${compactNumber(t.boneCourseMinMgPerDay)} mg/day for > ${t.boneCourseMinMonths} months: bone protection needed: ${needs.join('; ')}.`;
}

function evidenceFor(
  facts: PatientFacts,
  course: SteroidSafetyCourse,
  calcium: MedicationFact | undefined,
  bisphosphonate: MedicationFact | undefined,
  risk: FractureRisk,
): Evidence[] {
  const label = course.kind === 'drafted' ? 'Drafted glucocorticoid' : 'Active glucocorticoid';
  const evidence = course.orders.map((d) => medicationEvidence(label, d));
  const run = glucocorticoidRunEvidence(facts);
  if (run) evidence.push(run);
  if (calcium) evidence.push(medicationEvidence('Calcium + vitamin D', calcium));
  if (bisphosphonate) evidence.push(medicationEvidence('Osteoporosis drug', bisphosphonate));
  if (risk.state === 'high') evidence.push(...risk.conditions.map((c) => conditionEvidence('Bone condition', c)));
  if (facts.age.status === 'known') evidence.push({ label: 'Age', value: `${facts.age.years} years` });
  if (risk.state === 'high' && !bisphosphonate) {
    const pregnancy = pregnancyEvidence(facts);
    evidence.push(...(pregnancy.length > 0 ? pregnancy : [{ label: 'Pregnancy status', value: pregnancyStatusText(facts, false) }]));
  }
  return evidence;
}
