/**
 * PatientFacts: everything the COP rules may know about a patient, extracted once per request
 * from the FHIR resources (prefetch or fetched) and the hook context.
 *
 * Rules read only these types, never raw FHIR. Every measured value carries its provenance
 * (which resource, which date, how old) so a card can show it and a reviewer can check it.
 * "Unknown" is always an explicit state, never a missing field that a rule could mistake for normal.
 */

/** Where a fact came from: a relative reference such as `Observation/abc`, plus its clinical date. */
export interface Provenance {
  /** `ResourceType/id`; absent when the resource had no id. */
  reference?: string;
  /** The resource's clinical date as written (effective / recorded / authored), ISO 8601. */
  date?: string;
  /** Whole calendar days between `date` and today (decision 9: windows count calendar days, not hours). */
  ageDays?: number;
}

/** A numeric observation value normalised to the unit the rules use. */
export interface Measurement extends Provenance {
  value: number;
  /** UCUM code of `value` after normalisation (e.g. `kg`, `%`, `mm[Hg]`, `U/L`). */
  unit: string;
  /** What the resource said before conversion, for display ("132 [lb_av]"). */
  original?: { value: number; unit: string };
}

/** Whether a data domain (a prefetch key) could be read at all. */
export type DomainStatus = 'available' | 'unavailable';

// ---------------------------------------------------------------------------------------------
// Demographics

/**
 * Age in whole calendar years. P-ADULT (decision 12) reads it through `isAdult` / `adultStatus`
 * (rules/shared.ts): known ≥ 18 is adult; a range is adult when `minYears` ≥ 18, not adult when
 * `maxYears` < 18, and unknown in between; unknown counts as not adult for dosing.
 */
export type AgeFact =
  | { status: 'known'; years: number }
  /** A year-only or year-month birthDate that allows more than one age: youngest and oldest possible. */
  | { status: 'range'; minYears: number; maxYears: number }
  /** No birthDate, or no Patient resource could be read. */
  | { status: 'unknown'; reason: 'no-birth-date' | 'patient-unavailable' };

export type Sex = 'female' | 'male' | 'other' | 'unknown';

// ---------------------------------------------------------------------------------------------
// Weight (P-WEIGHT)

export type WeightState = 'fresh' | 'stale' | 'absent' | 'conflicting' | 'invalid';

export interface WeightFact {
  state: WeightState;
  /** The weight used (fresh or stale), converted to kg. */
  kg?: Measurement;
  /**
   * The latest weight the chart holds, whatever its state, for the "last: …" text of COP-R02
   * (e.g. the 120-day-old value, or the `lbs` value whose unit was not recognised).
   */
  latest?: Measurement;
  /** Why the state is absent/invalid/conflicting, in words a clinician reads on the card. */
  reason?: string;
  /** Weight observations could not be read at all (prefetch key unavailable). */
  domain: DomainStatus;
}

// ---------------------------------------------------------------------------------------------
// Conditions

export interface ConditionFact extends Provenance {
  system: string;
  code: string;
  display?: string;
  clinicalStatus?: string;
  verificationStatus?: string;
  onset?: string;
  recordedDate?: string;
}

export type SecondaryCauseKind = 'ctd' | 'malignancy';

export interface CopFact {
  /** P-COP. */
  present: boolean;
  /** The condition that satisfied P-COP (or, for COP-R08, the BOOP/COP-coded condition). */
  condition?: ConditionFact;
  /** A COP/BOOP-coded condition exists (ignores the BOOP-needs-no-secondary-cause restriction); used by COP-R08. */
  opCoded?: ConditionFact;
  /** Only WHO ICD-10 J84.x was found: not a COP diagnosis for dosing (test matrix #14). */
  whoIcdOnly: boolean;
  /** Count of COP conditions with clinicalStatus recurrence/relapse (COP-R18 later). */
  relapseRecords: number;
  /**
   * Every condition that satisfies P-COP (clinicalStatus active, recurrence or relapse), newest
   * first; the recurrence/relapse ones (with their dates) feed COP-R16 (c).
   */
  conditions?: ConditionFact[];
  /**
   * The earliest COP-coded record of any clinical status (resolved ones too; not refuted or
   * entered in error), dated by recordedDate, else onset: when the patient was first labelled COP
   * (COP-R20). BOOP counts only when no secondary cause is coded, as in P-COP.
   */
  firstRecord?: ConditionFact;
  domain: DomainStatus;
}

