/**
 * Builds the MedicationRequests that COP suggestions carry from a dose plan: the initial
 * glucocorticoid phase, the sequenced 24-week taper and the clarithromycin alternative. The doses
 * come from dosing.ts (every one capped there), the products from formulary.ts. Pure functions;
 * every resource is complete FHIR R4 with no empty fields.
 */
import type {
  CodeableConcept, Dosage, Duration, MedicationRequest, Quantity, Reference,
} from 'fhir/r4.js';
import { SYSTEMS } from '../fhir/systems.js';
import { doseCeilingMg, taperPlan, type TaperStepPlan, type WeightBasedDose } from './dosing.js';
import type { Measurement } from './facts-types.js';
import { clarithromycinTablet, deepFreeze, initialPhasePlan, tabletCountText, taperTablet } from './formulary.js';
import type { Thresholds } from './knowledge.js';
import type { FormularyProfile, RuleContext } from './rule-types.js';
import { compactNumber, durationText, mgPerKgText, oneDecimal } from './text.js';

export const DOSE_RATE_TYPE = 'http://terminology.hl7.org/CodeSystem/dose-rate-type';

/** Oral route. SNOMED 26643006 is written from memory, not confirmed; kept because the order examples show it. */
export const ORAL_ROUTE: CodeableConcept = deepFreeze({
  coding: [{ system: SYSTEMS.snomed, code: '26643006', display: 'Oral route' }],
});

/** The indication on every COP order: SNOMED 719218000 and ICD-10-CM J84.116 (both confirmed). */
export const COP_REASON: CodeableConcept = deepFreeze({
  coding: [
    { system: SYSTEMS.snomed, code: '719218000', display: 'Cryptogenic organizing pneumonia (disorder)' },
    { system: SYSTEMS.icd10cm, code: 'J84.116', display: 'Cryptogenic organizing pneumonia' },
  ],
});

// ---------------------------------------------------------------------------------------------
// FHIR pieces

const mg = (value: number): Quantity => ({ value, unit: 'mg', system: SYSTEMS.ucum, code: 'mg' });
const days = (value: number): Duration => ({ value, unit: 'days', system: SYSTEMS.ucum, code: 'd' });
const tablets = (value: number): Quantity => ({ value, unit: 'tablet', system: SYSTEMS.orderableDrugForm, code: 'TAB' });
const ORDERED_DOSE: CodeableConcept = deepFreeze({ coding: [{ system: DOSE_RATE_TYPE, code: 'ordered', display: 'Ordered' }] });

function dailyDosage(spec: { sequence: number; text: string; doseMg: number; days: number; frequency?: number }): Dosage {
  return {
    sequence: spec.sequence,
    text: spec.text,
    timing: {
      repeat: { frequency: spec.frequency ?? 1, period: 1, periodUnit: 'd', boundsDuration: days(spec.days) },
    },
    route: ORAL_ROUTE,
    doseAndRate: [{ type: ORDERED_DOSE, doseQuantity: mg(spec.doseMg) }],
  };
}

/**
 * The draft being replaced in the order-select flow: a suggestion updates the clinician's selected
 * draft (same id) rather than adding a second order beside it.
 */
export interface DraftToUpdate {
  /** The draft's resource as the EHR sent it; its id, subject and status are kept. */
  resource?: MedicationRequest;
  /** Fallback id when only the facts' id is known. */
  id?: string;
}

/**
 * The shell of a suggested order. For an update of the selected draft it keeps the draft's id,
 * subject and status, and the EHR-owned context the clinician did not ask us to change (encounter,
 * requester, authoredOn), so accepting the card does not erase who ordered it and where.
 */
