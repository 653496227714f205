/**
 * Builders for the MedicationRequests that COP suggestions carry (cop-rules.md §2.1–2.3):
 * the initial glucocorticoid phase, the sequenced 24-week taper and the clarithromycin
 * alternative. Pure functions; every resource is complete FHIR R4 with no empty fields.
 *
 * Safety invariant: no daily glucocorticoid dose built here exceeds `thresholds.maxDailyDoseMg`.
 * `cappedDailyDoseMg` is the only way a dose enters a resource, and orders.test.ts proves the
 * bound with a property test over the whole plausible weight and mg/kg range.
 */
import type {
  CodeableConcept, Dosage, Duration, MedicationRequest, Quantity, Reference,
} from 'fhir/r4.js';
import { SYSTEMS } from '../fhir/systems.js';
import { RXNORM_PRODUCTS } from './valuesets.js';
import { TAPER_STEPS, type TaperStep, type Thresholds } from './knowledge.js';
import type { FormularyProfile, RuleContext } from './rule-types.js';
import type { Measurement } from './facts-types.js';
import { compactNumber, durationText, mgPerKgText, oneDecimal, roundToStep } from './text.js';

export const RXNORM = SYSTEMS.rxnorm;
export const SNOMED = SYSTEMS.snomed;
export const ICD10CM = SYSTEMS.icd10cm;
export const UCUM = SYSTEMS.ucum;
export const ATC = SYSTEMS.atc;
export const ORDERABLE_DRUG_FORM = SYSTEMS.orderableDrugForm;
export const DOSE_RATE_TYPE = 'http://terminology.hl7.org/CodeSystem/dose-rate-type';

/**
 * Placeholder system for site formulary codes the project cannot know (UK dm+d). Deliberately on
 * the project's example domain so that it can never be mistaken for a real terminology; a UK site
 * replaces it with its dm+d VMP/AMP code when it configures the `uk` profile.
 */
export const LOCAL_FORMULARY_PLACEHOLDER_SYSTEM = 'https://cop-cds.example.org/fhir/CodeSystem/local-formulary-PLACEHOLDER';

/** Freezes a constant and everything in it, so resources can share it safely. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Oral route. cop-codes.md marks 26643006 as U (written from memory); kept because §2.1 shows it. */
export const ORAL_ROUTE: CodeableConcept = deepFreeze({
  coding: [{ system: SNOMED, code: '26643006', display: 'Oral route' }],
});

/** The indication on every COP order: SNOMED 719218000 (C2) and ICD-10-CM J84.116 (C). */
export const COP_REASON: CodeableConcept = deepFreeze({
  coding: [
    { system: SNOMED, code: '719218000', display: 'Cryptogenic organizing pneumonia (disorder)' },
    { system: ICD10CM, code: 'J84.116', display: 'Cryptogenic organizing pneumonia' },
  ],
});

// ---------------------------------------------------------------------------------------------
// Products

export interface TabletProduct {
  ingredient: 'prednisone' | 'prednisolone' | 'clarithromycin';
  strengthMg: number;
  medication: CodeableConcept;
}

/** A suggested product from the one RxNorm product table the facts layer also reads. */
function rxnormTablet(code: string): TabletProduct {
  const product = RXNORM_PRODUCTS[code];
  if (!product || product.doseForm !== 'oral-tablet') throw new Error(`RxNorm ${code} is not a known oral tablet`);
  const ingredient = product.ingredient as TabletProduct['ingredient'];
  return {
    ingredient,
    strengthMg: product.strengthMg,
    medication: {
      coding: [{ system: RXNORM, code, display: product.name }],
      text: `${ingredient} ${product.strengthMg} mg tablet`,
    },
  };
}

/** US prednisone SCDs (cop-codes §3.2: 312615 C, 198145 C2, 312617 C), largest first. */
export const US_PREDNISONE_TABLETS: readonly TabletProduct[] = deepFreeze(['312615', '198145', '312617'].map(rxnormTablet));