// ---------------------------------------------------------------------------------------------
// Oxygenation and lung function

export interface SpO2Measurement extends Measurement {
  /** Component 3151-8 (inhaled O2 flow) > 0: the reading was on supplemental oxygen. */
  onSupplementalOxygen: boolean;
}

export type Tristate = 'present' | 'absent' | 'unknown';

export interface OxygenationFact {
  /** SpO2 readings within the recency window (default 7 days), newest first. */
  spo2: SpO2Measurement[];
  /** PaO2 readings within the window, converted to mm[Hg], newest first. */
  pao2: Measurement[];
  /** Active respiratory-failure conditions (P-RESP-INSUFF (d)). */
  respiratoryFailureConditions: ConditionFact[];
  /** P-RESP-INSUFF. */
  respiratoryInsufficiency: Tristate;
  /** Which of (a)–(d) made it present, or why it is unknown. */
  reasons: string[];
  domain: DomainStatus;
}

export type PftPreserved = 'true' | 'false' | 'unknown';

/** An FVC % predicted placed on the current glucocorticoid run (COP-R16). */
export interface FvcOnRun extends Measurement {
  /** 19872-1, or 19871-3 (pre-bronchodilator). */
  loinc: string;
  /** Whole calendar days from the run's start to the measurement (≤ 0: before or on the start day). */
  daysFromRunStart: number;
}

export interface PftFact {
  /** Latest FVC % predicted (19872-1, or 19871-3 pre-BD) within the window (default 90 days). */
  fvcPercentPredicted?: Measurement;
  /** Latest FEV1 % predicted (20152-5) within the window. */
  fev1PercentPredicted?: Measurement;
  /** Latest DLCO (19911-7) or DLCO % predicted (98130-8) within the window. */
  dlco?: Measurement;
  /** Only absolute FVC/FEV1 (19870-5 / 20150-9) were found; predicted values are not computed. */
  absoluteOnly: boolean;
  /** P-PFT-PRESERVED. */
  preserved: PftPreserved;
  /**
   * COP-R16 pre-treatment baseline: the latest FVC % predicted dated on or before the start day of
   * the current glucocorticoid run, at most `pftBaselineWindowDays` before it. Absent when not on GC.
   */
  fvcBaseline?: FvcOnRun;
  /**
   * COP-R16 on-treatment value: the latest FVC % predicted dated after the run's start day and
   * within the PFT window (same LOINC code as the baseline when there is one). Absent when not on GC.
   */
  fvcOnTreatment?: FvcOnRun;
  domain: DomainStatus;
}

// ---------------------------------------------------------------------------------------------
// Labs

export interface LabVsUln extends Measurement {
  /** Upper limit of normal in the same unit. */
  uln: number;
  ulnSource: 'reference-range' | 'fallback';
  /** value / uln, e.g. 2.1 for "2.1× ULN". */
  ratio: number;
  /** ratio > 1.0, or interpretation H/HH/HU. */
  elevated: boolean;
}

export interface CholestasisFact {
  ggt?: LabVsUln;
  alp?: LabVsUln;
  /** P-CHOLESTASIS: either marker elevated. */
  elevated: boolean;
  domain: DomainStatus;
}

export interface GlycaemiaFact {
  /** Latest HbA1c within 90 days, in its own unit (`%` or `mmol/mol`). */
  hba1c?: Measurement;
  /** Latest glucose (2345-7/14749-6/2339-0) within 30 days, in its own unit (`mg/dL` or `mmol/L`). */
  glucose?: Measurement;
  diabetesConditions: ConditionFact[];
  domain: DomainStatus;
}

export interface BloodPressureFact {
  /** Latest BP panel 85354-9 within 30 days. */
  latest?: Provenance & { systolic?: number; diastolic?: number };
  hypertensionConditions: ConditionFact[];
  domain: DomainStatus;
}

export type PregnancyStatus = 'yes' | 'no' | 'unknown' | 'n/a';

