/**
 * FHIR resources in → PatientFacts out, once per request. Pure: no I/O, no logging, no clock of its
 * own (`now` is injected). Each resource type is walked once; the per-domain modules under
 * ./extract turn those passes into the typed facts the rules read.
 */
import type { Bundle, Encounter, Patient, ServiceRequest } from 'fhir/r4.js';
import { ageFromBirthDate } from '../fhir/dates.js';
import { extractConditionFacts } from './extract/conditions.js';
import { extractBloodPressure, extractCholestasis, extractGlycaemia } from './extract/labs.js';
import { extractMedications } from './extract/medication-facts.js';
import { indexObservations, provenance } from './extract/observation-index.js';
import { extractOxygenation } from './extract/oxygenation.js';
import { extractPft } from './extract/pft.js';
import { extractPregnancy } from './extract/pregnancy.js';
import { extractWeight } from './extract/weight.js';
import type {
  AgeFact, DataDomain, DomainStatus, FactsInput, PatientFacts, ResourcePool, ServiceRequestFact, Sex,
} from './facts-types.js';
import type { Thresholds } from './knowledge.js';
import { DEFAULT_TERMINOLOGY, type Terminology } from './valuesets.js';

/**
 * A domain is available only when the resolver said so (a key whose value was `null` is
 * available-and-empty). A domain the service never asked for is unknown, never "nothing recorded":
 * unknown ≠ normal.
 */
const domainOf = (pool: ResourcePool, domain: DataDomain): DomainStatus =>
  pool.domains[domain] === 'available' ? 'available' : 'unavailable';

function ageOf(patient: Patient | undefined, now: Date): AgeFact {
  if (!patient) return { status: 'unknown', reason: 'patient-unavailable' };
  return ageFromBirthDate(patient.birthDate, now);
}

function sexOf(patient: Patient | undefined): Sex {
  const gender = patient?.gender;
  return gender === 'female' || gender === 'male' || gender === 'other' ? gender : 'unknown';
}

/** Inpatient (v3 ActCode IMP or ACUTE): the weight freshness window shortens to 7 days. */
const INPATIENT_CLASSES: ReadonlySet<string> = new Set(['IMP', 'ACUTE']);
function isInpatient(encounter: Encounter | undefined): boolean {
  const code = encounter?.class?.code;
  return code !== undefined && INPATIENT_CLASSES.has(code);
}

function serviceRequestFact(sr: ServiceRequest, draft: boolean, now: Date): ServiceRequestFact {
  const occurrence = sr.occurrenceDateTime ?? sr.occurrencePeriod?.start;
  const fact: ServiceRequestFact = {
    ...provenance(sr, sr.authoredOn ?? occurrence, now),
    codes: (sr.code?.coding ?? []).map((c) => {
      const coding: ServiceRequestFact['codes'][number] = {};
      if (c.system) coding.system = c.system;
      if (c.code) coding.code = c.code;
      if (c.display) coding.display = c.display;
      return coding;
    }),
    draft,
  };
  if (sr.status) fact.status = sr.status;
  if (sr.code?.text) fact.text = sr.code.text;
  if (occurrence) fact.occurrence = occurrence;
  return fact;
}

function serviceRequests(pool: ResourcePool, draftOrders: Bundle | undefined, now: Date): ServiceRequestFact[] {
  const drafted = (draftOrders?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is ServiceRequest => r?.resourceType === 'ServiceRequest');
  return [
    ...pool.serviceRequests.filter((sr) => sr.status !== 'entered-in-error').map((sr) => serviceRequestFact(sr, false, now)),
    ...drafted.map((sr) => serviceRequestFact(sr, true, now)),
  ];
}

/**
 * `terminology`: the code lists with the site's local codes, built once at start-up
 * (`buildTerminology`); the default one has no local codes.
 */
export function extractFacts(
  pool: ResourcePool,
  input: FactsInput,
  now: Date,
  thresholds: Thresholds,
  terminology: Terminology = DEFAULT_TERMINOLOGY,
): PatientFacts {
  const observations = indexObservations(pool.observations, now);
  const conditions = extractConditionFacts(pool.conditions, domainOf(pool, 'conditions'), now, terminology);
  const age = ageOf(pool.patient, now);
  const sex = sexOf(pool.patient);
  const inpatient = isInpatient(pool.encounter);
  const medications = extractMedications(
    {
      requests: pool.medicationRequests,
      statements: pool.medicationStatements,
      allergies: pool.allergies,
      draftOrders: input.draftOrders,
      selections: input.selections,
      medsDomain: domainOf(pool, 'meds'),
      pastDomain: domainOf(pool, 'medsHistory'),
      allergiesDomain: domainOf(pool, 'allergies'),
      glucocorticoidGapDays: thresholds.glucocorticoidGapDays,
      lookup: { medications: pool.medications, unresolved: pool.unresolvedMedications },
      terminology,
    },
    now,
  );

  return {
    patientId: input.patientId,
    age,
    sex,
    weight: extractWeight(observations, domainOf(pool, 'weight'), inpatient, thresholds),
    cop: conditions.cop,
    secondaryCauses: conditions.secondaryCauses,
    oxygenation: extractOxygenation(observations, conditions.respiratoryFailure, domainOf(pool, 'oxygenation'), thresholds),
    // The run start places FVC values before/after treatment (COP-R16 baseline vs latest).
    pft: extractPft(observations, domainOf(pool, 'pft'), thresholds, medications.glucocorticoidRunStart),
    cholestasis: extractCholestasis(observations, domainOf(pool, 'labs'), thresholds),
    glycaemia: extractGlycaemia(observations, conditions.diabetes, domainOf(pool, 'labs'), thresholds),
    bloodPressure: extractBloodPressure(observations, conditions.hypertension, domainOf(pool, 'bp'), thresholds),
    pregnancy: extractPregnancy(observations, conditions.pregnancy, sex, age, domainOf(pool, 'pregnancy'), thresholds),
    medications,
    boneHealth: { osteoporosisConditions: conditions.osteoporosis, fragilityFractureConditions: conditions.fragilityFractures },
    adrenalInsufficiencyConditions: conditions.adrenalInsufficiency,
    serviceRequests: serviceRequests(pool, input.draftOrders, now),
    inpatient,
  };
}
