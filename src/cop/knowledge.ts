/**
 * The reviewed clinical knowledge in one place: thresholds (every one a configuration default),
 * rule titles and citations. ⚠ marks defaults that need clinical sign-off, written as `signOff`
 * comments so reviewers can grep for them (threshold-docs.ts carries the same flag as data).
 */
import { z } from 'zod';

/** The project's own CodeSystem for `card.source.topic` (one code per rule). */
export const RULE_CODE_SYSTEM = 'https://cop-cds.example.org/fhir/CodeSystem/cop-rules';

export const RULE_IDS = [
  'COP-R01', 'COP-R02', 'COP-R03', 'COP-R04', 'COP-R05', 'COP-R06', 'COP-R07', 'COP-R08', 'COP-R09', 'COP-R10',
  'COP-R11', 'COP-R12', 'COP-R13', 'COP-R14', 'COP-R15', 'COP-R16', 'COP-R17', 'COP-R18', 'COP-R19', 'COP-R20',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export const RULE_TITLES: Record<RuleId, string> = {
  'COP-R01': 'Initial glucocorticoid dose suggestion',
  'COP-R02': 'Weight missing, stale, implausible or unit not recognised',
  'COP-R03': 'Paediatric or unknown age',
  'COP-R04': 'Existing systemic glucocorticoid / duplicate order',
  'COP-R05': 'Dose and duration check on a drafted glucocorticoid',
  'COP-R06': 'Clarithromycin as an alternative (low certainty)',
  'COP-R07': 'Clarithromycin drafted for COP outside the studied population',
  'COP-R08': 'Possible secondary organizing pneumonia',
  'COP-R09': 'Relapse-risk markers',
  'COP-R10': 'Bone protection (glucocorticoid-induced osteoporosis)',
  'COP-R11': 'Adrenal suppression / steroid emergency card',
  'COP-R12': 'Glucose baseline and diabetes',
  'COP-R13': 'Blood pressure',
  'COP-R14': 'Follow-up review, PFTs and imaging',
  'COP-R15': 'Baseline PFTs missing',
  'COP-R16': 'Poor response: look for a secondary cause',
  'COP-R17': 'Prolonged therapy / relapse management',
  'COP-R18': 'Steroid-sparing and rescue agents',
  'COP-R19': 'Pregnancy safety for non-steroid agents',
  'COP-R20': 'Surveillance for evolving CTD or malignancy',
};

export interface Citation {
  key: string;
  label: string;
  /**
   * A published source's address, or `#section` for a section of this service's own evidence page
   * (cards resolve it against the service's URL; there is no other host to point at).
   */
  url: string;
}

/**
 * The published sources the cards cite, and sections of the service's own evidence page. Never ATS;
 * BTS is not cited for the 6-week review (the attribution could not be verified).
 */
export const CITATIONS = {
  'LAZOR-2000': { key: 'LAZOR-2000', label: 'Lazor 2000 (AJRCCM)', url: 'https://doi.org/10.1164/ajrccm.162.2.9909015' },
  'LOHR-1997': { key: 'LOHR-1997', label: 'Lohr 1997 (Arch Intern Med)', url: 'https://pubmed.ncbi.nlm.nih.gov/9201006/' },
  'CORDIER-2006': { key: 'CORDIER-2006', label: 'Cordier 2006 (Eur Respir J)', url: 'https://doi.org/10.1183/09031936.06.00013505' },
  'KING-2022': { key: 'KING-2022', label: 'King & Lee 2022 (NEJM)', url: 'https://doi.org/10.1056/NEJMra2116777' },
  'RADZ-2017': { key: 'RADZ-2017', label: 'Radzikowska 2017 (PLoS ONE)', url: 'https://doi.org/10.1371/journal.pone.0184739' },
  'RADZ-ERS-2016': { key: 'RADZ-ERS-2016', label: 'Radzikowska 2016 (ERS abstract)', url: 'https://doi.org/10.1183/13993003.congress-2016.PA3907' },
  'GERMOP-2018': { key: 'GERMOP-2018', label: 'GERM"O"P 2018 (Sarcoidosis Vasc Diffuse Lung Dis)', url: 'https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7170161/' },
  'ZHOU-2019': { key: 'ZHOU-2019', label: 'Zhou 2019 (Chron Respir Dis)', url: 'https://www.ncbi.nlm.nih.gov/pmc/articles/PMC6547176/' },
  'CTD-OP-2011': { key: 'CTD-OP-2011', label: 'COP vs CTD-OP 2011 (Rheumatology)', url: 'https://doi.org/10.1093/rheumatology/keq410' },
  'BARROSO-2007': { key: 'BARROSO-2007', label: 'Barroso 2007 (Respiration)', url: 'https://doi.org/10.1159/000103240' },
  'ACR-GIOP-2022': { key: 'ACR-GIOP-2022', label: 'ACR GIOP guideline 2022', url: 'https://pubmed.ncbi.nlm.nih.gov/37884467/' },
  'NatPSA-2020': { key: 'NatPSA-2020', label: 'NatPSA Steroid Emergency Card 2020', url: 'https://www.england.nhs.uk/publication/national-patient-safety-alert-steroid-emergency-card-to-support-early-recognition-and-treatment-of-adrenal-crisis-in-adults/' },
  'PMID-39703446': { key: 'PMID-39703446', label: 'COP cohort 2024 (PMID 39703446)', url: 'https://pubmed.ncbi.nlm.nih.gov/39703446/' },
  'ZHANG-ATM': { key: 'ZHANG-ATM', label: 'Zhang (Ann Transl Med)', url: 'https://atm.amegroups.org/article/view/45799' },
  'RTX-2015': { key: 'RTX-2015', label: 'Rituximab in steroid-resistant COP 2015 (Respiration)', url: 'https://www.karger.com/Article/FullText/90/2/155' },
  'RADZ-2023': { key: 'RADZ-2023', label: 'Update on COP 2023 (Front Med)', url: 'https://doi.org/10.3389/fmed.2023.1146782' },
  'STEROID-TOXICITY': { key: 'STEROID-TOXICITY', label: 'COP CDS evidence: steroid side-effect monitoring', url: '#steroid-side-effects' },
  'COP-CDS-REVIEW': { key: 'COP-CDS-REVIEW', label: 'COP CDS evidence: follow-up interval', url: '#follow-up' },
  /** COP-R19: severities follow product labelling, not re-verified (⚠ pharmacy sign-off). */
  'PREGNANCY-LABELLING': { key: 'PREGNANCY-LABELLING', label: 'COP CDS evidence: pregnancy safety (product labelling)', url: '#pregnancy-safety' },
} as const satisfies Record<string, Citation>;
export type CitationKey = keyof typeof CITATIONS;

/**
 * Every threshold the rules use, with its default and allowed range. A site sets them in its site
 * configuration file under `thresholds` (src/site-config.ts), never through the environment;
 * `parseThresholds` below adds the checks between keys (`thresholdProblems`).
 */
export const thresholdsSchema = z.object({
  // COP-R01 / R05 dosing
  mgPerKg: z.number().min(0.5).max(1.0).default(0.75),
  minMgPerKg: z.number().positive().default(0.5),
  maxMgPerKg: z.number().positive().default(1.0),
  /** signOff: ⚠ cap on the daily prednisone-equivalent dose. */
  maxDailyDoseMg: z.number().positive().max(60).default(60),
  doseRoundingMg: z.number().positive().default(5),
  /** Below this weight the R01 card adds a "low body weight, check dose" line. */
  lowBodyWeightKg: z.number().positive().default(40),
  initialPhaseDays: z.number().int().min(28).max(56).default(28),
  /** COP-R05: initial phase at ≥ minMgPerKg longer than this many weeks → info. */
  maxInitialPhaseWeeks: z.number().positive().default(8),
  /** signOff: ⚠ COP-R05/R10/R11 (decision 17): PredEq at or above this for ≤ pulseMaxDays is pulse therapy. */
  pulseMinPredEqMgPerDay: z.number().positive().default(250),
  pulseMaxDays: z.number().int().positive().default(5),
  // P-WEIGHT
  weightFreshDays: z.number().int().positive().default(30),
  /** signOff: ⚠ inpatient encounter freshness. */
  weightFreshDaysInpatient: z.number().int().positive().default(7),
  weightStaleMaxDays: z.number().int().positive().default(90),
  /** signOff: ⚠ plausible adult weight range. */
  weightMinKg: z.number().positive().default(30),
  weightMaxKg: z.number().positive().default(250),
  weightConflictHours: z.number().positive().default(24),
  weightConflictFraction: z.number().positive().default(0.1),
  // P-RESP-INSUFF
  oxygenationWindowDays: z.number().int().positive().default(7),
  /** signOff: ⚠ SpO2 cut-off (%). */
  spo2MinPercent: z.number().positive().default(92),
  pao2MinMmHg: z.number().positive().default(60),
  pao2MinKPa: z.number().positive().default(8.0),
  // P-PFT-PRESERVED / COP-R15
  pftWindowDays: z.number().int().positive().default(90),
  /** signOff: ⚠ stricter than the ROC cut-off of 78%. */
  fvcPercentPredictedMin: z.number().positive().default(80),
  /** signOff: ⚠ stricter than the ROC cut-off of 63%. */
  fev1PercentPredictedMin: z.number().positive().default(70),
  // P-CHOLESTASIS
  labWindowDays: z.number().int().positive().default(90),
  /** signOff: ⚠ fallback ULN when the lab sends no reference range. */
  ggtFallbackUlnUPerL: z.number().positive().default(60),
  alpFallbackUlnUPerL: z.number().positive().default(130),
  // P-PREGNANT
  pregnancyObservationWindowDays: z.number().int().positive().default(30),
  /** signOff: ⚠ a positive 82810-3 counts this many days unless a later record ends it (decision 15). */
  pregnancyPositiveWindowDays: z.number().int().positive().default(280),
  childbearingAgeMin: z.number().int().nonnegative().default(12),
  childbearingAgeMax: z.number().int().positive().default(55),
  // P-ON-GC-WEEKS
  glucocorticoidGapDays: z.number().int().nonnegative().default(7),
  // COP-R10 bone protection
  boneCourseMinMonths: z.number().positive().default(3),
  boneCourseMinMgPerDay: z.number().positive().default(2.5),
  fraxMinAge: z.number().int().positive().default(40),
  /** signOff: ⚠ label value, not verified. */
  bisphosphonateMinEgfr: z.number().positive().default(35),
  // COP-R11 adrenal suppression (NatPSA-2020)
  adrenalLowDoseMgPerDay: z.number().positive().default(5),
  adrenalLowDoseWeeks: z.number().positive().default(4),
  adrenalHighDoseMgPerDay: z.number().positive().default(40),
  adrenalHighDoseWeeks: z.number().positive().default(1),
  // COP-R12 glucose
  hba1cWindowDays: z.number().int().positive().default(90),
  glucoseWindowDays: z.number().int().positive().default(30),
  /** signOff: ⚠ conventional diagnostic cut-offs. */
  hba1cHighPercent: z.number().positive().default(6.5),
  hba1cHighMmolPerMol: z.number().positive().default(48),
  glucoseHighMgPerDl: z.number().positive().default(200),
  glucoseHighMmolPerL: z.number().positive().default(11.1),
  // COP-R13 blood pressure
  bpWindowDays: z.number().int().positive().default(30),
  /** signOff: ⚠ */
  systolicHighMmHg: z.number().positive().default(140),
  diastolicHighMmHg: z.number().positive().default(90),
  // COP-R14 follow-up
  /** signOff: ⚠ review interval (config 4–8 weeks); BTS attribution unverified. */
  reviewWeeks: z.number().int().min(4).max(8).default(6),
  // COP-R17
  prolongedCourseWeeks: z.number().positive().default(52),
  prolongedCourseMonths: z.number().positive().default(12),
  // patient-view (decision 6): COP-R10 on an active course from this many weeks of P-ON-GC-WEEKS
  boneOnGlucocorticoidMinWeeks: z.number().int().positive().default(4),
  // COP-R16 poor response (signOff: ⚠ heuristic; no validated threshold)
  poorResponseWeeks: z.number().int().positive().default(6),
  poorResponseMinMgPerKg: z.number().positive().default(0.5),
  /** FVC % predicted must rise by at least this many points vs the pre-treatment baseline. */
  poorResponseFvcImprovementPoints: z.number().positive().default(5),
  /** A pre-treatment FVC counts as the baseline when taken at most this many days before the run started. */
  pftBaselineWindowDays: z.number().int().positive().default(90),
  // COP-R18 steroid-sparing information
  steroidSparingMinWeeks: z.number().int().positive().default(12),
  steroidSparingMinMgPerDay: z.number().positive().default(10),
  steroidSparingMinRelapses: z.number().int().positive().default(2),
  /**
   * signOff: ⚠ COP-R01 untreated reminder without `medsHistory` (decision 18): past orders cannot be
   * read, so the reminder fires only for a COP recorded within this many days.
   */
  untreatedReminderMaxCopAgeDays: z.number().int().positive().default(90),
  // COP-R20 surveillance; the pipeline applies the windows (suppression.ts), the rule only the recency
  surveillanceRecentYears: z.number().int().positive().default(3),
  /** COP-R20 is shown at most once per this many days (applied by the pipeline, not the rule). */
  surveillanceIntervalDays: z.number().int().positive().default(90),
  /** A patient-view card is not shown again for this many hours after an override (pipeline). */
  overrideSuppressionHours: z.number().positive().default(24),
  // Clarithromycin regimen (COP-R06's suggestion)
  clarithromycinDoseMg: z.number().positive().default(500),
  clarithromycinDays: z.number().int().positive().default(90),
});

export type Thresholds = z.infer<typeof thresholdsSchema>;

export const DEFAULT_THRESHOLDS: Thresholds = thresholdsSchema.parse({});

export type ThresholdKey = keyof Thresholds;

/** A problem with a set of thresholds; `keys` are the thresholds involved, the first is the one to look at. */
export interface ThresholdProblem {
  keys: ThresholdKey[];
  message: string;
}

/** `lower` must be below (`<`) or at most (`≤`) `upper`, because of `why`. */
const THRESHOLD_ORDER: readonly (readonly [lower: ThresholdKey, relation: '<' | '≤', upper: ThresholdKey, why: string])[] = [
  ['minMgPerKg', '≤', 'maxMgPerKg', 'they are the two ends of the usual dose range (COP-R01, COP-R05)'],
  ['minMgPerKg', '≤', 'mgPerKg', 'the starting dose lies in the usual range (COP-R01, COP-R05)'],
  ['mgPerKg', '≤', 'maxMgPerKg', 'the starting dose lies in the usual range (COP-R01, COP-R05)'],
  ['poorResponseMinMgPerKg', '≤', 'maxMgPerKg', 'a dose in the usual range can count as adequate treatment (COP-R16)'],
  ['doseRoundingMg', '≤', 'maxDailyDoseMg', 'a rounding step above the cap rounds the capped dose down to 0 mg'],
  ['maxDailyDoseMg', '<', 'pulseMinPredEqMgPerDay', 'a dose within the daily cap is never pulse therapy, which the cap warning exempts (decision 17)'],
  ['weightFreshDaysInpatient', '≤', 'weightFreshDays', 'the inpatient freshness window is the stricter one (P-WEIGHT)'],
  ['weightFreshDays', '≤', 'weightStaleMaxDays', 'a fresh weight is never stale (P-WEIGHT)'],
  ['weightMinKg', '<', 'weightMaxKg', 'the plausible adult weight range must not be empty (P-WEIGHT)'],
  ['lowBodyWeightKg', '≤', 'weightMaxKg', 'otherwise every plausible weight gets the "low body weight" line (COP-R01)'],
  ['childbearingAgeMin', '<', 'childbearingAgeMax', 'the childbearing age range must not be empty (P-PREGNANT)'],
  ['adrenalLowDoseMgPerDay', '<', 'adrenalHighDoseMgPerDay', 'the low-dose criterion is the lower dose (NatPSA-2020, COP-R11)'],
  ['adrenalHighDoseWeeks', '≤', 'adrenalLowDoseWeeks', 'the high-dose criterion is the shorter exposure (NatPSA-2020, COP-R11)'],
];

/** One cut-off in two units: `a` ≈ `toA(b)` within 5 %, or results depend on the unit the lab reports in. */
const SAME_CUT_OFF: readonly (readonly [a: ThresholdKey, aUnit: string, b: ThresholdKey, bUnit: string, toA: (b: number) => number])[] = [
  ['pao2MinMmHg', 'mm[Hg]', 'pao2MinKPa', 'kPa', (kPa) => kPa * 7.50062],
  ['glucoseHighMgPerDl', 'mg/dL', 'glucoseHighMmolPerL', 'mmol/L', (mmol) => mmol * 18.016],
  // IFCC (mmol/mol) from NGSP/DCCT (%).
  ['hba1cHighMmolPerMol', 'mmol/mol', 'hba1cHighPercent', '%', (pct) => (pct - 2.152) * 10.929],
];

const roundForText = (n: number): string => String(Math.round(n * 100) / 100);

/**
 * What is wrong with a whole set of thresholds beyond each key's own range: orders between keys
 * (usual dose range, weight windows and range, age range, NatPSA criteria), the initial phase the
 * service suggests against the one COP-R05 flags, and cut-offs given in two units. Every way
 * thresholds are built (site file, `checkedThresholds`, `cop-cds check-config`) runs it.
 * `isDefault(key)` marks values the caller did not set ("the default"), so a message about a pair
 * says which side came from the file.
 */
export function thresholdProblems(t: Thresholds, isDefault: (key: ThresholdKey) => boolean = () => false): ThresholdProblem[] {
  const v = (key: ThresholdKey): string => `${key} (${t[key]}${isDefault(key) ? ', the default' : ''})`;
  const problems: ThresholdProblem[] = [];
  for (const [lower, relation, upper, why] of THRESHOLD_ORDER) {
    const ok = relation === '<' ? t[lower] < t[upper] : t[lower] <= t[upper];
    if (!ok) problems.push({ keys: [lower, upper], message: `${v(lower)} must be ${relation === '<' ? 'below' : 'at most'} ${v(upper)}: ${why}` });
  }
  if (t.initialPhaseDays > t.maxInitialPhaseWeeks * 7) {
    problems.push({
      keys: ['initialPhaseDays', 'maxInitialPhaseWeeks'],
      message: `${v('initialPhaseDays')} must be at most ${v('maxInitialPhaseWeeks')} × 7 days: COP-R05 would flag the initial phase COP-R01 suggests as too long`,
    });
  }
  for (const [a, aUnit, b, bUnit, toA] of SAME_CUT_OFF) {
    const expected = toA(t[b]);
    if (Math.abs(t[a] - expected) > 0.05 * expected) {
      problems.push({
        keys: [a, b],
        message: `${v(a)} and ${v(b)} are one cut-off in two units but differ: ${t[b]} ${bUnit} ≈ ${roundForText(expected)} ${aUnit}; change both together`,
      });
    }
  }
  return problems;
}

/** A problem with thresholds as given (a site file's `thresholds`): `key` is the field, when there is one. */
export interface ThresholdIssue {
  key?: string;
  message: string;
}

const thresholdKeyList = (): ThresholdKey[] => Object.keys(thresholdsSchema.shape) as ThresholdKey[];

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** The threshold key a misspelt name (`mgsPerKg`, `MG_PER_KILO`) most likely meant, if one is close. */
export function closestThresholdKey(name: string): ThresholdKey | undefined {
  const squash = (s: string) => s.replace(/_/g, '').toLowerCase();
  const target = squash(name);
  let best: { key: ThresholdKey; distance: number } | undefined;
  for (const key of thresholdKeyList()) {
    const distance = editDistance(target, squash(key));
    if (!best || distance < best.distance) best = { key, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(target.length / 3)) ? best.key : undefined;
}

/**
 * Thresholds from a site's values (an object of threshold keys): unknown keys are refused (with
 * the likely meant key), each value is checked against its range, unset keys take their defaults,
 * then the whole set goes through `thresholdProblems`.
 */
export function parseThresholds(input: unknown = {}): { value: Thresholds; issues: [] } | { value?: undefined; issues: ThresholdIssue[] } {
  const given = new Set(typeof input === 'object' && input !== null && !Array.isArray(input) ? Object.keys(input) : []);
  const known = Object.keys(thresholdsSchema.shape);
  // Unknown keys first, then the known ones checked as if the unknown ones were not there: one run reports every problem.
  const issues: ThresholdIssue[] = [...given]
    .filter((key) => !known.includes(key))
    .map((key) => {
      const meant = closestThresholdKey(key);
      return { key, message: `not a threshold${meant ? ` (did you mean ${meant}?)` : ''}; the keys are those of thresholdsSchema (src/cop/knowledge.ts, README "Clinical thresholds")` };
    });
  const parsed = thresholdsSchema.safeParse(input);
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map((issue) => ({ ...(issue.path.length > 0 ? { key: issue.path.map(String).join('.') } : {}), message: issue.message })));
  } else {
    for (const p of thresholdProblems(parsed.data, (key) => !given.has(key))) issues.push({ key: p.keys.find((k) => given.has(k)) ?? p.keys[0]!, message: p.message });
  }
  return parsed.success && issues.length === 0 ? { value: parsed.data, issues: [] } : { issues };
}

