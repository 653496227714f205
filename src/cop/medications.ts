/**
 * MedicationRequest / MedicationStatement → MedicationFact: what the drug is (classes, glucocorticoid
 * ingredient), whether a glucocorticoid is systemic (P-GC-SYSTEMIC), its daily dose in mg and in
 * prednisone equivalents (PredEq), and its planned duration. A dose that cannot be derived exactly
 * is left undefined with a reason: never guessed, never zero.
 */
import type {
  CodeableConcept, Coding, Dosage, Medication, MedicationRequest, MedicationStatement, Quantity,
} from 'fhir/r4.js';
import { calendarDaysAgo, parseFhirDate } from '../fhir/dates.js';
import { routeOf } from '../fhir/fhirpath.js';
import { durationToDays, UCUM_SYSTEM, unitOfTimeToDays } from '../fhir/ucum.js';
import type {
  DailyDose, GlucocorticoidIngredient, MedicationClass, MedicationFact, MedicationIdentifiedBy,
} from './facts-types.js';
import { PREDNISONE_EQUIVALENCE } from './knowledge.js';
import {
  ATC_CLASS_PREFIXES, CLARITHROMYCIN_INTERACTING_DRUGS, currentUnconfirmedCodes, ingredientTable,
  NON_SYSTEMIC_ROUTE_WORDS, RXNORM_PRODUCTS, SNOMED_PRODUCTS, SYSTEMS, TABLET_FORM_CODES, TABLET_ORDERABLE_FORM,
  TABLET_UCUM_ANNOTATIONS, wordMatcher,
} from './valuesets.js';

// ---------------------------------------------------------------------------------------------
// What the medication is

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
/** Name matchers are built per ingredient table, which only changes on a site override. */
let ingredientMatcherCache: { table: ReturnType<typeof ingredientTable>; matchers: ((t: string) => boolean)[] } | undefined;

function ingredientNameMatchers(): { entry: ReturnType<typeof ingredientTable>[number]; matches: (t: string) => boolean }[] {
  const table = ingredientTable();
  if (ingredientMatcherCache?.table !== table) {
    ingredientMatcherCache = { table, matchers: table.map((e) => wordMatcher(e.words)) };
  }
  const matchers = ingredientMatcherCache.matchers;
  return table.map((entry, i) => ({ entry, matches: matchers[i] ?? (() => false) }));
}

/**
 * What names an order's drug (cop-rules.md decision 10, US Core: "the client application SHALL
 * support all methods"): `medicationCodeableConcept`; a contained Medication (`#id`); an external
 * Medication the I/O layer found or fetched (`medications`, keyed by the reference as written); else
 * the reference's `display` as a name. Nothing at all → `none`, the order is unidentified.
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

const NO_LOOKUP: MedicationLookup = { medications: new Map(), unresolved: new Map() };

/** A concept that names something: a coded coding, a display or a text. */
const namesSomething = (c: CodeableConcept | undefined): c is CodeableConcept =>
  !!c && (!!c.text?.trim() || (c.coding ?? []).some((x) => !!x.code?.trim() || !!x.display?.trim()));