/**
 * UK prednisolone 5 mg plain tablets. Why not the US SCD 198142 ("prednisolone 5 MG Oral Tablet")?
 * RxNorm does not cover UK products: a dm+d-based EHR cannot resolve an RxNorm code, and a US code
 * in a UK prescription would silently claim a US-marketed product. So the order carries the
 * ingredient class (ATC H02AB06, C: MHRA records) that lets any system, including our own facts
 * extractor, recognise a systemic glucocorticoid, plus a clearly marked placeholder for the site's
 * dm+d code, and plain text the prescriber can read. The dose itself is in mg, not tablets.
 */
export const UK_PREDNISOLONE_5MG: TabletProduct = deepFreeze({
  ingredient: 'prednisolone',
  strengthMg: 5,
  medication: {
    coding: [
      { system: ATC, code: 'H02AB06', display: 'prednisolone' },
      {
        system: LOCAL_FORMULARY_PLACEHOLDER_SYSTEM,
        code: 'PLACEHOLDER-prednisolone-5mg-tablet',
        display: 'Prednisolone 5 mg tablets (site must map to its dm+d code)',
      },
    ],
    text: 'prednisolone 5 mg tablets',
  },
});

/** Clarithromycin immediate-release tablets (197517 C, 197516 C). Never 359385 (24 h ER). */
export const CLARITHROMYCIN_TABLETS: readonly TabletProduct[] = deepFreeze(['197517', '197516'].map(rxnormTablet));

/**
 * The tablet for a glucocorticoid dose (cop-rules R01 step 6): US → 20 mg tablets when the dose is
 * a multiple of 20, else 10 mg when a multiple of 10, else 5 mg; UK → prednisolone 5 mg always.
 */
export function glucocorticoidTablet(doseMg: number, formulary: FormularyProfile): TabletProduct {
  if (formulary === 'uk') return UK_PREDNISOLONE_5MG;
  const fits = US_PREDNISONE_TABLETS.find((t) => doseMg % t.strengthMg === 0);
  if (!fits) throw new RangeError(`No prednisone tablet composes ${doseMg} mg (doses are whole multiples of 5 mg)`);
  return fits;
}

/** The glucocorticoid ingredient a formulary profile prescribes (decision 3: doses are 1:1). */
export const glucocorticoidName = (formulary: FormularyProfile): 'prednisone' | 'prednisolone' =>
  formulary === 'uk' ? 'prednisolone' : 'prednisone';

// ---------------------------------------------------------------------------------------------
// Dose arithmetic

/**
 * The safety cap expressed in whole rounding steps: 60 mg when the cap is 60 and the step 5. If a
 * site configured a cap that is not a multiple of the step (say 58), the highest prescribable dose
 * below it (55) is used, so a capped dose can still be composed of tablets and never exceeds the cap.
 */
export const doseCeilingMg = (t: Thresholds): number =>
  Math.floor(t.maxDailyDoseMg / t.doseRoundingMg + 1e-9) * t.doseRoundingMg;

/** Round half-up to the rounding step, then cap: the only path by which a daily dose is made. */
export function cappedDailyDoseMg(rawMg: number, t: Thresholds): number {
  if (!Number.isFinite(rawMg) || rawMg <= 0) throw new RangeError(`Invalid daily dose ${rawMg} mg`);
  // A positive dose never rounds to nothing: the smallest prescribable dose is one step.
  const rounded = Math.max(t.doseRoundingMg, roundToStep(rawMg, t.doseRoundingMg));
  return Math.min(rounded, doseCeilingMg(t));
}

export interface WeightBasedDose {
  kg: number;
  mgPerKg: number;
  /** kg × mg/kg before rounding, e.g. 44.925. */
  rawMg: number;
  /** Rounded to the step, before the cap. */
  roundedMg: number;
  /** What is prescribed. */
  doseMg: number;
  capped: boolean;
}

export function weightBasedDose(kg: number, mgPerKg: number, t: Thresholds): WeightBasedDose {
  if (!Number.isFinite(kg) || kg <= 0) throw new RangeError(`Invalid body weight ${kg} kg`);
  const rawMg = kg * mgPerKg;
  const roundedMg = roundToStep(rawMg, t.doseRoundingMg);
  const doseMg = cappedDailyDoseMg(rawMg, t);
  return { kg, mgPerKg, rawMg, roundedMg, doseMg, capped: doseMg < roundedMg };
}