export interface PregnancyFact {
  status: PregnancyStatus;
  /** The observation or condition that decided it. */
  evidence?: Provenance & { text: string };
  /**
   * The last recorded pregnancy status, whatever its age (decision 15): the latest 82810-3 with a
   * recognised answer (`pregnant` / `not pregnant`), or a later end of a pregnancy Condition. Cards
   * show it with its date even when it is outside the window and decided nothing; `outdated` then
   * says why it did not count ("too old to rule out pregnancy").
   */
  lastRecorded?: Provenance & { text: string; outdated?: string };
  domain: DomainStatus;
}

// ---------------------------------------------------------------------------------------------
// Medications

export type GlucocorticoidIngredient =
  | 'prednisone'
  | 'prednisolone'
  | 'methylprednisolone'
  | 'hydrocortisone'
  | 'dexamethasone';

/** Classes of medication the rules care about; one medication may belong to several. */
export type MedicationClass =
  | 'systemic-glucocorticoid'
  | 'clarithromycin'
  | 'macrolide'
  | 'mycophenolate'
  | 'azathioprine'
  | 'rituximab'
  | 'calcium-vitamin-d'
  | 'bisphosphonate'
  | 'clarithromycin-interacting';

export interface DailyDose {
  /** mg per day of the ordered drug. */
  mgPerDay: number;
  /** mg per day in prednisone equivalents (PredEq); only for systemic glucocorticoids. */
  prednisoneEquivalentMgPerDay?: number;
  /** How it was derived, for the card ("1 x 20 mg tablet once daily = 20 mg/day"). */
  derivation: string;
}

/**
 * How an order's drug was identified (decision 10: every US Core form is read): its `medicationCodeableConcept`, a
 * contained Medication, an external `Medication/{id}` (sent with the request or read from the FHIR
 * server), the reference's `display` name alone (ingredient known, strength not), or not at all.
 */
export type MedicationIdentifiedBy = 'code' | 'contained' | 'external' | 'display' | 'none';

export interface MedicationFact {
  /** `MedicationRequest/{id}` (or `MedicationStatement/{id}`). */
  reference: string;
  id?: string;
  resourceType: 'MedicationRequest' | 'MedicationStatement';
  status?: string;
  intent?: string;
  /** Human-readable name for cards (`text`, else the first coding display, else the code). */
  name: string;
  /**
   * `none`: nothing names the drug (an unresolvable reference without a display). Such an order is
   * *unidentified*: it could be a glucocorticoid, clarithromycin or an interacting drug, so every
   * predicate that asks "is there such an order?" becomes unknown, never "no".
   */
  identifiedBy: MedicationIdentifiedBy;
  /** Why an unidentified order could not be identified, in words for a card ("not found on the EHR's FHIR server"). */
  unidentifiedReason?: string;
  /** An unidentified order's own dosage text (first instruction, shortened), so a clinician can tell which order it is. */
  instructions?: string;
  classes: MedicationClass[];
  /** Set when the medication is a systemic glucocorticoid. */
  glucocorticoid?: GlucocorticoidIngredient;
  /** RxNorm codes found on the medication (SCD or IN). */
  rxnormCodes: string[];
  /** Daily dose, when it can be derived; `undefined` means unknown, never zero. */
  dailyDose?: DailyDose;
  /** Why the daily dose is unknown, when it is. */
  doseUnknownReason?: string;
  /** authoredOn, or the first dosage's boundsPeriod.start. */
  start?: string;
  /** Planned length in days from the dosage bounds (sum of sequenced steps), when stated. */
  plannedDurationDays?: number;
  /** Days of the first dosage step (initial phase), when stated. */
  initialPhaseDays?: number;
  /** Only for drafts in order-select: this order is one of `context.selections`. */
  selected: boolean;
  /**
   * `MedicationRequest.priorPrescription.reference` as written (`MedicationRequest/active-pred`, or an
   * absolute URL): the order this one replaces. A drafted glucocorticoid renewing an active one is
   * not a duplicate (decision 14).
   */
  priorPrescription?: string;
  /** The original resource, kept only for drafts so an `update` suggestion can rewrite it whole. */
  draftResource?: import('fhir/r4.js').MedicationRequest;
}