/** A Medication's code, or (when it has none) a concept made of its ingredients' codes and names. */
function conceptOfMedication(medication: Medication): CodeableConcept | undefined {
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
export function identifyMedication(concept: CodeableConcept | undefined, extraTexts: readonly string[] = []): MedicationIdentity {
  const codings = concept?.coding ?? [];
  const texts = [concept?.text, ...extraTexts].filter((t): t is string => !!t);
  const classes = new Set<MedicationClass>();
  let glucocorticoid: GlucocorticoidIngredient | undefined;
  let product: MedicationIdentity['product'];
  const rxnormCodes: string[] = [];
  const table = ingredientTable();

  const addIngredient = (entry: (typeof table)[number]) => {
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

  // Names: the coded path above wins; a name adds what codes did not say (see valuesets.ts).
  const allText = [...texts, ...codings.map((c) => c.display ?? '')].filter(Boolean);
  for (const { entry, matches } of ingredientNameMatchers()) {
    if (allText.some(matches)) addIngredient(entry);
  }
  if (interactingMatchers.some(({ matches }) => allText.some(matches))) classes.add('clarithromycin-interacting');

  const name = concept?.text ?? codings.find((c) => c.display)?.display ?? codings.find((c) => c.code)?.code ?? 'unnamed medication';
  const identity: MedicationIdentity = { name, classes: [...classes], rxnormCodes };
  if (glucocorticoid) identity.glucocorticoid = glucocorticoid;
  if (product) identity.product = product;
  return identity;
}

// ---------------------------------------------------------------------------------------------
// Strength stated by a Medication resource

const MG_PER_MASS_UNIT: Record<string, number> = { mg: 1, g: 1000, ug: 0.001, mcg: 0.001 };
const isTabletWord = wordMatcher(['tab', 'tabs', 'tablets?']);

/** mg in a strength numerator (UCUM mg, g, ug; or the same as unit text), else undefined. */
function massInMg(q: Quantity | undefined): number | undefined {
  if (!q || typeof q.value !== 'number' || !(q.value > 0) || !Number.isFinite(q.value)) return undefined;
  if (q.system !== undefined && q.system !== UCUM_SYSTEM) return undefined;
  const factor = MG_PER_MASS_UNIT[(q.code ?? q.unit ?? '').trim()];
  return factor === undefined ? undefined : q.value * factor;
}

/** The Medication's dose form is a tablet (v3 TAB, SNOMED CT tablet forms, or the word). */
function isTabletForm(form: CodeableConcept | undefined): boolean {
  if (!form) return false;
  if ((form.coding ?? []).some((c) => c.code !== undefined && TABLET_FORM_CODES.has(`${c.system ?? ''}|${c.code}`))) return true;
  return [form.text, ...(form.coding ?? []).map((c) => c.display)].some((t) => !!t && isTabletWord(t));
}

/** What one unit of a strength denominator is: a tablet, a mL, or something the dose cannot be counted in. */
function denominatorKind(q: Quantity | undefined, form: CodeableConcept | undefined): 'tablet' | 'mL' | undefined {
  const code = (q?.code ?? q?.unit ?? '').trim();
  if (q && isTabletCount(q)) return 'tablet';
  if (code === 'mL' && (q?.system === undefined || q.system === UCUM_SYSTEM)) return 'mL';
  // "5 mg per 1" (unit 1 or none): per unit of the dose form, so per tablet when the form is one.
  if ((code === '' || code === '1') && isTabletForm(form)) return 'tablet';
  return undefined;
}

/**
 * Strength from `Medication.ingredient[].strength`: the one ingredient that states one, or the one
 * that names the glucocorticoid when several do. Anything ambiguous (two strengths, an unreadable
 * ratio) stays unknown: a dose in tablets is then not turned into mg.
 */
export function strengthFromMedication(medication: Medication | undefined, glucocorticoid?: GlucocorticoidIngredient): ProductStrength | undefined {
  const ingredients = (medication?.ingredient ?? []).filter((i) => i.strength);
  let chosen = ingredients.length === 1 ? ingredients[0] : undefined;
  if (!chosen && ingredients.length > 1 && glucocorticoid) {
    const named = ingredients.filter((i) => identifyMedication(i.itemCodeableConcept).glucocorticoid === glucocorticoid);
    chosen = named.length === 1 ? named[0] : undefined;
  }
  const ratio = chosen?.strength;
  if (!ratio) return undefined;
  const mg = massInMg(ratio.numerator);
  const denominator = ratio.denominator;
  const perCount = denominator?.value ?? 1;
  const per = denominatorKind(denominator, medication?.form);
  if (mg === undefined || per === undefined || !(perCount > 0) || !Number.isFinite(perCount)) return undefined;
  const strengthMg = mg / perCount;
  if (!Number.isFinite(strengthMg) || !(strengthMg > 0)) return undefined;
  const name = conceptOfMedication(medication as Medication)?.text ?? `${fmt(strengthMg)} mg per ${per}`;
  return { strengthMg, per, name };
}

/**
 * P-GC-SYSTEMIC's route test: inhaled, nasal, topical, ophthalmic, rectal (and intra-articular)
 * routes or dose forms are local. Oral, IV and an unstated route count as systemic: the codes that
 * made it a glucocorticoid (ATC H02 = "for systemic use", the oral SCDs of the product table) already
 * imply a systemic product.
 */
export function isLocalRoute(routeCodings: readonly Coding[], texts: readonly string[]): boolean {
  const siteCodes = new Set(currentUnconfirmedCodes().nonSystemicRouteCodes);
  if (routeCodings.some((c) => siteCodes.has(`${c.system ?? ''}|${c.code ?? ''}`))) return true;
  return [...texts, ...routeCodings.map((c) => c.display ?? '')].some((t) => t && isNonSystemicText(t));
}

// ---------------------------------------------------------------------------------------------
// Daily dose

type StepDose = { ok: true; mgPerDay: number; text: string } | { ok: false; reason: string };

/** Up to 3 decimals; a number too large to round that way is written as it is (never "Infinity"). */
const fmt = (n: number): string => {
  const rounded = Math.round(n * 1000) / 1000;
  return String(Number.isFinite(rounded) ? rounded : n);
};

/**
 * Longest planned course that can be placed on a calendar (100 years): a bounds beyond it is a data
 * error, and is treated as no stated duration rather than as an overflowing date.
 */
export const MAX_PLAUSIBLE_COURSE_DAYS = 36_525;

const PER_ONE_UNIT: Record<string, string> = { h: 'hourly', d: 'daily', wk: 'weekly', mo: 'monthly' };

function frequencyPhrase(frequency: number, period: number, unit: string): string {
  const times = frequency === 1 ? 'once' : frequency === 2 ? 'twice' : `${fmt(frequency)} times`;
  const per = period === 1 ? PER_ONE_UNIT[unit] : `every ${fmt(period)} ${unit}`;
  return `${times} ${per}`;
}

/** A dose amount: `mg` (UCUM or unit-only), or a tablet count. */
function isMg(q: Quantity): boolean {
  return (q.system === undefined || q.system === UCUM_SYSTEM) && (q.code ?? q.unit) === 'mg';
}

function isTabletCount(q: Quantity): boolean {
  if (q.system === SYSTEMS.orderableDrugForm) return q.code === TABLET_ORDERABLE_FORM;
  const code = q.code ?? q.unit;
  return (q.system === undefined || q.system === UCUM_SYSTEM) && code !== undefined && TABLET_UCUM_ANNOTATIONS.has(code);
}

function isMillilitres(q: Quantity): boolean {
  return (q.system === undefined || q.system === UCUM_SYSTEM) && (q.code ?? q.unit) === 'mL';
}

/** mg/day of one dosage instruction. */
function dosageMgPerDay(dosage: Dosage, product: MedicationIdentity['product']): StepDose {
  if (dosage.asNeededBoolean || dosage.asNeededCodeableConcept) return { ok: false, reason: 'dose is "as needed"' };
  const doseAndRate = dosage.doseAndRate ?? [];
  const dose = doseAndRate.find((d) => d.doseQuantity)?.doseQuantity;
  if (!dose) {
    if (doseAndRate.some((d) => d.doseRange)) return { ok: false, reason: 'dose given as a range' };
    return { ok: false, reason: 'no dose quantity stated' };
  }
  if (typeof dose.value !== 'number' || !(dose.value > 0) || !Number.isFinite(dose.value)) return { ok: false, reason: 'dose quantity has no positive value' };

  let amountMg: number;
  let amountText: string;
  if (isMg(dose)) {
    amountMg = dose.value;
    amountText = `${fmt(dose.value)} mg`;
  } else if (isTabletCount(dose)) {
    if (product?.per !== 'tablet') return { ok: false, reason: `dose is ${fmt(dose.value)} tablet(s) but the tablet strength is unknown` };
    amountMg = dose.value * product.strengthMg;
    amountText = `${fmt(dose.value)} x ${fmt(product.strengthMg)} mg ${dose.value === 1 ? 'tablet' : 'tablets'}`;
  } else if (isMillilitres(dose)) {
    if (product?.per !== 'mL') return { ok: false, reason: `dose is ${fmt(dose.value)} mL but the strength per mL is unknown` };
    amountMg = dose.value * product.strengthMg;
    amountText = `${fmt(dose.value)} mL x ${fmt(product.strengthMg)} mg/mL`;
  } else {
    return { ok: false, reason: `dose unit "${dose.unit ?? dose.code ?? ''}" is neither mg nor a tablet count` };
  }

  const repeat = dosage.timing?.repeat;
  if (!repeat || repeat.period === undefined || !repeat.periodUnit) return { ok: false, reason: 'no dosing frequency/period stated' };
  if (repeat.frequencyMax !== undefined || repeat.periodMax !== undefined) return { ok: false, reason: 'dosing frequency given as a range' };
  const periodDays = unitOfTimeToDays(repeat.periodUnit);
  if (periodDays === undefined) return { ok: false, reason: `dosing period unit "${repeat.periodUnit}" not supported` };
  if (!(repeat.period > 0) || !Number.isFinite(repeat.period)) return { ok: false, reason: 'dosing period is not a positive number' };
  // FHIR Timing: "If no frequency is stated, the assumption is that the event occurs once per period".
  const frequency = repeat.frequency ?? 1;
  if (!Number.isSafeInteger(frequency) || frequency < 1) return { ok: false, reason: 'dosing frequency is not a positive whole number' };
  const mgPerDay = (amountMg * frequency) / (repeat.period * periodDays);
  // Extreme inputs (1e308 mg, a period of 1e-320 days) overflow or vanish: not a dose that can be stated.
  if (!Number.isFinite(mgPerDay) || !(mgPerDay > 0)) return { ok: false, reason: 'the daily dose is out of range (check dose, frequency and period)' };
  return { ok: true, mgPerDay, text: `${amountText} ${frequencyPhrase(frequency, repeat.period, repeat.periodUnit)}` };
}

/**
 * Dosage instructions grouped into sequential steps: when every instruction has a `sequence`,
 * instructions sharing one are concurrent parts of the same step (e.g. morning + evening doses);
 * otherwise each instruction is its own step, in order.
 */
export function dosageSteps(dosages: readonly Dosage[]): Dosage[][] {
  if (dosages.length === 0) return [];
  if (dosages.every((d) => d.sequence !== undefined)) {
    const bySequence = new Map<number, Dosage[]>();
    for (const d of dosages) bySequence.set(d.sequence as number, [...(bySequence.get(d.sequence as number) ?? []), d]);
    return [...bySequence.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
  }
  return dosages.map((d) => [d]);
}

export interface DoseDerivation {
  dailyDose?: DailyDose;
  doseUnknownReason?: string;
}

/** Daily dose of the first (initial) step, with PredEq for a glucocorticoid of known ingredient. */
export function deriveDailyDose(
  dosages: readonly Dosage[],
  product: MedicationIdentity['product'],
  glucocorticoid: GlucocorticoidIngredient | undefined,
): DoseDerivation {
  const first = dosageSteps(dosages)[0];
  if (!first) return { doseUnknownReason: 'no dosage instruction' };
  const parts = first.map((d) => dosageMgPerDay(d, product));
  const failed = parts.find((p): p is Extract<StepDose, { ok: false }> => !p.ok);
  if (failed) return { doseUnknownReason: failed.reason };
  const ok = parts as Extract<StepDose, { ok: true }>[];
  const mgPerDay = Math.round(ok.reduce((sum, p) => sum + p.mgPerDay, 0) * 1000) / 1000;
  const predEq = glucocorticoid ? Math.round(mgPerDay * PREDNISONE_EQUIVALENCE[glucocorticoid] * 1000) / 1000 : undefined;
  // Never zero (a dose below 0.0005 mg/day rounds to it) and never an overflow.
  if (!(mgPerDay > 0) || !Number.isFinite(mgPerDay) || (predEq !== undefined && (!(predEq > 0) || !Number.isFinite(predEq)))) {
    return { doseUnknownReason: 'the daily dose is out of range (check dose, frequency and period)' };
  }
  const dailyDose: DailyDose = { mgPerDay, derivation: `${ok.map((p) => p.text).join(' + ')} = ${fmt(mgPerDay)} mg/day` };
  if (predEq !== undefined) dailyDose.prednisoneEquivalentMgPerDay = predEq;
  return { dailyDose };
}

// ---------------------------------------------------------------------------------------------
// Duration and start

/** Days of one dosage's bounds: boundsDuration (d/wk/mo) or boundsPeriod length. */
function boundsDays(dosage: Dosage): number | undefined {
  const repeat = dosage.timing?.repeat;
  const fromDuration = durationToDays(repeat?.boundsDuration);
  if (fromDuration !== undefined) return fromDuration <= MAX_PLAUSIBLE_COURSE_DAYS ? fromDuration : undefined;
  const period = repeat?.boundsPeriod;
  if (!period?.start || !period.end) return undefined;
  const start = parseFhirDate(period.start);
  const end = parseFhirDate(period.end);
  if (!start || !end) return undefined;
  const days = (calendarDaysAgo(period.start, end.day) ?? 0);
  // An end before the start is not a course length.
  if (days < 0) return undefined;
  // A date-only end means "through that day", so it counts inclusively.
  return end.precision === 'day' ? days + 1 : days;
}

export interface PlannedDuration {
  plannedDurationDays?: number;
  initialPhaseDays?: number;
}

/** Sum of the steps' bounds (whole days); the total is unknown when any step leaves it open. */
export function plannedDuration(dosages: readonly Dosage[]): PlannedDuration {
  const stepDays = dosageSteps(dosages).map((step) => {
    const days = step.map(boundsDays).filter((d): d is number => d !== undefined);
    return days.length > 0 ? Math.max(...days) : undefined;
  });
  const result: PlannedDuration = {};
  const first = stepDays[0];
  if (first !== undefined) result.initialPhaseDays = Math.round(first);
  if (stepDays.length > 0 && stepDays.every((d) => d !== undefined)) {
    const total = Math.round((stepDays as number[]).reduce((a, b) => a + b, 0));
    if (total <= MAX_PLAUSIBLE_COURSE_DAYS) result.plannedDurationDays = total;
  }
  return result;
}

function firstBoundsStart(dosages: readonly Dosage[]): string | undefined {
  return dosageSteps(dosages)[0]?.map((d) => d.timing?.repeat?.boundsPeriod?.start).find((s) => s !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Facts

export interface ClassifyOptions {
  /** `MedicationRequest/{id}` is in `context.selections`. */
  selected?: boolean;
  /** A draft from `context.draftOrders`: keep the resource for `update` suggestions. */
  draft?: boolean;
  /** External Medications found or fetched for this request (decision 10). */
  lookup?: MedicationLookup;
}

/** The name an unidentified order gets on a card (its date and dose instructions go beside it). */
export const UNIDENTIFIED_NAME = 'medication not identified';

function classify(
  resource: MedicationRequest | MedicationStatement,
  dosages: readonly Dosage[],
  lookup: MedicationLookup,
): Omit<MedicationFact, 'reference' | 'resourceType' | 'selected' | 'start'> {
  const source = medicationSource(resource, lookup);
  const { concept, medication } = source;
  const form = medication?.form;
  const formTexts = [form?.text, ...(form?.coding ?? []).map((c) => c.display)].filter((t): t is string => !!t);
  // A Medication's ingredient codes (RxNorm IN, ATC) say what it is when its own code is local.
  const ingredientCodings = medication?.code ? (medication.ingredient ?? []).flatMap((i) => i.itemCodeableConcept?.coding ?? []) : [];
  const identity = identifyMedication(
    ingredientCodings.length > 0 && concept ? { ...concept, coding: [...(concept.coding ?? []), ...ingredientCodings] } : concept,
    formTexts,
  );
  const classes = new Set(identity.classes);
  let glucocorticoid = identity.glucocorticoid;

  if (classes.has('systemic-glucocorticoid') || glucocorticoid) {
    const route = routeOf(resource);
    const nameTexts = [identity.name, ...formTexts, ...(concept?.coding ?? []).map((c) => c.display ?? '')];
    if (isLocalRoute(route.codings, [...route.texts, ...nameTexts])) {
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

  const product = identity.product ?? strengthFromMedication(medication, glucocorticoid);
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
    ...classify(request, dosages, options.lookup ?? NO_LOOKUP),
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

export function medicationFactFromStatement(statement: MedicationStatement, lookup: MedicationLookup = NO_LOOKUP): MedicationFact {
  const dosages = statement.dosage ?? [];
  const fact: MedicationFact = {
    reference: statement.id ? `MedicationStatement/${statement.id}` : 'MedicationStatement',
    resourceType: 'MedicationStatement',
    ...classify(statement, dosages, lookup),
    selected: false,
  };
  const start = statement.effectivePeriod?.start ?? statement.effectiveDateTime ?? firstBoundsStart(dosages);
  if (start) fact.start = start;
  return fact;
}