function requestShell(patientId: string, intent: RuleContext['medicationRequestIntent'], draft?: DraftToUpdate): MedicationRequest {
  const source = draft?.resource;
  const id = source?.id ?? draft?.id;
  const subject: Reference = source?.subject ?? { reference: `Patient/${patientId}` };
  const shell: MedicationRequest = {
    resourceType: 'MedicationRequest',
    status: source?.status ?? 'draft',
    intent,
    subject,
  };
  if (id) shell.id = id;
  if (source?.encounter) shell.encounter = source.encounter;
  if (source?.requester) shell.requester = source.requester;
  if (source?.authoredOn) shell.authoredOn = source.authoredOn;
  return shell;
}

/**
 * Fixed key order for readable JSON: shell first, then what the medication is and how to take it.
 * Resources share the frozen constants (codings, route, reason) instead of copying them on every
 * call: they are only ever serialised, and freezing makes an accidental edit throw.
 */
function assemble(shell: MedicationRequest, body: Omit<MedicationRequest, 'resourceType' | 'status' | 'intent' | 'subject'>): MedicationRequest {
  const { resourceType, id, status, intent, subject, ...context } = shell;
  return { resourceType, ...(id ? { id } : {}), status, intent, ...body, subject, ...context };
}

/**
 * "60.0 kg (weighed 2026-11-20)": the weight a note relied on, in words for whoever signs the
 * order; the Observation itself goes in `supportingInformation`, because text shown to people
 * carries no resource ids.
 */
function weightSource(weight: Measurement): string {
  return `${oneDecimal(weight.value)} kg (${weight.date ? `weighed ${weight.date.slice(0, 10)}` : 'weighing date unknown'})`;
}

/** The weight Observation the dose was computed from, machine-readable on the order. */
function weightSupport(weight: Measurement): Pick<MedicationRequest, 'supportingInformation'> {
  return weight.reference ? { supportingInformation: [{ reference: weight.reference }] } : {};
}

/**
 * "0.75 mg/kg x 59.9 kg = 44.925 mg -> 45 mg (rounded to 5 mg)": the arithmetic a reviewer can redo.
 * `weightText` lets the order note name the weight's Observation and date.
 */
export function doseComputationText(d: WeightBasedDose, t: Thresholds, weightText = `${oneDecimal(d.kg)} kg`): string {
  let text = `${mgPerKgText(d.mgPerKg)} mg/kg x ${weightText} = ${compactNumber(d.rawMg, 3)} mg`;
  if (Math.abs(d.roundedMg - d.rawMg) > 1e-9) text += ` -> ${d.roundedMg} mg (rounded to ${t.doseRoundingMg} mg)`;
  if (d.capped) text += ` -> ${d.doseMg} mg (capped at ${doseCeilingMg(t)} mg/day)`;
  return text;
}

// ---------------------------------------------------------------------------------------------
// Initial phase

export interface GlucocorticoidOrderSpec {
  patientId: string;
  /** The weight the dose is computed from, in kg (P-WEIGHT fresh or stale). */
  weight: Measurement;
  thresholds: Thresholds;
  formulary: FormularyProfile;
  intent: RuleContext['medicationRequestIntent'];
  /** Present in the order-select flow: the selected draft this resource updates. */
  draft?: DraftToUpdate;
}

export function buildInitialPhaseRequest(spec: GlucocorticoidOrderSpec): MedicationRequest {
  const t = spec.thresholds;
  const plan = initialPhasePlan(spec.weight.value, t, spec.formulary);
  const { doseMg } = plan.dose;
  const note =
    `CDS: ${doseComputationText(plan.dose, t, weightSource(spec.weight))}` +
    `; range ${mgPerKgText(t.minMgPerKg)}-${mgPerKgText(t.maxMgPerKg)} mg/kg = ${plan.range.lowMg}-${plan.range.highMg} mg`;
  return assemble(requestShell(spec.patientId, spec.intent, spec.draft), {
    medicationCodeableConcept: plan.tablet.medication,
    reasonCode: [COP_REASON],
    ...weightSupport(spec.weight),
    dosageInstruction: [
      dailyDosage({
        sequence: 1,
        text: `${doseMg} mg (${tabletCountText(doseMg, plan.tablet)}) by mouth once daily in the morning for ${durationText(plan.days)}; then taper as directed`,
        doseMg,
        days: plan.days,
      }),
    ],
    dispenseRequest: {
      quantity: tablets(plan.tabletsPerDay * plan.days),
      expectedSupplyDuration: days(plan.days),
    },
    note: [{ text: note }],
  });
}

