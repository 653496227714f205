/**
 * Every code list the facts layer matches against, in ONE place (decision 2: no terminology server
 * at run time, so value sets are enumerated here). Codes confirmed against a published source are
 * written below as constants; codes written from memory and not yet confirmed ("unconfirmed") are
 * used only where a predicate needs them, and live in `DEFAULT_UNCONFIRMED_CODES`.
 *
 * What depends on configuration (the site's local COP codes, and every lookup built from the
 * unconfirmed codes) is built once into a `Terminology` (`buildTerminology`, at start-up) and passed
 * to the facts layer; nothing here changes after the module loads.
 *
 * `<< X` below means "X and its descendants as enumerated here": a SNOMED set lists exactly the
 * descendants that count.
 */
import type { Coding } from 'fhir/r4.js';
import type { GlucocorticoidIngredient, MedicationClass } from './facts-types.js';
import { SYSTEMS } from '../fhir/systems.js';

export { SYSTEMS } from '../fhir/systems.js';

// ---------------------------------------------------------------------------------------------
// Unconfirmed codes (written from memory), only those a predicate needs.

export interface UnconfirmedCodes {
  /** RxNorm ingredient (IN) codes, none confirmed yet. */
  rxnormIngredients: {
    clarithromycin: string[];
    mycophenolateMofetil: string[];
    azathioprine: string[];
    alendronate: string[];
    calciumCarbonate: string[];
    cholecalciferol: string[];
  };
  /** SNOMED 409622000 "Respiratory failure": its display is disputed between sources; named by P-RESP-INSUFF. */
  respiratoryFailureSnomed: string[];
  /** ICD-10-CM Z85.* history of malignancy, unconfirmed; named by P-SECONDARY. */
  malignancyHistoryIcd10cmPrefixes: string[];
  /**
   * Route codes that mark a non-systemic route. No route code is confirmed, so the default is empty
   * and non-systemic routes are recognised by their text/display; a deployment can add its own
   * route codes here (`system|code`).
   */
  nonSystemicRouteCodes: string[];
}

export const DEFAULT_UNCONFIRMED_CODES: UnconfirmedCodes = {
  rxnormIngredients: {
    clarithromycin: ['21212'],
    mycophenolateMofetil: ['68149'],
    azathioprine: ['1256'],
    alendronate: ['46041'],
    calciumCarbonate: ['1897'],
    cholecalciferol: ['2418'],
  },
  respiratoryFailureSnomed: ['409622000'],
  malignancyHistoryIcd10cmPrefixes: ['Z85'],
  nonSystemicRouteCodes: [],
};

// ---------------------------------------------------------------------------------------------
// Condition value sets

/** ICD codes compared without the dot and upper-cased: "J84.116" → "J84116". */
export function normaliseIcd(code: string): string {
  return code.replace(/\./g, '').toUpperCase();
}

/** ICD matcher from prefixes ("M350" for M35.0) and inclusive 3-character ranges (["C00", "C96"]). */
export function icdMatcher(spec: { prefixes?: readonly string[]; ranges?: readonly (readonly [string, string])[] }): (code: string) => boolean {
  const prefixes = (spec.prefixes ?? []).map(normaliseIcd);
  const ranges = spec.ranges ?? [];
  return (code: string) => {
    const c = normaliseIcd(code);
    const category = c.slice(0, 3);
    // Lexicographic order on the 3-character category works for ICD, including O9A > O99.
    return prefixes.some((p) => c.startsWith(p)) || ranges.some(([from, to]) => category >= from && category <= to);
  };
}

export interface ConditionValueSet {
  name: string;
  snomed: ReadonlySet<string>;
  icd10cm?: (code: string) => boolean;
  icd10who?: (code: string) => boolean;
  /** A site's locally mapped codes, any system, as `localCodeKey` (site configuration). */
  local?: ReadonlySet<string>;
}

/** `system|code` of a local code; ICD codes are compared without the dot and upper-cased. */
export function localCodeKey(system: string, code: string): string {
  const icd = system === SYSTEMS.icd10cm || system === SYSTEMS.icd10who;
  return `${system}|${icd ? normaliseIcd(code) : code}`;
}

