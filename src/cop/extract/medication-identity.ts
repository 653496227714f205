/**
 * What an order's drug is: which resource or name identifies it (decision 10: every US Core form),
 * its classes and glucocorticoid ingredient from codes and, as a fallback, names, and whether a
 * glucocorticoid is given by a systemic route (P-GC-SYSTEMIC). The tables are in valuesets.ts and
 * the deployment's Terminology; nothing here reads a dose.
 */
import type { CodeableConcept, Coding, Medication, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import type { GlucocorticoidIngredient, MedicationClass, MedicationIdentifiedBy } from '../facts-types.js';
import {
  ATC_CLASS_PREFIXES, CLARITHROMYCIN_INTERACTING_DRUGS, NON_SYSTEMIC_ROUTE_WORDS, RXNORM_PRODUCTS, SNOMED_PRODUCTS, SYSTEMS,
  wordMatcher, type Terminology, type TerminologyIngredient,
} from '../valuesets.js';

export interface MedicationIdentity {
  name: string;
  classes: MedicationClass[];
  glucocorticoid?: GlucocorticoidIngredient;
  rxnormCodes: string[];
  /** The ordered product, when its RxNorm SCD (or SNOMED CT product) is in the product table. */
  product?: ProductStrength;
}

/**
 * How many mg one countable unit of the product holds: per tablet (the product table, or a
 * Medication's `ingredient.strength` such as 5 mg per 1 TAB), or per mL (an oral solution's
 * mg/mL). A dose in tablets or mL becomes mg only through this.
 */
export interface ProductStrength {
  strengthMg: number;
  per: 'tablet' | 'mL';
  /** Where the strength came from, for the dose derivation ("prednisone 5 MG Oral Tablet"). */
  name: string;
}

const isNonSystemicText = wordMatcher(NON_SYSTEMIC_ROUTE_WORDS);
const interactingMatchers = CLARITHROMYCIN_INTERACTING_DRUGS.map((drug) => ({ drug, matches: wordMatcher(drug.words) }));

/**
 * What names an order's drug (decision 10, after US Core: "the client application SHALL support all
 * methods"): `medicationCodeableConcept`; a contained Medication (`#id`); an external Medication the
 * I/O layer found or fetched (`medications`, keyed by the reference as written); else the
 * reference's `display` as a name. Nothing at all → `none`, the order is unidentified.
 */
export interface MedicationSource {
  identifiedBy: MedicationIdentifiedBy;
  concept?: CodeableConcept;
  /** The Medication resource (contained or external): dose form and ingredient strengths. */
  medication?: Medication;
  unidentifiedReason?: string;
}

export interface MedicationLookup {
  medications: ReadonlyMap<string, Medication>;
  unresolved: ReadonlyMap<string, string>;
}

export const NO_LOOKUP: MedicationLookup = { medications: new Map(), unresolved: new Map() };

/** A concept that names something: a coded coding, a display or a text. */
const namesSomething = (c: CodeableConcept | undefined): c is CodeableConcept =>
  !!c && (!!c.text?.trim() || (c.coding ?? []).some((x) => !!x.code?.trim() || !!x.display?.trim()));

/** A Medication's code, or (when it has none) a concept made of its ingredients' codes and names. */
export function conceptOfMedication(medication: Medication): CodeableConcept | undefined {
  if (namesSomething(medication.code)) return medication.code;
  const items = (medication.ingredient ?? []).map((i) => i.itemCodeableConcept).filter(namesSomething);
  if (items.length === 0) return undefined;
  const text = items.map((i) => i.text ?? i.coding?.find((c) => c.display)?.display).filter(Boolean).join(' + ');
  return { coding: items.flatMap((i) => i.coding ?? []), ...(text ? { text } : {}) };
}

function fromMedication(medication: Medication | undefined, identifiedBy: 'contained' | 'external'): MedicationSource | undefined {
  if (!medication) return undefined;
  const concept = conceptOfMedication(medication);
  return concept ? { identifiedBy, concept, medication } : undefined;
}

/**
 * Whether an order names a drug in any form (a code or text, or a reference or its display). A draft
 * that names none is an order form not filled in yet (the CDS Hooks Sandbox sends one before a
 * medication is chosen): there is nothing to advise on, unlike an order whose named drug cannot be read.
 */
export function namesAMedication(resource: MedicationRequest | MedicationStatement): boolean {
  const reference = resource.medicationReference;
  return namesSomething(resource.medicationCodeableConcept) || !!reference?.reference?.trim() || !!reference?.display?.trim();
}

export function medicationSource(resource: MedicationRequest | MedicationStatement, lookup: MedicationLookup = NO_LOOKUP): MedicationSource {
  if (namesSomething(resource.medicationCodeableConcept)) return { identifiedBy: 'code', concept: resource.medicationCodeableConcept };
  const reference = resource.medicationReference;
  const ref = reference?.reference?.trim();
  let found: MedicationSource | undefined;
  let reason: string;
  if (ref?.startsWith('#')) {
    const contained = resource.contained?.find((r): r is Medication => r.resourceType === 'Medication' && r.id === ref.slice(1));
    found = fromMedication(contained, 'contained');
    reason = contained ? 'the contained medication names no drug' : 'the contained medication it refers to is missing';
  } else if (ref) {
    const external = lookup.medications.get(ref);
    found = fromMedication(external, 'external');
    reason = external ? 'the referenced medication names no drug' : (lookup.unresolved.get(ref) ?? 'the referenced medication could not be read');
  } else {
    reason = resource.medicationCodeableConcept ? 'the medication code is empty' : 'no medication is named';
  }
  if (found) return found;
  const display = reference?.display?.trim();
  if (display) return { identifiedBy: 'display', concept: { text: display } };
  return { identifiedBy: 'none', unidentifiedReason: reason };
}

/** Classes and glucocorticoid ingredient from codes (RxNorm SCD/IN, ATC) and, as a fallback, names. */
export function identifyMedication(concept: CodeableConcept | undefined, terminology: Terminology, extraTexts: readonly string[] = []): MedicationIdentity {
  const codings = concept?.coding ?? [];
  const texts = [concept?.text, ...extraTexts].filter((t): t is string => !!t);
  const classes = new Set<MedicationClass>();
  let glucocorticoid: GlucocorticoidIngredient | undefined;
  let product: MedicationIdentity['product'];
  const rxnormCodes: string[] = [];
  const table = terminology.ingredients;

  const addIngredient = (entry: TerminologyIngredient) => {
    entry.classes.forEach((c) => classes.add(c));
    glucocorticoid ??= entry.glucocorticoid;
  };

  for (const coding of codings) {
    const code = coding.code;
    if (!code) continue;
    if (coding.system === SYSTEMS.rxnorm) {
      rxnormCodes.push(code);
      const scd = RXNORM_PRODUCTS[code];
      if (scd) {
        product ??= { strengthMg: scd.strengthMg, per: 'tablet', name: scd.name };
        table.filter((e) => e.ingredient === scd.ingredient).forEach(addIngredient);
      }
      table.filter((e) => e.rxnorm.includes(code)).forEach(addIngredient);
      if (CLARITHROMYCIN_INTERACTING_DRUGS.some((d) => d.rxnormIngredients.includes(code))) classes.add('clarithromycin-interacting');
    } else if (coding.system === SYSTEMS.snomed) {
      const snomedProduct = SNOMED_PRODUCTS[code];
      if (snomedProduct) {
        product ??= { strengthMg: snomedProduct.strengthMg, per: 'tablet', name: snomedProduct.name };
        table.filter((e) => e.ingredient === snomedProduct.ingredient).forEach(addIngredient);
      }
    } else if (coding.system === SYSTEMS.atc) {
      table.filter((e) => e.atc.includes(code)).forEach(addIngredient);
      ATC_CLASS_PREFIXES.filter((p) => code.startsWith(p.prefix)).forEach((p) => classes.add(p.cls));
    }
  }

  // Names: the coded path above wins; a name adds what codes did not say (see buildIngredients in valuesets.ts).
  const allText = [...texts, ...codings.map((c) => c.display ?? '')].filter(Boolean);
  for (const entry of table) {
    if (allText.some(entry.namedIn)) addIngredient(entry);
  }
  if (interactingMatchers.some(({ matches }) => allText.some(matches))) classes.add('clarithromycin-interacting');

  const name = concept?.text ?? codings.find((c) => c.display)?.display ?? codings.find((c) => c.code)?.code ?? 'unnamed medication';
  const identity: MedicationIdentity = { name, classes: [...classes], rxnormCodes };
  if (glucocorticoid) identity.glucocorticoid = glucocorticoid;
  if (product) identity.product = product;
  return identity;
}

/**
 * P-GC-SYSTEMIC's route test: inhaled, nasal, topical, ophthalmic, rectal (and intra-articular)
 * routes or dose forms are local. Oral, IV and an unstated route count as systemic: the codes that
 * made it a glucocorticoid (ATC H02 = "for systemic use", the oral SCDs of the product table) already
 * imply a systemic product.
 */
export function isLocalRoute(routeCodings: readonly Coding[], texts: readonly string[], terminology: Terminology): boolean {
  if (routeCodings.some((c) => terminology.nonSystemicRouteCodes.has(`${c.system ?? ''}|${c.code ?? ''}`))) return true;
  return [...texts, ...routeCodings.map((c) => c.display ?? '')].some((t) => t && isNonSystemicText(t));
}