// ---------------------------------------------------------------------------------------------
// Sequenced 24-week taper

const weeksOrDaysRange = (s: TaperStepPlan): string =>
  (s.fromDay - 1) % 7 === 0 && s.toDay % 7 === 0
    ? `Weeks ${(s.fromDay - 1) / 7 + 1}-${s.toDay / 7}`
    : `Days ${s.fromDay}-${s.toDay}`;

export function buildTaperRequest(spec: GlucocorticoidOrderSpec): MedicationRequest {
  const t = spec.thresholds;
  const steps = taperPlan(spec.weight.value, t);
  const tablet = taperTablet(steps, spec.formulary);
  const totalDays = steps.reduce((sum, s) => sum + s.days, 0);
  const totalTablets = steps.reduce((sum, s) => sum + (s.doseMg / tablet.strengthMg) * s.days, 0);
  const schedule = steps.map((s) => `${s.definition} -> ${s.doseMg} mg x ${s.days} d`).join('; ');
  const merged = steps.some((s) => s.tableSteps.length > 1) ? '; a step equal to the one before is merged into it (never raised)' : '';
  return assemble(requestShell(spec.patientId, spec.intent, spec.draft), {
    medicationCodeableConcept: tablet.medication,
    reasonCode: [COP_REASON],
    ...weightSupport(spec.weight),
    dosageInstruction: steps.map((s) =>
      dailyDosage({
        sequence: s.sequence,
        text: `${weeksOrDaysRange(s)}: ${s.doseMg} mg (${tabletCountText(s.doseMg, tablet)}) by mouth once daily in the morning`,
        doseMg: s.doseMg,
        days: s.days,
      }),
    ),
    dispenseRequest: {
      quantity: tablets(totalTablets),
      expectedSupplyDuration: days(totalDays),
    },
    note: [{
      text: `CDS: ${totalDays}-day taper for ${weightSource(spec.weight)}: ${schedule}; each step rounded to ${t.doseRoundingMg} mg` +
        ` and capped at ${doseCeilingMg(t)} mg/day${merged}.`,
    }],
  });
}

// ---------------------------------------------------------------------------------------------
// Clarithromycin

export interface ClarithromycinOrderSpec {
  patientId: string;
  thresholds: Thresholds;
  intent: RuleContext['medicationRequestIntent'];
}

/** "3 months (90 days)" for a course in whole 30-day months, as the regimen is usually written; other lengths in days or weeks. */
const courseText = (d: number): string => (d % 30 === 0 ? `${d / 30} months (${d} days)` : durationText(d));

export function buildClarithromycinRequest(spec: ClarithromycinOrderSpec): MedicationRequest {
  const doseMg = spec.thresholds.clarithromycinDoseMg;
  const courseDays = spec.thresholds.clarithromycinDays;
  const tablet = clarithromycinTablet(doseMg);
  const dosesPerDay = 2;
  return assemble(requestShell(spec.patientId, spec.intent), {
    medicationCodeableConcept: tablet.medication,
    reasonCode: [COP_REASON],
    dosageInstruction: [
      dailyDosage({
        sequence: 1,
        text: `${doseMg} mg (${tabletCountText(doseMg, tablet)}) by mouth twice daily for ${courseText(courseDays)}`,
        doseMg,
        days: courseDays,
        frequency: dosesPerDay,
      }),
    ],
    dispenseRequest: {
      quantity: tablets((doseMg / tablet.strengthMg) * dosesPerDay * courseDays),
      expectedSupplyDuration: days(courseDays),
    },
    note: [{ text: 'CDS: clarithromycin alternative for COP (observational data only); check QTc and drug interactions before signing.' }],
  });
}