/** Whether one coding falls in a condition value set. */
export function codingInValueSet(coding: Coding, vs: ConditionValueSet): boolean {
  if (!coding.code) return false;
  if (vs.local && coding.system && vs.local.has(localCodeKey(coding.system, coding.code))) return true;
  switch (coding.system) {
    case SYSTEMS.snomed: return vs.snomed.has(coding.code);
    case SYSTEMS.icd10cm: return vs.icd10cm?.(coding.code) ?? false;
    case SYSTEMS.icd10who: return vs.icd10who?.(coding.code) ?? false;
    default: return false;
  }
}

/** The first coding of `codings` in the value set. */
export function findCodingInValueSet(codings: readonly Coding[] | undefined, vs: ConditionValueSet): Coding | undefined {
  return codings?.find((c) => codingInValueSet(c, vs));
}

/** P-COP: SNOMED << 719218000 (incl. 233713004), ICD-10-CM J84.116. BOOP is kept apart (below). */
export const COP: ConditionValueSet = {
  name: 'cryptogenic organizing pneumonia',
  snomed: new Set(['719218000', '233713004']),
  icd10cm: (code) => normaliseIcd(code) === 'J84116',
};

/** A site's local codes, added to the value sets that allow local mapping (only P-COP's). */
export interface LocalCodes {
  cop?: readonly { system: string; code: string }[];
}

/** COP with a site's local codes added (additive: the codes above always count). */
function copWithLocalCodes(local: LocalCodes): ConditionValueSet {
  const cop = local.cop ?? [];
  if (cop.length === 0) return COP;
  return { ...COP, local: new Set(cop.map((c) => localCodeKey(c.system, c.code))) };
}

/** BOOP (legacy term): counts as COP only when no secondary cause is coded. */
export const BOOP: ConditionValueSet = { name: 'BOOP', snomed: new Set(['129458007']) };

/** WHO ICD-10 J84.x: recognised only to report that the chart has no COP-specific code. */
export const WHO_ICD10_J84: ConditionValueSet = {
  name: 'WHO ICD-10 J84.x (non-specific)',
  snomed: new Set(),
  icd10who: icdMatcher({ prefixes: ['J84'] }),
};

/**
 * P-SECONDARY, CTD part. SNOMED parents and the enumerated descendants (rheumatoid lung disease).
 * SNOMED 32218001 (MCTD) is unconfirmed and no predicate needs it, so it is left out; ICD-10-CM
 * M35.1 covers MCTD.
 */
export const CTD: ConditionValueSet = {
  name: 'connective tissue disease',
  snomed: new Set(['105969002', '69896004', '398726004', '55464009', '83901003', '31384009', '396230008', '89155008']),
  icd10cm: icdMatcher({ prefixes: ['M05', 'M06', 'M32', 'M33', 'M34', 'M35.0', 'M35.1', 'M35.9'] }),
};

/** The malignancy value set; ICD ranges C00–C96 and D45–D47 in both ICD-10-CM and WHO ICD-10. */
export function buildMalignancyValueSet(unconfirmed: UnconfirmedCodes): ConditionValueSet {
  const ranges = [['C00', 'C96'], ['D45', 'D47']] as const;
  return {
    name: 'malignancy',
    snomed: new Set(['363346000', '363358000', '414825006', '118600007', '93143009', '109989006']),
    icd10cm: icdMatcher({ ranges, prefixes: unconfirmed.malignancyHistoryIcd10cmPrefixes }),
    icd10who: icdMatcher({ ranges }),
  };
}

/** P-RESP-INSUFF (d): respiratory failure, hypoxaemia, dependence on supplemental oxygen. */
export function buildRespiratoryFailureValueSet(unconfirmed: UnconfirmedCodes): ConditionValueSet {
  return {
    name: 'respiratory failure',
    snomed: new Set([...unconfirmed.respiratoryFailureSnomed, '65710008', '39871006', '389087006', '931000119107']),
    icd10cm: icdMatcher({ prefixes: ['J96', 'R09.02'] }),
    icd10who: icdMatcher({ prefixes: ['J96'] }),
  };
}

export const DIABETES: ConditionValueSet = {
  name: 'diabetes mellitus',
  snomed: new Set(['73211009', '44054006', '190447002', '190416008']),
  icd10cm: icdMatcher({ ranges: [['E08', 'E13']] }),
  icd10who: icdMatcher({ ranges: [['E10', 'E14']] }),
};

