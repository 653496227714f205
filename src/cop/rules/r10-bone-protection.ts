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
import { SYSTEMS } from '../../fhir/systems.js';
import type { ConditionFact, MedicationClass, MedicationFact, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { ORAL_ROUTE } from '../order-assembly.js';
import { buildServiceRequest } from '../service-orders.js';
import { courseOrderEvidence, isPulse } from './pulse.js';
import {
  compactNumber, evidenceWithProvenance, isAdult, predEqMgPerDay, pregnancyEvidence, steroidSafetyCourse, type SteroidSafetyCourse,
} from './shared.js';
import { P_ON_GC_WEEKS, P_PREGNANT } from './predicate-thresholds.js';

/** RxNorm 904431 (confirmed against openFDA), the weekly alendronate tablet. */
export const ALENDRONATE_70_MG_TABLET = { system: SYSTEMS.rxnorm, code: '904431', display: 'alendronic acid 70 MG Oral Tablet' } as const;

/** No SCD is confirmed for calcium + vitamin D, so the order is by name only. */
export const CALCIUM_VITAMIN_D_TEXT = 'Calcium carbonate + cholecalciferol (vitamin D3), local formulary product';

/** No SNOMED procedure code for DXA with VFA is confirmed: text only. */
export const DXA_WITH_VFA_TEXT = 'Bone densitometry (DXA) with VFA';

export const r10: Rule = {
  id: 'COP-R10',
  title: 'Bone protection (glucocorticoid-induced osteoporosis)',
  purpose: 'A COP glucocorticoid course longer than 3 months at 2.5 mg/day or more (a pulse alone is not): calcium and vitamin D, fracture-risk assessment, and a bisphosphonate when the risk is high and it is safe.',
  hooks: ['order-sign', 'patient-view'],
  reads: ['patient', 'conditions', 'meds', 'pregnancy'],
  thresholds: ['boneCourseMinMonths', 'boneCourseMinMgPerDay', 'boneOnGlucocorticoidMinWeeks', 'fraxMinAge', 'bisphosphonateMinEgfr', 'pulseMinPredEqMgPerDay', 'pulseMaxDays', ...P_PREGNANT, ...P_ON_GC_WEEKS],
  citations: ['ACR-GIOP-2022'],
  background: [
    'ACR 2022 (glucocorticoid-induced osteoporosis guideline) covers adults on glucocorticoids at ≥ 2.5 mg/day prednisone-equivalent for > 3 months: ' +
      'calcium and vitamin D for all, a fracture-risk assessment (FRAX from age 40; BMD with vertebral fracture assessment) as soon as possible after ' +
      'starting, and an osteoporosis drug when the risk is high.',
    'A COP course lasts 6–12 months in total and starts at 0.5–1 mg/kg/day, so a glucocorticoid drafted for COP qualifies whatever duration the draft ' +
      'itself states, and so does one whose daily dose could not be derived. A pulse (≥ 250 mg/day prednisone-equivalent planned for ≤ 5 days) is not ' +
      'such a course on its own; an oral course drafted or active with it is judged on its own.',
    'On patient-view the card appears from 4 weeks on glucocorticoids. It gives way when calcium + vitamin D and an osteoporosis drug are both ordered.',
    'Fracture risk is high when osteoporosis or a fragility fracture is recorded. FRAX and BMD results are not read by this service, so without those ' +
      'conditions the risk is unknown (never low) and the card asks for the assessment.',
    'A bisphosphonate (alendronate 70 mg once weekly) is not offered as an order while renal function (eGFR; avoid below 35 mL/min/1.73 m², the label ' +
      'value) is not available to this service, while oesophageal stricture or achalasia has not been excluded, or when the patient is pregnant or her ' +
      'pregnancy status is unknown. The card says what to check first.',
    'The calcium + vitamin D order is by name only: choose the local formulary product and dose.',
  ],
  reviewNotes: [
    'No RxNorm clinical drug is confirmed for calcium + vitamin D, so the suggested order carries no code.',
    'No SNOMED procedure code is confirmed for DXA with vertebral fracture assessment: the ServiceRequest is by text.',
    'RxNorm ingredient codes 1897 (calcium carbonate) and 2418 (cholecalciferol) are from memory and need confirmation.',
    'The eGFR limit for bisphosphonates is the label value, not verified here.',
  ],
  evaluate,
};

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  // P-ADULT is part of R10's firing condition (see suggestToAdultsOnly); COP-R03 speaks for everyone else.
  const course = steroidSafetyCourse(facts, context);
  if (!course || !isAdult(facts)) return undefined;
  const t = context.thresholds;
  // patient-view: an active course counts from P-ON-GC-WEEKS ≥ boneOnGlucocorticoidMinWeeks (decision 6).
  if (course.kind === 'active' && (facts.medications.onGlucocorticoidWeeks ?? -1) < t.boneOnGlucocorticoidMinWeeks) return undefined;
  const drafts = course.orders;
  if (!courseQualifies(drafts, t)) return undefined;

  const calcium = existingOrder(facts, 'calcium-vitamin-d');
  const bisphosphonate = existingOrder(facts, 'bisphosphonate');
  const risk = fractureRisk(facts);
  // Nothing left to advise: both parts of ACR-GIOP-2022 are already in place.
  if (calcium && bisphosphonate) return undefined;

  const blockers = bisphosphonateBlockers(facts, t);
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
    summary: summaryText(facts, t, { needsCalcium: !calcium, bisphosphonate, risk }),
    detail: [
      acrLine(course, t),
      ...(bisphosphonate ? [] : [riskLine(facts, t, risk, blockers)]),
    ],
    evidence: evidenceFor(facts, t, context.now, course, { calcium, bisphosphonate, risk }),
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

/**
 * The evidence, with why a COP course always qualifies: it lasts 6–12 months, whatever the order
 * states. The course itself (each order with its start date) and what is already ordered are in
 * the data line; the weeks on glucocorticoids are COP-R11's and COP-R17's to state on patient-view.
 */
function acrLine(course: SteroidSafetyCourse, t: Thresholds): string {
  return `ACR 2022: > ${t.boneCourseMinMonths} months at ≥ ${compactNumber(t.boneCourseMinMgPerDay)} mg/day (COP: 6–12 months${course.kind === 'drafted' ? ', whatever the draft states' : ''}) ` +
    'needs calcium + vitamin D and early fracture-risk assessment.';
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
 * What must be checked before a bisphosphonate, each the reason none is suggested now, in the
 * card's words. Unknown ≠ normal: renal function and oesophageal disease are not in
 * PatientFacts (no eGFR code is in the rule set), so they always block the order suggestion and
 * the card asks the clinician to check them instead. Pregnancy (yes or unknown) blocks it too; its
 * last recorded status, with its date, is in the card's data (decision 15).
 */
export function bisphosphonateBlockers(facts: PatientFacts, t: Thresholds): string[] {
  const blockers: string[] = [`check eGFR (avoid if < ${t.bisphosphonateMinEgfr} mL/min/1.73 m²)`, 'exclude oesophageal stricture/achalasia'];
  const pregnancy = facts.pregnancy.status;
  if (pregnancy === 'yes') blockers.push('defer until after pregnancy');
  if (pregnancy === 'unknown') blockers.push('rule out pregnancy');
  return blockers;
}

function riskLine(facts: PatientFacts, t: Thresholds, risk: FractureRisk, blockers: string[]): string {
  if (risk.state === 'high') {
    if (blockers.length === 0) return 'High fracture risk: a bisphosphonate is indicated; alendronate 70 mg once weekly is offered.';
    return `High fracture risk: a bisphosphonate (e.g. alendronate 70 mg weekly) is indicated; first ${listText(blockers)}.`;
  }
  const what = withFrax(facts, t) ? 'calculate FRAX; order BMD with VFA' : `order BMD with VFA (FRAX applies from age ${t.fraxMinAge})`;
  return `Fracture risk unknown (no osteoporosis, fragility fracture, FRAX or BMD on record): ${what}.`;
}

/** "a, b and c". */
const listText = (items: string[]): string => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

const withFrax = (facts: PatientFacts, t: Thresholds): boolean => facts.age.status === 'known' && facts.age.years >= t.fraxMinAge;

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
 * Alendronate 70 mg once weekly (timing: frequency 1, period 1, periodUnit wk). Offered
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
      doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet', system: SYSTEMS.ucum, code: '{tbl}' } }],
    }],
  };
}

