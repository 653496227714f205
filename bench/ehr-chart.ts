/**
 * The "ehr" chart of the benchmark: a typical COP patient as a US EHR sends the prefetch, about
 * 88 KB. 20 other Conditions and the COP one, 50 Observations, 10 MedicationRequests. The compact
 * typical chart has about as many resources (~53 KiB), but an EHR's resources are fuller: versions,
 * encounters, prescribers and identifiers, an ICD-10-CM code beside the SNOMED one, the LOINC long
 * name beside the EHR's short one, interpretations, reference ranges with both limits, notes,
 * dispense requests, absolute fullUrls and Bundle links.
 *
 * The clinical picture, so that patient-view has about seven things to say: COP recorded 40 days
 * ago with no secondary cause coded, on prednisone 40 mg daily for 30 days (a 60 kg man, so about
 * 0.67 mg/kg, short of the 6-week mark that would call for a response review), raised GGT and ALP,
 * type 2 diabetes and hypertension on the problem list, PFTs 20 days ago, no bone protection
 * ordered. The ordering hooks draft a renewal of that prednisone order.
 *
 * Deterministic: every value comes from the index of the resource and from `now` (dates are days
 * before it), so one `now` always gives the same bytes, and the size does not depend on the day.
 */
type Json = Record<string, unknown>;

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition';
/** Made-up OIDs in the shape an EHR uses for its own identifiers and local codes. */
const EHR_OID = 'urn:oid:1.2.840.114350.1.13.999.2.7';

const DAY = 86_400_000;
const iso = (now: Date, daysAgo: number): string => new Date(now.getTime() - daysAgo * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
const date = (now: Date, daysAgo: number): string => iso(now, daysAgo).slice(0, 10);
const pad = (n: number, width = 6): string => String(n).padStart(width, '0');

interface Ctx {
  now: Date;
  pid: string;
}

const ENCOUNTERS = ['Office Visit', 'Hospital Encounter', 'Telephone', 'Lab Visit', 'Pulmonary Function Lab'];
const PRACTITIONERS = ['Avery Chen, MD', 'Jordan Patel, MD', 'Sam Okafor, DO', 'Riley Novak, NP'];

function encounter(i: number): Json {
  return { reference: `Encounter/ehr-enc-${1000 + (i % 12)}`, display: ENCOUNTERS[i % ENCOUNTERS.length] };
}

function practitioner(i: number): Json {
  return { reference: `Practitioner/ehr-prac-${200 + (i % PRACTITIONERS.length)}`, display: PRACTITIONERS[i % PRACTITIONERS.length] };
}

function meta(c: Ctx, daysAgo: number, version: number): Json {
  return { versionId: String(version), lastUpdated: iso(c.now, daysAgo) };
}

interface ObsSpec {
  id: string;
  loinc: string;
  display: string;
  /** The EHR's own short name, its code.text. */
  name: string;
  category: 'vital-signs' | 'laboratory';
  value: number;
  unit: string;
  daysAgo: number;
  /** Reference range; `high` alone for the labs whose raised value matters. */
  low?: number;
  high?: number;
  note?: string;
}

function interpretationOf(value: number, low?: number, high?: number): Json | undefined {
  const code = high !== undefined && value > high ? ['H', 'High'] : low !== undefined && value < low ? ['L', 'Low'] : ['N', 'Normal'];
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: code[0], display: code[1] }] };
}