export const HYPERTENSION: ConditionValueSet = {
  name: 'hypertension',
  snomed: new Set(['38341003', '59621000']),
  icd10cm: icdMatcher({ ranges: [['I10', 'I16']] }),
  icd10who: icdMatcher({ ranges: [['I10', 'I15']] }),
};

export const OSTEOPOROSIS: ConditionValueSet = {
  name: 'osteoporosis',
  snomed: new Set(['64859006']),
  icd10cm: icdMatcher({ prefixes: ['M80', 'M81'] }),
  icd10who: icdMatcher({ prefixes: ['M80', 'M81'] }),
};

/**
 * Prior fragility fracture (a COP-R10 risk factor). No SNOMED fragility-fracture concept is
 * confirmed; ICD M80 (osteoporosis with current pathological fracture) is the only coded form.
 */
export const FRAGILITY_FRACTURE: ConditionValueSet = {
  name: 'fragility fracture',
  snomed: new Set(),
  icd10cm: icdMatcher({ prefixes: ['M80'] }),
  icd10who: icdMatcher({ prefixes: ['M80'] }),
};

/** COP-R11: SNOMED << 386584007 (incl. 766986002 acute adrenal insufficiency); ICD E27.1–E27.4*. */
export const ADRENAL_INSUFFICIENCY: ConditionValueSet = {
  name: 'adrenal insufficiency',
  snomed: new Set(['386584007', '766986002']),
  icd10cm: icdMatcher({ prefixes: ['E27.1', 'E27.2', 'E27.3', 'E27.4'] }),
  icd10who: icdMatcher({ prefixes: ['E27.3', 'E27.4'] }),
};

/** P-PREGNANT condition part: SNOMED 77386006; ICD-10-CM Z33.1, O00–O9A; WHO Z33, O00–O99. */
export const PREGNANCY: ConditionValueSet = {
  name: 'pregnancy',
  snomed: new Set(['77386006']),
  icd10cm: icdMatcher({ prefixes: ['Z33.1'], ranges: [['O00', 'O9A']] }),
  icd10who: icdMatcher({ prefixes: ['Z33'], ranges: [['O00', 'O99']] }),
};

export const PREGNANCY_STATUS_VALUES = { pregnant: '77386006', notPregnant: '60001007' } as const;

// ---------------------------------------------------------------------------------------------
// LOINC

export const LOINC_CODES = {
  bodyWeight: '29463-7',
  spo2: ['2708-6', '59408-5'],
  inhaledOxygenFlow: '3151-8',
  pao2: '2703-7',
  fvcPercentPredicted: '19872-1',
  fvcPercentPredictedPreBd: '19871-3',
  fev1PercentPredicted: '20152-5',
  dlco: '19911-7',
  dlcoPercentPredicted: '98130-8',
  fvcAbsolute: '19870-5',
  fev1Absolute: '20150-9',
  ggt: '2324-2',
  alp: '6768-6',
  hba1c: ['4548-4', '59261-8'],
  glucose: ['2345-7', '14749-6', '2339-0'],
  bpPanel: '85354-9',
  systolic: '8480-6',
  diastolic: '8462-4',
  pregnancyStatus: '82810-3',
} as const;

/**
 * Every LOINC code an Observation is read by (top-level `code`; components are read only inside
 * an Observation found by one of these). An Observation with none of them is never looked at.
 */
export const READ_OBSERVATION_LOINC_CODES: ReadonlySet<string> = new Set(Object.values(LOINC_CODES).flat());

// ---------------------------------------------------------------------------------------------
// Medications

export type DoseForm = 'oral-tablet' | 'oral-tablet-extended-release';

export interface RxNormProduct {
  ingredient: string;
  strengthMg: number;
  doseForm: DoseForm;
  name: string;
}