function calciumVitaminDSuggestion(facts: PatientFacts, context: RuleContext): FindingSuggestion {
  return {
    label: 'Order calcium + vitamin D',
    isRecommended: false,
    // No product is coded (no RxNorm clinical drug is confirmed): the clinician picks it.
    actions: [{ type: 'create', description: 'Calcium + vitamin D: choose the local product and dose', resource: calciumVitaminDRequest(facts, context) }],
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
  const resource = buildServiceRequest({
    patientId: facts.patientId,
    text: DXA_WITH_VFA_TEXT,
    category: 'imaging',
    note: `Fracture-risk assessment soon after starting glucocorticoids${withFrax(facts, t) ? '; report FRAX' : ''} (ACR 2022).`,
  });
  return {
    label: 'Order bone densitometry (DXA) with VFA',
    isRecommended: false,
    actions: [{ type: 'create', description: DXA_WITH_VFA_TEXT, resource }],
  };
}

// ---------------------------------------------------------------------------------------------
// Summary and evidence

function summaryText(facts: PatientFacts, t: Thresholds, s: { needsCalcium: boolean; bisphosphonate: MedicationFact | undefined; risk: FractureRisk }): string {
  const needs: string[] = [];
  if (s.needsCalcium) needs.push('start calcium + vitamin D');
  if (!s.bisphosphonate && s.risk.state === 'high') needs.push('consider a bisphosphonate (check eGFR first)');
  if (!s.bisphosphonate && s.risk.state === 'unknown') needs.push(`assess fracture risk (${withFrax(facts, t) ? 'FRAX, ' : ''}DXA with VFA)`);
  return `Glucocorticoid course > ${t.boneCourseMinMonths} months needs bone protection: ${needs.join('; ')}.`;
}

/** The data the card used, short: the course's orders, what is already ordered, the basis of the risk, age for FRAX, pregnancy. */
function evidenceFor(
  facts: PatientFacts,
  t: Thresholds,
  now: Date,
  course: SteroidSafetyCourse,
  s: { calcium: MedicationFact | undefined; bisphosphonate: MedicationFact | undefined; risk: FractureRisk },
): Evidence[] {
  const label = course.kind === 'drafted' ? 'Drafted' : 'On';
  // The orders that make the course (a pulse alone does not count; decision 17).
  const evidence = course.orders.filter((d) => courseQualifies([d], t)).map((d) => courseOrderEvidence(label, d, t, now));
  if (s.calcium) evidence.push({ label: 'Calcium + vitamin D', value: s.calcium.name, reference: s.calcium.reference });
  if (s.bisphosphonate) evidence.push({ label: 'Osteoporosis drug', value: s.bisphosphonate.name, reference: s.bisphosphonate.reference });
  if (s.risk.state === 'high') evidence.push(...s.risk.conditions.map((c) => evidenceWithProvenance(c.display ?? c.code, 'recorded', c)));
  if (!s.bisphosphonate && s.risk.state === 'unknown' && facts.age.status === 'known') evidence.push({ label: 'Age', value: String(facts.age.years) });
  if (!s.bisphosphonate && s.risk.state === 'high') evidence.push(...pregnancyData(facts));
  return evidence;
}

/**
 * Pregnancy status as the bisphosphonate check used it, with the last recorded status and its date
 * (decision 15): "Pregnancy unknown (last: not pregnant) (2026-08-26, 91 days ago)".
 */
function pregnancyData(facts: PatientFacts): Evidence[] {
  const p = facts.pregnancy;
  if (p.status !== 'unknown') return pregnancyEvidence(facts);
  if (!p.lastRecorded) return [{ label: 'Pregnancy', value: p.domain === 'unavailable' ? 'unknown (could not be read)' : 'unknown (none recorded)' }];
  return [evidenceWithProvenance('Pregnancy', `unknown (last: ${p.lastRecorded.text})`, p.lastRecorded)];
}