/**
 * The usual starting range for this weight (R01 step 4): [round(min × kg), min(round(max × kg), cap)].
 * The lower bound is capped too, so a very heavy patient never sees a range like "65–60 mg".
 */
export function usualDoseRangeMg(kg: number, t: Thresholds): { lowMg: number; highMg: number } {
  return {
    lowMg: cappedDailyDoseMg(kg * t.minMgPerKg, t),
    highMg: cappedDailyDoseMg(kg * t.maxMgPerKg, t),
  };
}

/** "9 x 5 mg tablets", "1 x 20 mg tablet". */
export const tabletCountText = (doseMg: number, tablet: TabletProduct): string => {
  const n = doseMg / tablet.strengthMg;
  return `${n} x ${tablet.strengthMg} mg ${n === 1 ? 'tablet' : 'tablets'}`;
};

// ---------------------------------------------------------------------------------------------
// FHIR pieces

const mg = (value: number): Quantity => ({ value, unit: 'mg', system: UCUM, code: 'mg' });
const days = (value: number): Duration => ({ value, unit: 'days', system: UCUM, code: 'd' });
const tablets = (value: number): Quantity => ({ value, unit: 'tablet', system: ORDERABLE_DRUG_FORM, code: 'TAB' });
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

/** The draft being replaced in the order-select flow (decision 4). */
export interface DraftToUpdate {
  /** The draft's resource as the EHR sent it; its id, subject and status are kept. */
  resource?: MedicationRequest;
  /** Fallback id when only the facts' id is known. */
  id?: string;
}

/**
 * The shell of a suggested order. For an update (decision 4) it keeps the draft's id, subject and
 * status, and the EHR-owned context the clinician did not ask us to change (encounter, requester,
 * authoredOn), so accepting the card does not erase who ordered it and where.
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
 * Resources share the module's frozen constants (codings, route, reason) instead of copying them on
 * every call: they are only ever serialised, and freezing makes an accidental edit throw.
 */
function assemble(shell: MedicationRequest, body: Omit<MedicationRequest, 'resourceType' | 'status' | 'intent' | 'subject'>): MedicationRequest {
  const { resourceType, id, status, intent, subject, ...context } = shell;
  return { resourceType, ...(id ? { id } : {}), status, intent, ...body, subject, ...context };
}

/**
 * "60.0 kg (weighed 2026-11-20)": the weight a note relied on, in words for whoever signs the
 * order; the Observation itself goes in `supportingInformation` (decision 19: no ids in text).
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
// §2.1 Initial phase

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

export interface InitialPhasePlan {
  dose: WeightBasedDose;
  range: { lowMg: number; highMg: number };
  tablet: TabletProduct;
  tabletsPerDay: number;
  days: number;
}

export function initialPhasePlan(kg: number, t: Thresholds, formulary: FormularyProfile): InitialPhasePlan {
  const dose = weightBasedDose(kg, t.mgPerKg, t);
  const tablet = glucocorticoidTablet(dose.doseMg, formulary);
  return {
    dose,
    range: usualDoseRangeMg(kg, t),
    tablet,
    tabletsPerDay: dose.doseMg / tablet.strengthMg,
    days: t.initialPhaseDays,
  };
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
// §2.2 Sequenced 24-week taper

export interface TaperStepPlan {
  sequence: number;
  doseMg: number;
  days: number;
  /** First and last day of the step, counted from the start of the course. */
  fromDay: number;
  toDay: number;
  /** How the step is defined: "0.75 mg/kg", "2/3 of the starting dose", "20 mg". */
  definition: string;
  /**
   * The §2.2 table rows (1–5) this step covers. More than one when a row's dose equals the one
   * before: it is merged into that step (its days are added) rather than repeated or raised.
   */
  tableSteps: number[];
}