/** The defaults with `overrides`, checked like a site file (throws on a problem): for tests and embedding. */
export function checkedThresholds(overrides: Partial<Thresholds> = {}): Thresholds {
  const result = parseThresholds(overrides);
  if (!result.value) throw new Error(`Invalid thresholds:\n${result.issues.map((i) => `  - ${i.key ? `${i.key}: ` : ''}${i.message}`).join('\n')}`);
  return result.value;
}

/** The fixed taper table of COP-R01's 24-week taper (⚠ steps unconfirmed; need clinical sign-off). */
export interface TaperStep {
  /** Dose as mg/kg of body weight, or a fixed mg dose. */
  dose: { mgPerKg: number } | { mg: number };
  days: number;
}

export const TAPER_STEPS: readonly TaperStep[] = [
  { dose: { mgPerKg: 0.75 }, days: 28 },
  { dose: { mgPerKg: 0.5 }, days: 28 },
  { dose: { mg: 20 }, days: 28 },
  { dose: { mg: 10 }, days: 42 },
  { dose: { mg: 5 }, days: 42 },
];

/** Prednisone equivalence factors (PredEq); ⚠ verify with pharmacy. */
export const PREDNISONE_EQUIVALENCE = {
  prednisone: 1,
  prednisolone: 1,
  methylprednisolone: 1.25,
  hydrocortisone: 0.25,
  dexamethasone: 6.67,
} as const;