/** RxNorm SCDs (all confirmed): product → ingredient, strength and dose form. */
export const RXNORM_PRODUCTS: Readonly<Record<string, RxNormProduct>> = {
  '312617': { ingredient: 'prednisone', strengthMg: 5, doseForm: 'oral-tablet', name: 'prednisone 5 MG Oral Tablet' },
  '198145': { ingredient: 'prednisone', strengthMg: 10, doseForm: 'oral-tablet', name: 'prednisone 10 MG Oral Tablet' },
  '312615': { ingredient: 'prednisone', strengthMg: 20, doseForm: 'oral-tablet', name: 'prednisone 20 MG Oral Tablet' },
  '198148': { ingredient: 'prednisone', strengthMg: 50, doseForm: 'oral-tablet', name: 'prednisone 50 MG Oral Tablet' },
  '198142': { ingredient: 'prednisolone', strengthMg: 5, doseForm: 'oral-tablet', name: 'prednisolone 5 MG Oral Tablet' },
  '259966': { ingredient: 'methylprednisolone', strengthMg: 4, doseForm: 'oral-tablet', name: 'methylprednisolone 4 MG Oral Tablet' },
  '197517': { ingredient: 'clarithromycin', strengthMg: 500, doseForm: 'oral-tablet', name: 'clarithromycin 500 MG Oral Tablet' },
  '197516': { ingredient: 'clarithromycin', strengthMg: 250, doseForm: 'oral-tablet', name: 'clarithromycin 250 MG Oral Tablet' },
  '359385': { ingredient: 'clarithromycin', strengthMg: 500, doseForm: 'oral-tablet-extended-release', name: '24 HR clarithromycin 500 MG Extended Release Oral Tablet' },
  '200060': { ingredient: 'mycophenolate mofetil', strengthMg: 500, doseForm: 'oral-tablet', name: 'mycophenolate mofetil 500 MG Oral Tablet' },
  '197388': { ingredient: 'azathioprine', strengthMg: 50, doseForm: 'oral-tablet', name: 'azathioprine 50 MG Oral Tablet' },
  '904431': { ingredient: 'alendronate', strengthMg: 70, doseForm: 'oral-tablet', name: 'alendronic acid 70 MG Oral Tablet' },
};

/**
 * SNOMED CT medicinal products that EHRs outside the US (and the FHIR R4 specification's own
 * prednisone example, MedicationRequest `medrx0303`: "Prednisone 5mg tablet", dose 1 TAB) use in
 * place of an RxNorm SCD: product → ingredient and tablet strength.
 */
export const SNOMED_PRODUCTS: Readonly<Record<string, RxNormProduct>> = {
  '373994007': { ingredient: 'prednisone', strengthMg: 5, doseForm: 'oral-tablet', name: 'Prednisone 5mg tablet' },
};

/** Dose-form codes of a tablet (`system|code`): a strength "5 mg per 1" of such a form is per tablet. */
export const TABLET_FORM_CODES: ReadonlySet<string> = new Set([
  'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm|TAB',
  'http://snomed.info/sct|385055001', // Tablet (basic dose form)
  'http://snomed.info/sct|421026006', // Oral tablet
]);

/** An ingredient the rules care about and every way the facts layer recognises it. */
export interface IngredientEntry {
  ingredient: string;
  /** RxNorm IN codes. */
  rxnorm: readonly string[];
  /** Exact ATC codes. */
  atc: readonly string[];
  /** Whole words that name the ingredient in medication text (case-insensitive). */
  words: readonly string[];
  classes: readonly MedicationClass[];
  glucocorticoid?: GlucocorticoidIngredient;
}

/**
 * Ingredients. Glucocorticoid ingredients are also recognised by name, because hydrocortisone and
 * dexamethasone have no confirmed code (resolving them through RxClass or ATC would need a
 * terminology server); a missed glucocorticoid would let R01 suggest a duplicate course, so
 * recognising the name is the safer error.
 */