function observation(c: Ctx, i: number, s: ObsSpec): Json {
  const quantity = (value: number): Json => ({ value, unit: s.unit, system: UCUM, code: s.unit });
  const range = s.low !== undefined || s.high !== undefined
    ? [{
        ...(s.low !== undefined ? { low: quantity(s.low) } : {}),
        ...(s.high !== undefined ? { high: quantity(s.high) } : {}),
      }]
    : undefined;
  return {
    resourceType: 'Observation',
    id: s.id,
    meta: meta(c, s.daysAgo, 1 + (i % 3)),
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: s.category, display: s.category === 'laboratory' ? 'Laboratory' : 'Vital Signs' }] }],
    code: { coding: [{ system: LOINC, code: s.loinc, display: s.display }], text: s.name },
    subject: { reference: `Patient/${c.pid}` },
    encounter: encounter(i),
    effectiveDateTime: iso(c.now, s.daysAgo),
    valueQuantity: quantity(s.value),
    interpretation: range ? [interpretationOf(s.value, s.low, s.high)] : undefined,
    note: s.note ? [{ authorString: PRACTITIONERS[i % PRACTITIONERS.length], time: iso(c.now, s.daysAgo - 0.1), text: s.note }] : undefined,
    referenceRange: range,
  };
}

/** Drops the members left `undefined` above, so that the resources are what JSON.stringify sends. */
function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const CONDITIONS: [snomed: string, icd10: string, display: string][] = [
  ['44054006', 'E11.9', 'Type 2 diabetes mellitus without complications'], ['59621000', 'I10', 'Essential hypertension'],
  ['195967001', 'J45.909', 'Asthma, uncomplicated'], ['235595009', 'K21.9', 'Gastro-esophageal reflux disease without esophagitis'],
  ['271737000', 'D64.9', 'Anemia, unspecified'], ['35489007', 'F32.A', 'Depression, unspecified'],
  ['55822004', 'E78.5', 'Hyperlipidemia, unspecified'], ['414545008', 'I25.10', 'Coronary artery disease of native coronary artery'],
  ['40930008', 'E03.9', 'Hypothyroidism, unspecified'], ['396275006', 'M17.9', 'Osteoarthritis of knee, unspecified'],
  ['73430006', 'G47.33', 'Obstructive sleep apnea'], ['267036007', 'R06.00', 'Dyspnea, unspecified'],
  ['49727002', 'R05.9', 'Cough, unspecified'], ['386661006', 'R50.9', 'Fever, unspecified'],
  ['84229001', 'R53.83', 'Other fatigue'], ['422587007', 'R11.0', 'Nausea'],
  ['68566005', 'N39.0', 'Urinary tract infection, site not specified'], ['233604007', 'J18.9', 'Pneumonia, unspecified organism'],
  ['10509002', 'J20.9', 'Acute bronchitis, unspecified'], ['61582004', 'J30.9', 'Allergic rhinitis, unspecified'],
];

function condition(c: Ctx, i: number, id: string, snomed: string, icd10: string, display: string, daysAgo: number, status: string): Json {
  return {
    resourceType: 'Condition',
    id,
    meta: meta(c, daysAgo, 1 + (i % 4)),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: status, display: status === 'active' ? 'Active' : 'Resolved' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }],
    code: { coding: [{ system: SNOMED, code: snomed, display }, { system: ICD10CM, code: icd10 }], text: display },
    subject: { reference: `Patient/${c.pid}` },
    onsetDateTime: date(c.now, daysAgo + 30),
    ...(status === 'resolved' ? { abatementDateTime: date(c.now, Math.max(1, daysAgo - 20)) } : {}),
    recordedDate: iso(c.now, daysAgo),
    note: i % 3 === 0 ? [{ authorString: PRACTITIONERS[i % PRACTITIONERS.length], text: `Reviewed at visit; ${display.toLowerCase()} stable on current management.` }] : undefined,
  };
}