/**
 * §2.2 (rev 2, decision 13): the dose of each table row, before merging. Row 1 is the capped initial
 * dose D (the same `weightBasedDose` as the §2.1 order); row 2 is D × 2/3 rounded to the step
 * (Lazor's 0.5 mg/kg, up to rounding, while D is not capped); rows 3–5 are the fixed doses of
 * TAPER_STEPS (20, 10, 5 mg), each at most the row before. So no row is above the one before it, nor above D or the cap.
 */
function taperRowDoses(kg: number, t: Thresholds, steps: readonly TaperStep[]): { doseMg: number; definition: string }[] {
  const initial = weightBasedDose(kg, t.mgPerKg, t);
  const rows: { doseMg: number; definition: string }[] = [];
  steps.forEach((step, i) => {
    if (i === 0) {
      rows.push({ doseMg: initial.doseMg, definition: `${mgPerKgText(t.mgPerKg)} mg/kg${initial.capped ? `, capped at ${doseCeilingMg(t)} mg/day` : ''}` });
      return;
    }
    const before = rows[i - 1]!.doseMg;
    if (i === 1) {
      rows.push({ doseMg: Math.min(before, cappedDailyDoseMg((initial.doseMg * 2) / 3, t)), definition: '2/3 of the starting dose' });
      return;
    }
    const fixed = 'mg' in step.dose ? step.dose.mg : kg * step.dose.mgPerKg;
    rows.push({ doseMg: Math.min(before, cappedDailyDoseMg(fixed, t)), definition: `${compactNumber(fixed)} mg` });
  });
  return rows;
}

/**
 * The sequenced taper of §2.2: the table's rows with their days (TAPER_STEPS, 168 days in all),
 * a row whose dose equals the step before merged into it. The plan never rises, its first step is
 * the capped initial dose, and it lasts as long as the table however many rows merge.
 * 30 kg: 25 → 15 (8 weeks) → 10 → 5 mg; 250 kg: 60 → 40 → 20 → 10 → 5 mg.
 */
export function taperPlan(kg: number, t: Thresholds, steps: readonly TaperStep[] = TAPER_STEPS): TaperStepPlan[] {
  const doses = taperRowDoses(kg, t, steps);
  const plan: TaperStepPlan[] = [];
  let day = 1;
  steps.forEach((step, i) => {
    const row = doses[i]!;
    const last = plan.at(-1);
    if (last && last.doseMg === row.doseMg) {
      last.days += step.days;
      last.toDay += step.days;
      last.tableSteps.push(i + 1);
    } else {
      plan.push({
        sequence: plan.length + 1,
        doseMg: row.doseMg,
        days: step.days,
        fromDay: day,
        toDay: day + step.days - 1,
        definition: row.definition,
        tableSteps: [i + 1],
      });
    }
    day += step.days;
  });
  return plan;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * One MedicationRequest has one product, so the taper uses the largest tablet that composes every
 * step: R01 step 6 applied to the greatest common divisor of the step doses (with a 5 mg last step,
 * 5 mg tablets).
 */
export const taperTablet = (steps: TaperStepPlan[], formulary: FormularyProfile): TabletProduct =>
  glucocorticoidTablet(steps.map((s) => s.doseMg).reduce(gcd), formulary);

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
// §2.3 Clarithromycin

export interface ClarithromycinOrderSpec {
  patientId: string;
  thresholds: Thresholds;
  intent: RuleContext['medicationRequestIntent'];
}

/** "3 months" for 90 days as §2.3 words it; other lengths in days or weeks. */
const courseText = (d: number): string => (d % 30 === 0 ? `${d / 30} months (${d} days)` : durationText(d));

export function buildClarithromycinRequest(spec: ClarithromycinOrderSpec): MedicationRequest {
  const doseMg = spec.thresholds.clarithromycinDoseMg;
  const courseDays = spec.thresholds.clarithromycinDays;
  const tablet = CLARITHROMYCIN_TABLETS.find((p) => doseMg % p.strengthMg === 0);
  if (!tablet) throw new RangeError(`No clarithromycin tablet composes ${doseMg} mg`);
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
