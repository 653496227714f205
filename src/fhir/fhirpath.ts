/**
 * Typed accessors for the FHIR elements the facts layer reads, each specified by a FHIRPath
 * expression (compiled ONCE at module load against the R4 model, never per request).
 *
 * The accessors called for every Observation or medication of every request walk the elements with
 * plain property access instead of running the evaluator: `--cpu-prof` showed the evaluator at
 * 10–50x the cost of the walk (0.25 ms a call on a typical patient-view for blood-pressure
 * components alone) plus its garbage. Their expressions stay here as the specification, exported in
 * `ACCESSOR_EXPRESSIONS`, and a property test checks every walk against its compiled expression.
 * The allergy accessors (a union over nested elements, read once per allergy) run the evaluator.
 *
 * The evaluator returns plain JSON nodes (resolveInternalTypes is on by default); no accessor
 * modifies the resource it reads.
 */
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';
import type {
  AllergyIntolerance, CodeableConcept, Coding, Dosage, MedicationRequest, MedicationStatement, Observation, Quantity,
} from 'fhir/r4.js';

const compile = (expression: string) => fhirpath.compile(expression, r4model);

/** The v3 interpretation code system used by `Observation.interpretation`. */
export const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** The FHIRPath each plain-walk accessor implements (the property test compiles and compares). */
export const ACCESSOR_EXPRESSIONS = {
  componentQuantities: 'component.where(code.coding.where(system = %system and code = %code).exists()).value.ofType(Quantity)',
  referenceRangeHighs: 'referenceRange.high',
  interpretationCodes: 'interpretation.coding.where(system = %system).code',
  valueCodings: 'value.ofType(CodeableConcept).coding',
  requestRouteTexts: 'dosageInstruction.route.text | dosageInstruction.route.coding.display',
  requestRouteCodings: 'dosageInstruction.route.coding',
  statementRouteTexts: 'dosage.route.text | dosage.route.coding.display',
  statementRouteCodings: 'dosage.route.coding',
} as const;

const allergyCodingsExpr = compile('code.coding | reaction.substance.coding');
const allergyTextsExpr = compile(
  'code.text | code.coding.display | reaction.substance.text | reaction.substance.coding.display',
);

const asArray = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : []);
const strings = (result: unknown): string[] => asArray<unknown>(result).filter((v): v is string => typeof v === 'string');

/** The Quantity values of the components coded `system|code` (e.g. LOINC 3151-8, 8480-6). */
export function componentQuantities(obs: Observation, system: string, code: string): Quantity[] {
  const out: Quantity[] = [];
  for (const component of obs.component ?? []) {
    if (component.valueQuantity === undefined) continue;
    if (component.code?.coding?.some((c) => c.system === system && c.code === code)) out.push(component.valueQuantity);
  }
  return out;
}

/** Every `referenceRange.high` of an Observation, in document order. */
export function referenceRangeHighs(obs: Observation): Quantity[] {
  const out: Quantity[] = [];
  for (const range of obs.referenceRange ?? []) if (range.high !== undefined) out.push(range.high);
  return out;
}

/** v3-ObservationInterpretation codes (H, HH, HU, L, N, …) on an Observation. */
export function interpretationCodes(obs: Observation): string[] {
  const out: string[] = [];
  for (const concept of obs.interpretation ?? []) {
    for (const coding of concept.coding ?? []) {
      if (coding.system === V3_INTERPRETATION && coding.code !== undefined) out.push(coding.code);
    }
  }
  return out;
}

/** Codings of `valueCodeableConcept` (e.g. pregnancy status 77386006 / 60001007). */
export function valueCodings(obs: Observation): Coding[] {
  return obs.valueCodeableConcept?.coding ?? [];
}

/** Codings of the allergen: `code` and each `reaction.substance`. */
export function allergyCodings(allergy: AllergyIntolerance): Coding[] {
  return asArray<Coding>(allergyCodingsExpr(allergy));
}

/** Human text naming the allergen (code text and displays, reaction substances). */
export function allergyTexts(allergy: AllergyIntolerance): string[] {
  return strings(allergyTextsExpr(allergy));
}

/** Route codings and texts over all dosage instructions of a request or statement. */
export function routeOf(med: MedicationRequest | MedicationStatement): { codings: Coding[]; texts: string[] } {
  const dosages: Dosage[] = (med.resourceType === 'MedicationRequest' ? med.dosageInstruction : med.dosage) ?? [];
  const codings: Coding[] = [];
  // FHIRPath's union (`|`) keeps each distinct text once, in first-seen order; so does a Set.
  const texts = new Set<string>();
  for (const dosage of dosages) if (dosage.route?.text !== undefined) texts.add(dosage.route.text);
  for (const dosage of dosages) {
    for (const coding of dosage.route?.coding ?? []) {
      codings.push(coding);
      if (coding.display !== undefined) texts.add(coding.display);
    }
  }
  return { codings, texts: [...texts] };
}

/** Plain helper: the codings of a CodeableConcept (empty when absent). */
export function codingsOf(cc: CodeableConcept | undefined): Coding[] {
  return cc?.coding ?? [];
}

/** Plain helper: a CodeableConcept has a coding with this system and one of these codes. */
export function hasCoding(cc: CodeableConcept | undefined, system: string, codes: ReadonlySet<string> | readonly string[]): boolean {
  const set = codes instanceof Set ? codes : new Set(codes as readonly string[]);
  return codingsOf(cc).some((c) => c.system === system && c.code !== undefined && set.has(c.code));
}

/** Plain helper: the first code of a CodeableConcept in `system` (e.g. clinicalStatus). */
export function codeIn(cc: CodeableConcept | undefined, system?: string): string | undefined {
  return codingsOf(cc).find((c) => system === undefined || c.system === system)?.code;
}