export function buildIngredients(unconfirmed: UnconfirmedCodes): readonly IngredientEntry[] {
  const u = unconfirmed.rxnormIngredients;
  return [
    { ingredient: 'prednisone', rxnorm: ['8640'], atc: ['H02AB07'], words: ['prednisone'], classes: ['systemic-glucocorticoid'], glucocorticoid: 'prednisone' },
    { ingredient: 'prednisolone', rxnorm: ['8638'], atc: ['H02AB06'], words: ['prednisolone'], classes: ['systemic-glucocorticoid'], glucocorticoid: 'prednisolone' },
    { ingredient: 'methylprednisolone', rxnorm: ['6902'], atc: ['H02AB04'], words: ['methylprednisolone'], classes: ['systemic-glucocorticoid'], glucocorticoid: 'methylprednisolone' },
    { ingredient: 'hydrocortisone', rxnorm: [], atc: [], words: ['hydrocortisone'], classes: ['systemic-glucocorticoid'], glucocorticoid: 'hydrocortisone' },
    { ingredient: 'dexamethasone', rxnorm: [], atc: [], words: ['dexamethasone'], classes: ['systemic-glucocorticoid'], glucocorticoid: 'dexamethasone' },
    { ingredient: 'clarithromycin', rxnorm: u.clarithromycin, atc: ['J01FA09'], words: ['clarithromycin'], classes: ['clarithromycin', 'macrolide'] },
    { ingredient: 'other macrolide', rxnorm: [], atc: [], words: MACROLIDE_NAMES.filter((n) => n !== 'clarithromycin'), classes: ['macrolide'] },
    { ingredient: 'mycophenolate mofetil', rxnorm: u.mycophenolateMofetil, atc: ['L04AA06'], words: ['mycophenolate', 'mycophenolic'], classes: ['mycophenolate'] },
    { ingredient: 'azathioprine', rxnorm: u.azathioprine, atc: ['L04AX01'], words: ['azathioprine'], classes: ['azathioprine'] },
    // Rituximab biosimilars have their own ingredient concepts; the name catches "rituximab-abbs".
    { ingredient: 'rituximab', rxnorm: ['121191'], atc: ['L01FA01', 'L01XC02'], words: ['rituximab'], classes: ['rituximab'] },
    { ingredient: 'alendronate', rxnorm: u.alendronate, atc: ['M05BA04'], words: ['alendronate', 'alendronic'], classes: ['bisphosphonate'] },
    { ingredient: 'calcium carbonate', rxnorm: u.calciumCarbonate, atc: [], words: [], classes: ['calcium-vitamin-d'] },
    { ingredient: 'cholecalciferol', rxnorm: u.cholecalciferol, atc: ['A11CC05'], words: [], classes: ['calcium-vitamin-d'] },
  ];
}

/** ATC prefixes that imply a class whatever the ingredient. */
export const ATC_CLASS_PREFIXES: readonly { prefix: string; cls: MedicationClass }[] = [
  { prefix: 'H02AB', cls: 'systemic-glucocorticoid' },
  { prefix: 'J01FA', cls: 'macrolide' },
  { prefix: 'M05B', cls: 'bisphosphonate' },
  { prefix: 'A12AX', cls: 'calcium-vitamin-d' },
];

/** Macrolide antibacterials, for allergy text and the macrolide class (ATC J01FA members). */
export const MACROLIDE_NAMES: readonly string[] = [
  'clarithromycin', 'erythromycin', 'azithromycin', 'roxithromycin', 'telithromycin', 'spiramycin', 'josamycin', 'midecamycin',
];

/**
 * Drugs whose label contraindicates clarithromycin (COP-R06 gate; configurable here ⚠ pharmacy to
 * review; QT-prolonging drugs are left to the EHR's interaction engine). Matched by RxNorm
 * ingredient code only where the code is corroborated by several independent drug lists
 * (simvastatin 36567, lovastatin 6472); every entry is also matched by NAME as a whole word in the
 * medication text or coding display, case-insensitive, because most orders carry an SCD code,
 * not the ingredient code.
 */
export interface InteractingDrug {
  name: string;
  rxnormIngredients: readonly string[];
  words: readonly string[];
}

export const CLARITHROMYCIN_INTERACTING_DRUGS: readonly InteractingDrug[] = [
  { name: 'simvastatin', rxnormIngredients: ['36567'], words: ['simvastatin'] },
  { name: 'lovastatin', rxnormIngredients: ['6472'], words: ['lovastatin'] },
  { name: 'colchicine', rxnormIngredients: [], words: ['colchicine'] },
  { name: 'pimozide', rxnormIngredients: [], words: ['pimozide'] },
  {
    name: 'ergot alkaloids',
    rxnormIngredients: [],
    words: ['ergotamine', 'dihydroergotamine', 'methylergonovine', 'methylergometrine', 'ergonovine', 'ergometrine'],
  },
  { name: 'lomitapide', rxnormIngredients: [], words: ['lomitapide'] },
];