export interface MedicationsFact {
  /** P-GC-ACTIVE candidates and other current medications (status active/on-hold). */
  active: MedicationFact[];
  /** Medication orders in `context.draftOrders`. */
  drafts: MedicationFact[];
  /**
   * Past orders (any status but active, on-hold and entered-in-error: completed, stopped, cancelled…),
   * from `medsHistory` and whatever else the request held; the untreated reminder reads them (decision 18).
   */
  past?: MedicationFact[];
  /** Whether past orders could be read (`medsHistory` answered); unavailable or absent = past courses unknown. */
  pastDomain?: DomainStatus;
  /** Macrolide allergy recorded (AllergyIntolerance), for the clarithromycin gate. */
  macrolideAllergy: Tristate;
  /** P-ON-GC-WEEKS: whole weeks of the current continuous systemic GC run; undefined when not on GC. */
  onGlucocorticoidWeeks?: number;
  /** Start of the current continuous GC run (earliest start, gaps ≤ 7 days merged). */
  glucocorticoidRunStart?: string;
  domain: DomainStatus;
}

// ---------------------------------------------------------------------------------------------
// Other orders

export interface ServiceRequestFact extends Provenance {
  status?: string;
  codes: { system?: string; code?: string; display?: string }[];
  text?: string;
  occurrence?: string;
  draft: boolean;
}

export interface BoneHealthFact {
  osteoporosisConditions: ConditionFact[];
  fragilityFractureConditions: ConditionFact[];
}

// ---------------------------------------------------------------------------------------------

export interface PatientFacts {
  patientId: string;
  age: AgeFact;
  sex: Sex;
  weight: WeightFact;
  cop: CopFact;
  /** CTD and malignancy conditions (P-SECONDARY), active or historical. */
  secondaryCauses: (ConditionFact & { kind: SecondaryCauseKind })[];
  oxygenation: OxygenationFact;
  pft: PftFact;
  cholestasis: CholestasisFact;
  glycaemia: GlycaemiaFact;
  bloodPressure: BloodPressureFact;
  pregnancy: PregnancyFact;
  medications: MedicationsFact;
  boneHealth: BoneHealthFact;
  adrenalInsufficiencyConditions: ConditionFact[];
  /** Existing and drafted ServiceRequests (follow-up review, PFTs, imaging). */
  serviceRequests: ServiceRequestFact[];
  /** The encounter is inpatient (weight freshness window shortens to 7 days). */
  inpatient: boolean;
}

// ---------------------------------------------------------------------------------------------
// Input to fact extraction

/**
 * Prefetch keys double as data domains: the facts extractor asks `domains[key]` whether the data
 * behind a key could be read (a key whose value was `null` is available-and-empty; a key that was
 * missing and could not be fetched, or held an OperationOutcome, is unavailable).
 */
export type DataDomain =
  | 'patient' | 'conditions' | 'weight' | 'oxygenation' | 'pft' | 'labs' | 'bp' | 'meds' | 'medsHistory' | 'pregnancy'
  | 'allergies' | 'followUp' | 'encounter';

/** All resources the request made available, pooled by type (de-duplicated by type/id). */
export interface ResourcePool {
  patient?: import('fhir/r4.js').Patient;
  encounter?: import('fhir/r4.js').Encounter;
  observations: import('fhir/r4.js').Observation[];
  conditions: import('fhir/r4.js').Condition[];
  medicationRequests: import('fhir/r4.js').MedicationRequest[];
  medicationStatements: import('fhir/r4.js').MedicationStatement[];
  allergies: import('fhir/r4.js').AllergyIntolerance[];
  serviceRequests: import('fhir/r4.js').ServiceRequest[];
  /**
   * External Medications the orders name by `medicationReference`, keyed by the reference exactly as
   * written (`Medication/123`, or an absolute URL on `fhirServer`): found among the request's
   * resources or read from the FHIR server (src/cds/medication-references.ts).
   */
  medications: ReadonlyMap<string, import('fhir/r4.js').Medication>;
  /** References that could not be resolved, with the reason in words a card may show. */
  unresolvedMedications: ReadonlyMap<string, string>;
  domains: Partial<Record<DataDomain, DomainStatus>>;
}

/** The parts of the hook context the facts depend on. */
export interface FactsInput {
  patientId: string;
  /** `context.selections` (order-select): `ResourceType/id` of the orders just chosen. */
  selections: string[];
  /** `context.draftOrders` (order-select, order-sign). */
  draftOrders?: import('fhir/r4.js').Bundle;
}