const MEDS: [rxnorm: string, display: string, doseMg: number, perDay: number, reason: string][] = [
  ['860975', 'metformin 500 MG Oral Tablet', 500, 2, 'Type 2 diabetes mellitus'], ['314076', 'lisinopril 10 MG Oral Tablet', 10, 1, 'Essential hypertension'],
  ['197361', 'amlodipine 5 MG Oral Tablet', 5, 1, 'Essential hypertension'], ['617312', 'atorvastatin 10 MG Oral Tablet', 10, 1, 'Hyperlipidemia'],
  ['966222', 'levothyroxine 0.05 MG Oral Tablet', 0.05, 1, 'Hypothyroidism'], ['311995', 'omeprazole 20 MG Delayed Release Oral Capsule', 20, 1, 'Gastro-esophageal reflux disease'],
  ['313782', 'acetaminophen 325 MG Oral Tablet', 650, 2, 'Osteoarthritis of knee'], ['310965', 'ibuprofen 200 MG Oral Tablet', 400, 1, 'Osteoarthritis of knee'],
  ['245314', 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', 0.18, 2, 'Asthma'],
];

export const EHR_PREDNISONE_ID = 'ehr-med-pred-1';

/** A MedicationRequest as an EHR sends it; `extra` overrides (the draft renewal). */
function ehrMedication(c: Ctx, i: number, id: string, rxnorm: string, display: string, doseMg: number, perDay: number, reason: string, status: string, daysAgo: number, supplyDays: number, extra: Json = {}): Json {
  const unit = display.includes('ACTUAT') ? 'puff' : 'mg';
  const often = perDay === 1 ? 'once daily' : 'twice daily';
  const text = unit === 'puff' ? `Inhale 2 puffs ${often}` : `Take ${doseMg} mg by mouth ${often}`;
  return clean({
    resourceType: 'MedicationRequest',
    id,
    meta: meta(c, daysAgo, 1 + (i % 2)),
    identifier: [{ system: `${EHR_OID}.2.798268`, value: pad(9_120_000 + i * 31, 8) }],
    status,
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm, display }], text: display },
    subject: { reference: `Patient/${c.pid}` },
    encounter: encounter(i),
    authoredOn: iso(c.now, daysAgo),
    requester: practitioner(i),
    reasonCode: [{ text: reason }],
    dosageInstruction: [{
      sequence: 1,
      text,
      timing: { repeat: { frequency: perDay, period: 1, periodUnit: 'd' } },
      asNeededBoolean: false,
      route: unit === 'puff'
        ? { coding: [{ system: SNOMED, code: '447694001', display: 'Respiratory tract route' }], text: 'Inhalation' }
        : { coding: [{ system: SNOMED, code: '26643006', display: 'Oral route' }], text: 'Oral' },
      doseAndRate: [{
        doseQuantity: unit === 'puff' ? { value: 2, unit: 'puff', system: UCUM, code: '{puff}' } : { value: doseMg, unit: 'mg', system: UCUM, code: 'mg' },
      }],
    }],
    dispenseRequest: {
      numberOfRepeatsAllowed: 3,
      quantity: { value: supplyDays * perDay, unit: unit === 'puff' ? 'inhaler' : 'tablet' },
      expectedSupplyDuration: { value: supplyDays, unit: 'days', system: UCUM, code: 'd' },
    },
    ...extra,
  });
}

const searchset = (pid: string, type: string, resources: Json[]): Json => ({
  resourceType: 'Bundle',
  id: `ehr-${type.toLowerCase()}-search`,
  type: 'searchset',
  total: resources.length,
  link: [{ relation: 'self', url: `https://ehr.bench.invalid/fhir/R4/${type}?patient=${pid}` }],
  ...(resources.length > 0
    ? { entry: resources.map((resource) => ({ fullUrl: `https://ehr.bench.invalid/fhir/R4/${type}/${String(resource.id)}`, resource })) }
    : {}),
});

