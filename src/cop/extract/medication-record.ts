/**
 * One MedicationRequest or MedicationStatement → its MedicationFact: what the drug is
 * (medication-identity.ts), its daily dose and planned duration (medication-dosage.ts), with the
 * strength of a referenced product (medication-strength.ts) when the product table does not know it.
 */
import type { Dosage, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { routeOf } from '../../fhir/fhirpath.js';
import type { MedicationFact } from '../facts-types.js';
import { DEFAULT_TERMINOLOGY, type Terminology } from '../valuesets.js';
import { deriveDailyDose, firstBoundsStart, plannedDuration } from './medication-dosage.js';
import { identifyMedication, isLocalRoute, medicationSource, NO_LOOKUP, type MedicationLookup } from './medication-identity.js';
import { strengthFromMedication } from './medication-strength.js';

export interface ClassifyOptions {
  /** `MedicationRequest/{id}` is in `context.selections`. */
  selected?: boolean;
  /** A draft from `context.draftOrders`: keep the resource for `update` suggestions. */
  draft?: boolean;
  /** External Medications found or fetched for this request (decision 10). */
  lookup?: MedicationLookup;
  /** The deployment's terminology (built once at start-up); the default one when not given. */
  terminology?: Terminology;
}

/** The name an unidentified order gets on a card (its date and dose instructions go beside it). */
export const UNIDENTIFIED_NAME = 'medication not identified';

function classify(
  resource: MedicationRequest | MedicationStatement,
  dosages: readonly Dosage[],
  lookup: MedicationLookup,
  terminology: Terminology,
): Omit<MedicationFact, 'reference' | 'resourceType' | 'selected' | 'start'> {
  const source = medicationSource(resource, lookup);
  const { concept, medication } = source;
  const form = medication?.form;
  const formTexts = [form?.text, ...(form?.coding ?? []).map((c) => c.display)].filter((t): t is string => !!t);
  // A Medication's ingredient codes (RxNorm IN, ATC) say what it is when its own code is local.
  const ingredientCodings = medication?.code ? (medication.ingredient ?? []).flatMap((i) => i.itemCodeableConcept?.coding ?? []) : [];
  const identity = identifyMedication(
    ingredientCodings.length > 0 && concept ? { ...concept, coding: [...(concept.coding ?? []), ...ingredientCodings] } : concept,
    terminology,
    formTexts,
  );
  const classes = new Set(identity.classes);
  let glucocorticoid = identity.glucocorticoid;

  if (classes.has('systemic-glucocorticoid') || glucocorticoid) {
    const route = routeOf(resource);
    const nameTexts = [identity.name, ...formTexts, ...(concept?.coding ?? []).map((c) => c.display ?? '')];
    if (isLocalRoute(route.codings, [...route.texts, ...nameTexts], terminology)) {
      classes.delete('systemic-glucocorticoid');
      glucocorticoid = undefined;
    } else {
      classes.add('systemic-glucocorticoid');
    }
  }

  const fact: Omit<MedicationFact, 'reference' | 'resourceType' | 'selected' | 'start'> = {
    name: source.identifiedBy === 'none' ? UNIDENTIFIED_NAME : identity.name,
    identifiedBy: source.identifiedBy,
    classes: [...classes],
    rxnormCodes: identity.rxnormCodes,
  };
  if (source.unidentifiedReason) fact.unidentifiedReason = source.unidentifiedReason;
  const instructions = source.identifiedBy === 'none' ? dosages.find((d) => d.text?.trim())?.text?.trim() : undefined;
  if (instructions) fact.instructions = instructions.length > 100 ? `${instructions.slice(0, 99)}…` : instructions;
  if (resource.id) fact.id = resource.id;
  if (resource.status) fact.status = resource.status;
  if (glucocorticoid) fact.glucocorticoid = glucocorticoid;

  const product = identity.product ?? strengthFromMedication(medication, glucocorticoid, terminology);
  const dose = deriveDailyDose(dosages, product, glucocorticoid);
  if (dose.dailyDose) fact.dailyDose = dose.dailyDose;
  else if (dose.doseUnknownReason) fact.doseUnknownReason = dose.doseUnknownReason;

  const duration = plannedDuration(dosages);
  if (duration.plannedDurationDays !== undefined) fact.plannedDurationDays = duration.plannedDurationDays;
  if (duration.initialPhaseDays !== undefined) fact.initialPhaseDays = duration.initialPhaseDays;
  return fact;
}

export function medicationFactFromRequest(request: MedicationRequest, options: ClassifyOptions = {}): MedicationFact {
  const dosages = request.dosageInstruction ?? [];
  const fact: MedicationFact = {
    reference: request.id ? `MedicationRequest/${request.id}` : 'MedicationRequest',
    resourceType: 'MedicationRequest',
    ...classify(request, dosages, options.lookup ?? NO_LOOKUP, options.terminology ?? DEFAULT_TERMINOLOGY),
    intent: request.intent,
    selected: options.selected ?? false,
  };
  const start = request.authoredOn ?? firstBoundsStart(dosages);
  if (start) fact.start = start;
  const prior = request.priorPrescription?.reference?.trim();
  if (prior) fact.priorPrescription = prior;
  if (options.draft) fact.draftResource = request;
  return fact;
}

export function medicationFactFromStatement(
  statement: MedicationStatement,
  lookup: MedicationLookup = NO_LOOKUP,
  terminology: Terminology = DEFAULT_TERMINOLOGY,
): MedicationFact {
  const dosages = statement.dosage ?? [];
  const fact: MedicationFact = {
    reference: statement.id ? `MedicationStatement/${statement.id}` : 'MedicationStatement',
    resourceType: 'MedicationStatement',
    ...classify(statement, dosages, lookup, terminology),
    selected: false,
  };
  const start = statement.effectivePeriod?.start ?? statement.effectiveDateTime ?? firstBoundsStart(dosages);
  if (start) fact.start = start;
  return fact;
}
