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
import type { DailyDose, GlucocorticoidIngredient, MedicationClass, MedicationFact } from './facts-types.js';
import { PREDNISONE_EQUIVALENCE } from './knowledge.js';
import {
  ATC_CLASS_PREFIXES, CLARITHROMYCIN_INTERACTING_DRUGS, currentUnconfirmedCodes, ingredientTable,
  NON_SYSTEMIC_ROUTE_WORDS, RXNORM_PRODUCTS, SYSTEMS, TABLET_ORDERABLE_FORM, TABLET_UCUM_ANNOTATIONS,
  wordMatcher, type RxNormProduct,
} from './valuesets.js';

// ---------------------------------------------------------------------------------------------
// What the medication is

export interface MedicationIdentity {
  name: string;
  classes: MedicationClass[];
  glucocorticoid?: GlucocorticoidIngredient;
  rxnormCodes: string[];
  /** The ordered product, when its RxNorm SCD is in the product table (gives the tablet strength). */
  product?: RxNormProduct & { rxnorm: string };
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

/** The medication concept and, for a contained Medication, its dose form. */
function medicationConcept(
  resource: MedicationRequest | MedicationStatement,
): { concept?: CodeableConcept; form?: CodeableConcept } {
  if (resource.medicationCodeableConcept) return { concept: resource.medicationCodeableConcept };
  const ref = resource.medicationReference?.reference;
  if (ref?.startsWith('#')) {
    const contained = resource.contained?.find(
      (r): r is Medication => r.resourceType === 'Medication' && r.id === ref.slice(1),
    );
    if (contained) return { concept: contained.code, form: contained.form };
  }
  return {};
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
        product ??= { ...scd, rxnorm: code };
        table.filter((e) => e.ingredient === scd.ingredient).forEach(addIngredient);
      }
      table.filter((e) => e.rxnorm.includes(code)).forEach(addIngredient);
      if (CLARITHROMYCIN_INTERACTING_DRUGS.some((d) => d.rxnormIngredients.includes(code))) classes.add('clarithromycin-interacting');
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
    if (!product) return { ok: false, reason: `dose is ${fmt(dose.value)} tablet(s) but the product strength is unknown` };
    amountMg = dose.value * product.strengthMg;
    amountText = `${fmt(dose.value)} x ${fmt(product.strengthMg)} mg ${dose.value === 1 ? 'tablet' : 'tablets'}`;
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
  const days = (calendarDaysAgo(period.start, end.instant) ?? 0);
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
}

function classify(
  resource: MedicationRequest | MedicationStatement,
  dosages: readonly Dosage[],
): Omit<MedicationFact, 'reference' | 'resourceType' | 'selected' | 'start'> {
  const { concept, form } = medicationConcept(resource);
  const formTexts = [form?.text, ...(form?.coding ?? []).map((c) => c.display)].filter((t): t is string => !!t);
  const identity = identifyMedication(concept, formTexts);
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
    name: identity.name,
    classes: [...classes],
    rxnormCodes: identity.rxnormCodes,
  };
  if (resource.id) fact.id = resource.id;
  if (resource.status) fact.status = resource.status;
  if (glucocorticoid) fact.glucocorticoid = glucocorticoid;

  const dose = deriveDailyDose(dosages, identity.product, glucocorticoid);
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
    ...classify(request, dosages),
    intent: request.intent,
    selected: options.selected ?? false,
  };
  const start = request.authoredOn ?? firstBoundsStart(dosages);
  if (start) fact.start = start;
  if (options.draft) fact.draftResource = request;
  return fact;
}

export function medicationFactFromStatement(statement: MedicationStatement): MedicationFact {
  const dosages = statement.dosage ?? [];
  const fact: MedicationFact = {
    reference: statement.id ? `MedicationStatement/${statement.id}` : 'MedicationStatement',
    resourceType: 'MedicationStatement',
    ...classify(statement, dosages),
    selected: false,
  };
  const start = statement.effectivePeriod?.start ?? statement.effectiveDateTime ?? firstBoundsStart(dosages);
  if (start) fact.start = start;
  return fact;
}