/** The prefetch of the ehr chart (keys as hooks/prefetch-templates.ts names them). */
export function ehrChartPrefetch(opts: { now: Date; patientId?: string }): Json {
  const c: Ctx = { now: opts.now, pid: opts.patientId ?? 'bench-patient-1' };
  let n = 0;
  const obs = (s: ObsSpec): Json => clean(observation(c, n++, s));

  const weights = [0, 1, 2].map((i) => obs({ id: `ehr-wt-${i}`, loinc: '29463-7', display: 'Body weight', name: 'Weight', category: 'vital-signs', value: 60 - i * 0.4, unit: 'kg', daysAgo: 4 + i * 25 }));
  const oxygenation = [
    ...Array.from({ length: 6 }, (_, i) => obs({ id: `ehr-spo2-${i}`, loinc: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry', name: 'SpO2', category: 'vital-signs', value: 95 + (i % 3), unit: '%', daysAgo: 2 + i * 5, ...(i === 0 ? { note: 'On room air, at rest.' } : {}) })),
    ...Array.from({ length: 4 }, (_, i) => obs({ id: `ehr-pao2-${i}`, loinc: '2703-7', display: 'Oxygen [Partial pressure] in Arterial blood', name: 'PaO2', category: 'laboratory', value: 76 - i, unit: 'mm[Hg]', daysAgo: 3 + i * 7, low: 75, high: 100 })),
  ];
  const pft: [loinc: string, display: string, name: string, value: number, unit: string, low?: number][] = [
    ['19872-1', 'FVC measured/predicted', 'FVC % pred', 82, '%', 80], ['19871-3', 'FVC pre bronchodilation measured/predicted', 'FVC pre-BD % pred', 81, '%', 80],
    ['20152-5', 'FEV1 measured/predicted', 'FEV1 % pred', 79, '%', 80], ['98130-8', 'DLCO measured/predicted', 'DLCO % pred', 64, '%', 75],
    ['19870-5', 'Forced vital capacity [Volume] Respiratory system', 'FVC', 3.2, 'L'], ['20150-9', 'FEV1', 'FEV1', 2.5, 'L'],
    ['19911-7', 'Diffusion capacity.carbon monoxide', 'DLCO', 17.9, 'mL/min/mm[Hg]'],
  ];
  const pfts = pft.map(([loinc, display, name, value, unit, low], i) => obs({ id: `ehr-pft-${i}`, loinc, display, name, category: 'laboratory', value, unit, daysAgo: 20, ...(low !== undefined ? { low } : {}), ...(i === 0 ? { note: 'Good effort, reproducible.' } : {}) }));
  const labSpecs: [loinc: string, display: string, name: string, value: number, unit: string, low: number, high: number][] = [
    ['2324-2', 'Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma', 'GGT', 138, 'U/L', 8, 61],
    ['6768-6', 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma', 'Alkaline Phosphatase', 151, 'U/L', 40, 129],
    ['4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', 'Hemoglobin A1C', 7.1, '%', 4, 5.6],
    ['2345-7', 'Glucose [Mass/volume] in Serum or Plasma', 'Glucose', 138, 'mg/dL', 70, 99],
    ['2339-0', 'Glucose [Mass/volume] in Blood', 'Glucose, POC', 142, 'mg/dL', 70, 99],
  ];
  const labs = Array.from({ length: 27 }, (_, i) => {
    const [loinc, display, name, value, unit, low, high] = labSpecs[i % labSpecs.length]!;
    const round = Math.floor(i / labSpecs.length);
    return obs({ id: `ehr-lab-${i}`, loinc, display, name, category: 'laboratory', value: Math.round(value * (1 - round * 0.02) * 10) / 10, unit, daysAgo: 3 + round * 14, low, high });
  });
  const bp = [0, 1, 2].map((i) => {
    const o = obs({ id: `ehr-bp-${i}`, loinc: '85354-9', display: 'Blood pressure panel with all children optional', name: 'BP', category: 'vital-signs', value: 0, unit: 'mm[Hg]', daysAgo: 2 + i * 12 });
    delete o.valueQuantity;
    o.component = [
      { code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: { value: 138 + i * 2, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: { value: 86 - i, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
    ];
    return o;
  });

  const conditions = [
    clean(condition(c, 0, 'ehr-cond-cop', '719218000', 'J84.116', 'Cryptogenic organizing pneumonia', 40, 'active')),
    ...CONDITIONS.map(([snomed, icd10, display], i) => clean(condition(c, i + 1, `ehr-cond-${i}`, snomed, icd10, display, 120 + i * 45, i % 5 === 4 ? 'resolved' : 'active'))),
  ];
  const meds = [
    ehrMedication(c, 0, EHR_PREDNISONE_ID, '312615', 'prednisone 20 MG Oral Tablet', 40, 1, 'Cryptogenic organizing pneumonia', 'active', 30, 30, {
      courseOfTherapyType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy', code: 'acute', display: 'Short course (acute) therapy' }] },
      note: [{ authorString: PRACTITIONERS[0], text: 'Initial phase for COP; taper planned at the 6-week review.' }],
    }),
    ...MEDS.map(([rx, display, dose, perDay, reason], i) => ehrMedication(c, i + 1, `ehr-med-${i}`, rx, display, dose, perDay, reason, 'active', 150 + i * 20, 90)),
  ];
  const patient = {
    resourceType: 'Patient',
    id: c.pid,
    meta: { ...meta(c, 400, 7), profile: [`${US_CORE}/us-core-patient`] },
    extension: [
      { url: `${US_CORE}/us-core-race`, extension: [{ url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' } }, { url: 'text', valueString: 'White' }] },
      { url: `${US_CORE}/us-core-ethnicity`, extension: [{ url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2186-5', display: 'Not Hispanic or Latino' } }, { url: 'text', valueString: 'Not Hispanic or Latino' }] },
      { url: `${US_CORE}/us-core-birthsex`, valueCode: 'M' },
    ],
    identifier: [
      { use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical record number' }], text: 'MRN' }, system: `${EHR_OID}.2.698084`, value: 'E4008123' },
      { use: 'usual', type: { text: 'EXTERNAL' }, system: `${EHR_OID}.2.698084.1`, value: 'Z7001234' },
    ],
    active: true,
    name: [{ use: 'official', text: 'Robert Bench', family: 'Bench', given: ['Robert', 'J'] }, { use: 'usual', text: 'Bob Bench', family: 'Bench', given: ['Bob'] }],
    telecom: [{ system: 'phone', value: '555-010-4477', use: 'home' }, { system: 'email', value: 'robert.bench@example.invalid', rank: 1 }],
    gender: 'male',
    birthDate: date(c.now, 61 * 365 + 40),
    deceasedBoolean: false,
    address: [{ use: 'home', line: ['1200 Example Avenue', 'Apt 4'], city: 'Madison', district: 'Dane', state: 'WI', postalCode: '53703', country: 'USA' }],
    maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }], text: 'Married' },
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en', display: 'English' }], text: 'English' }, preferred: true }],
    generalPractitioner: [practitioner(0)],
    managingOrganization: { reference: 'Organization/ehr-org-1', display: 'Main Hospital' },
  };
  return {
    patient,
    conditions: searchset(c.pid, 'Condition', conditions),
    weight: searchset(c.pid, 'Observation', weights),
    oxygenation: searchset(c.pid, 'Observation', oxygenation),
    pft: searchset(c.pid, 'Observation', pfts),
    labs: searchset(c.pid, 'Observation', labs),
    bp: searchset(c.pid, 'Observation', bp),
    meds: searchset(c.pid, 'MedicationRequest', meds),
    medsHistory: searchset(c.pid, 'MedicationRequest', []),
    pregnancy: null,
    allergies: searchset(c.pid, 'AllergyIntolerance', []),
    followUp: searchset(c.pid, 'ServiceRequest', []),
  };
}

/** The ordering hooks' draft on the ehr chart: a renewal of the active prednisone order, same dose. */
export function ehrDraftRenewal(opts: { now: Date; patientId?: string }): Json {
  const c: Ctx = { now: opts.now, pid: opts.patientId ?? 'bench-patient-1' };
  return ehrMedication(c, 20, 'ehr-draft-pred-1', '312615', 'prednisone 20 MG Oral Tablet', 40, 1, 'Cryptogenic organizing pneumonia', 'draft', 0, 14, {
    priorPrescription: { reference: `MedicationRequest/${EHR_PREDNISONE_ID}`, display: 'prednisone 20 MG Oral Tablet' },
    identifier: undefined,
    meta: undefined,
  });
}