/** Tablet-count dose units: UCUM annotations, or v3-orderableDrugForm TAB. */
export const TABLET_UCUM_ANNOTATIONS: ReadonlySet<string> = new Set(['{tbl}', '{tablet}', '{pill}']);
export const TABLET_ORDERABLE_FORM = 'TAB';

/**
 * Words in a route or a medication's name/form that mark a non-systemic glucocorticoid
 * (P-GC-SYSTEMIC excludes inhaled, nasal, topical, ophthalmic and rectal forms; intra-articular and
 * intralesional injections are local too).
 */
export const NON_SYSTEMIC_ROUTE_WORDS: readonly string[] = [
  'inhal\\w*', 'nebuli[sz]\\w*', 'inhaler', 'metered', 'nasal', 'intranasal', 'nose',
  'topical', 'cutaneous', 'transdermal', 'dermal', 'skin', 'cream', 'ointment', 'lotion', 'gel', 'foam', 'shampoo',
  'ophthalmic', 'eye', 'ocular', 'conjunctival', 'otic', 'ear',
  'rectal', 'rectum', 'enema', 'suppository', 'suppositories',
  'intra-articular', 'intraarticular', 'intralesional',
];

/** A whole-word, case-insensitive matcher for a list of words (entries may be small regexes). */
export function wordMatcher(words: readonly string[]): (text: string) => boolean {
  if (words.length === 0) return () => false;
  // Letters/digits/underscore only as boundaries, so "eye-drops" and "rituximab-abbs" still match.
  const re = new RegExp(`(?<!\\w)(?:${words.join('|')})(?!\\w)`, 'i');
  return (text: string) => re.test(text);
}

// ---------------------------------------------------------------------------------------------
// The terminology one deployment matches against

/** An ingredient of the table with its name matcher, built once with the terminology. */
export interface TerminologyIngredient extends IngredientEntry {
  /** Whether a text names the ingredient (a whole word of `words`, case-insensitive). */
  namedIn: (text: string) => boolean;
}

/**
 * Everything here that depends on configuration, built once at start-up by `buildTerminology` and
 * passed to the facts layer (`extractFacts`): the COP value set with the site's local codes, and
 * the lookups built from the unconfirmed codes. Frozen, so one value serves every request and no
 * request can change what the next one matches.
 */
export interface Terminology {
  /** P-COP, with the site's local codes. */
  cop: ConditionValueSet;
  malignancy: ConditionValueSet;
  respiratoryFailure: ConditionValueSet;
  ingredients: readonly TerminologyIngredient[];
  /** RxNorm ingredient codes of clarithromycin: an allergy coded with one is a macrolide allergy. */
  clarithromycinRxnormIngredients: readonly string[];
  /** `system|code` of route codes that mark a non-systemic route. */
  nonSystemicRouteCodes: ReadonlySet<string>;
}

/**
 * The terminology for a site's local codes (site file `valueSets`) and a set of unconfirmed codes
 * (the defaults unless a deployment has confirmed or replaced some).
 */
export function buildTerminology(local: LocalCodes = {}, unconfirmed: UnconfirmedCodes = DEFAULT_UNCONFIRMED_CODES): Terminology {
  const ingredients = buildIngredients(unconfirmed).map((entry) => Object.freeze({ ...entry, namedIn: wordMatcher(entry.words) }));
  return Object.freeze({
    cop: copWithLocalCodes(local),
    malignancy: buildMalignancyValueSet(unconfirmed),
    respiratoryFailure: buildRespiratoryFailureValueSet(unconfirmed),
    ingredients: Object.freeze(ingredients),
    clarithromycinRxnormIngredients: Object.freeze([...unconfirmed.rxnormIngredients.clarithromycin]),
    nonSystemicRouteCodes: new Set(unconfirmed.nonSystemicRouteCodes),
  });
}

/** The terminology with no local codes and the default unconfirmed codes (tests, and callers with no site file). */
export const DEFAULT_TERMINOLOGY: Terminology = buildTerminology();
