/**
 * FHIRPath expressions compiled ONCE at module load against the R4 model, wrapped in typed
 * accessors. FHIRPath is used where it saves real work (walking repeating elements, choice types,
 * filtering components by code); plain property access is used elsewhere in the facts layer.
 *
 * The evaluator returns plain JSON nodes (resolveInternalTypes is on by default) and does not
 * modify the resource it reads.
 */
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';
import type {
  AllergyIntolerance, CodeableConcept, Coding, MedicationRequest, MedicationStatement, Observation, Quantity,
} from 'fhir/r4.js';

const compile = (expression: string) => fhirpath.compile(expression, r4model);

/** The v3 interpretation code system used by `Observation.interpretation`. */
export const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

const componentQuantityExpr = compile(
  'component.where(code.coding.where(system = %system and code = %code).exists()).value.ofType(Quantity)',
);
const referenceRangeHighExpr = compile('referenceRange.high');
const interpretationCodesExpr = compile('interpretation.coding.where(system = %system).code');
const valueCodingsExpr = compile('value.ofType(CodeableConcept).coding');
const allergyCodingsExpr = compile('code.coding | reaction.substance.coding');
const allergyTextsExpr = compile(
  'code.text | code.coding.display | reaction.substance.text | reaction.substance.coding.display',
);
const requestRouteTextsExpr = compile('dosageInstruction.route.text | dosageInstruction.route.coding.display');
const requestRouteCodingsExpr = compile('dosageInstruction.route.coding');
const statementRouteTextsExpr = compile('dosage.route.text | dosage.route.coding.display');
const statementRouteCodingsExpr = compile('dosage.route.coding');

const asArray = <T>(result: unknown): T[] => (Array.isArray(result) ? (result as T[]) : []);
const strings = (result: unknown): string[] => asArray<unknown>(result).filter((v): v is string => typeof v === 'string');

/** The Quantity values of the components coded `system|code` (e.g. LOINC 3151-8, 8480-6). */
export function componentQuantities(obs: Observation, system: string, code: string): Quantity[] {
  return asArray<Quantity>(componentQuantityExpr(obs, { system, code }));
}

/** Every `referenceRange.high` of an Observation, in document order. */
export function referenceRangeHighs(obs: Observation): Quantity[] {
  return asArray<Quantity>(referenceRangeHighExpr(obs));
}

/** v3-ObservationInterpretation codes (H, HH, HU, L, N, …) on an Observation. */
export function interpretationCodes(obs: Observation): string[] {
  return strings(interpretationCodesExpr(obs, { system: V3_INTERPRETATION }));
}

/** Codings of `valueCodeableConcept` (e.g. pregnancy status 77386006 / 60001007). */
export function valueCodings(obs: Observation): Coding[] {
  return asArray<Coding>(valueCodingsExpr(obs));
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
  if (med.resourceType === 'MedicationRequest') {
    return { codings: asArray<Coding>(requestRouteCodingsExpr(med)), texts: strings(requestRouteTextsExpr(med)) };
  }
  return { codings: asArray<Coding>(statementRouteCodingsExpr(med)), texts: strings(statementRouteTextsExpr(med)) };
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
