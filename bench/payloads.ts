/**
 * Synthetic request bodies for the benchmarks: a typical COP chart (~50 Observations, ~20
 * Conditions, ~10 MedicationRequests, compact resources: ~53 KiB), a heavy one (the same plus
 * ~2,000 Observations), and the same typical patient as an EHR sends it (`chart: 'ehr'`, fuller
 * resources: ~88 KB, bench/ehr-chart.ts), for each hook. Dates are relative to `now`, so the same
 * clinical picture holds whatever day the bench runs.
 */
import copOrderSelect from '../hooks/cop-order-select.js';
import copOrderSign from '../hooks/cop-order-sign.js';
import copPatientView from '../hooks/cop-patient-view.js';
import { ehrChartPrefetch, ehrDraftRenewal } from './ehr-chart.js';

type Json = Record<string, unknown>;

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';

export interface ChartOptions {
  now: Date;
  patientId?: string;
  /** Extra history Observations (weights and labs) beyond the typical ~50 (compact chart only). */
  extraObservations?: number;
  /** `compact` (default): the typical and heavy charts; `ehr`: the typical patient in full EHR resources. */
  chart?: 'compact' | 'ehr';
}

const day = 86_400_000;
const iso = (now: Date, daysAgo: number): string => new Date(now.getTime() - daysAgo * day).toISOString();
const date = (now: Date, daysAgo: number): string => iso(now, daysAgo).slice(0, 10);

function observation(now: Date, patientId: string, id: string, code: string, display: string, value: number, unit: string, daysAgo: number, extra: Json = {}): Json {
  return {
    resourceType: 'Observation',
    id,
    meta: { versionId: '1', lastUpdated: iso(now, daysAgo) },
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: code === '29463-7' || code === '85354-9' || code === '59408-5' ? 'vital-signs' : 'laboratory' }] }],
    code: { coding: [{ system: LOINC, code, display }], text: display },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: iso(now, daysAgo),
    issued: iso(now, daysAgo),
    valueQuantity: { value, unit, system: UCUM, code: unit },
    ...extra,
  };
}

function condition(now: Date, patientId: string, id: string, system: string, code: string, display: string, daysAgo: number, status = 'active'): Json {
  return {
    resourceType: 'Condition',
    id,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: status }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
    code: { coding: [{ system, code, display }], text: display },
    subject: { reference: `Patient/${patientId}` },
    onsetDateTime: date(now, daysAgo + 30),
    recordedDate: date(now, daysAgo),
  };
}

function medication(now: Date, patientId: string, id: string, rxnorm: string, display: string, doseMg: number, status: string, daysAgo: number, frequency = 1): Json {
  return {
    resourceType: 'MedicationRequest',
    id,
    status,
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    authoredOn: iso(now, daysAgo),
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm, display }], text: display },
    dosageInstruction: [{
      text: `${doseMg} mg ${frequency === 1 ? 'once' : 'twice'} daily`,
      timing: { repeat: { frequency, period: 1, periodUnit: 'd' } },
      route: { coding: [{ system: SNOMED, code: '26643006', display: 'Oral route' }] },
      doseAndRate: [{ doseQuantity: { value: doseMg, unit: 'mg', system: UCUM, code: 'mg' } }],
    }],
  };
}

const searchset = (resources: Json[]): Json => ({
  resourceType: 'Bundle',
  type: 'searchset',
  total: resources.length,
  ...(resources.length > 0 ? { entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${String(resource.id)}`, resource })) } : {}),
});

/** Unrelated but realistic chronic conditions and medications, so the rules must skip past them. */
const OTHER_CONDITIONS: [string, string][] = [
  ['44054006', 'Diabetes mellitus type 2'], ['59621000', 'Essential hypertension'], ['195967001', 'Asthma'],
  ['235595009', 'Gastroesophageal reflux disease'], ['271737000', 'Anemia'], ['35489007', 'Depressive disorder'],
  ['55822004', 'Hyperlipidemia'], ['414545008', 'Ischemic heart disease'], ['40930008', 'Hypothyroidism'],
  ['396275006', 'Osteoarthritis'], ['73430006', 'Sleep apnea'], ['267036007', 'Dyspnea'], ['49727002', 'Cough'],
  ['386661006', 'Fever'], ['84229001', 'Fatigue'], ['422587007', 'Nausea'], ['68566005', 'Urinary tract infection'],
  ['233604007', 'Pneumonia'], ['10509002', 'Acute bronchitis'],
];
const OTHER_MEDS: [string, string, number][] = [
  ['860975', 'metformin 500 MG Oral Tablet', 500], ['314076', 'lisinopril 10 MG Oral Tablet', 10],
  ['197361', 'amlodipine 5 MG Oral Tablet', 5], ['617312', 'atorvastatin 10 MG Oral Tablet', 10],
  ['966222', 'levothyroxine 0.05 MG Oral Tablet', 0.05], ['198211', 'simvastatin 40 MG Oral Tablet', 40],
  ['311995', 'omeprazole 20 MG Delayed Release Oral Capsule', 20], ['313782', 'acetaminophen 325 MG Oral Tablet', 325],
  ['310965', 'ibuprofen 200 MG Oral Tablet', 200],
];

/** The prefetch of a typical COP chart; `extraObservations` adds history for a heavy chart. */
export function chartPrefetch(opts: ChartOptions): Json {
  const { now } = opts;
  const pid = opts.patientId ?? 'bench-patient-1';
  const weights = Array.from({ length: 3 }, (_, i) => observation(now, pid, `w${i}`, '29463-7', 'Body weight', 60 - i * 0.3, 'kg', 5 + i * 20));
  const oxygenation = [
    ...Array.from({ length: 6 }, (_, i) => observation(now, pid, `spo2-${i}`, '59408-5', 'Oxygen saturation by pulse oximetry', 96 + (i % 2), '%', 1 + i * 3)),
    ...Array.from({ length: 4 }, (_, i) => observation(now, pid, `pao2-${i}`, '2703-7', 'Oxygen [Partial pressure] in Arterial blood', 78 - i, 'mm[Hg]', 2 + i * 4)),
  ];
  const pft = [
    observation(now, pid, 'fvc-pct', '19872-1', 'FVC measured/predicted', 85, '%', 30),
    observation(now, pid, 'fev1-pct', '20152-5', 'FEV1 measured/predicted', 76, '%', 30),
    observation(now, pid, 'dlco', '19911-7', 'Diffusion capacity.carbon monoxide', 18.5, 'mL/min/mm[Hg]', 30),
    observation(now, pid, 'fvc', '19870-5', 'Forced vital capacity', 3.1, 'L', 30),
    observation(now, pid, 'fev1', '20150-9', 'FEV1', 2.4, 'L', 30),
  ];
  const labCodes: [string, string, number, string, number][] = [
    ['2324-2', 'GGT', 130, 'U/L', 55], ['6768-6', 'ALP', 140, 'U/L', 130], ['4548-4', 'HbA1c', 6.1, '%', 5.7],
    ['2345-7', 'Glucose', 112, 'mg/dL', 99], ['14749-6', 'Glucose (molar)', 6.2, 'mmol/L', 5.5],
  ];
  const labs = Array.from({ length: 25 }, (_, i) => {
    const [code, display, value, unit, high] = labCodes[i % labCodes.length]!;
    return observation(now, pid, `lab-${i}`, code, display, value, unit, 3 + Math.floor(i / labCodes.length) * 15, {
      referenceRange: [{ high: { value: high, unit, system: UCUM, code: unit } }],
    });
  });
  const bp = Array.from({ length: 3 }, (_, i) => {
    const o = observation(now, pid, `bp-${i}`, '85354-9', 'Blood pressure panel', 0, 'mm[Hg]', 2 + i * 10, {
      component: [
        { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 132, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
        { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 84, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
      ],
    });
    delete o.valueQuantity;
    return o;
  });
  const history = Array.from({ length: opts.extraObservations ?? 0 }, (_, i) =>
    i % 2 === 0
      ? observation(now, pid, `hist-w${i}`, '29463-7', 'Body weight', 59.5 + (i % 7) * 0.15, 'kg', 120 + i)
      : observation(now, pid, `hist-lab${i}`, '2345-7', 'Glucose', 95, 'mg/dL', 120 + i, { referenceRange: [{ high: { value: 99, unit: 'mg/dL', system: UCUM, code: 'mg/dL' } }] }),
  );
  const conditions = [
    condition(now, pid, 'cop-1', SNOMED, '719218000', 'Cryptogenic organizing pneumonia', 15),
    ...OTHER_CONDITIONS.map(([code, display], i) => condition(now, pid, `other-${i}`, SNOMED, code, display, 100 + i * 30, i % 4 === 3 ? 'resolved' : 'active')),
  ];
  const meds = OTHER_MEDS.map(([rx, display, dose], i) => medication(now, pid, `med-${i}`, rx, display, dose, 'active', 200 + i * 10));
  return {
    patient: { resourceType: 'Patient', id: pid, gender: 'male', birthDate: date(now, 61 * 365 + 40) },
    conditions: searchset(conditions),
    weight: searchset([...weights, ...history.filter((o) => String(o.id).startsWith('hist-w'))]),
    oxygenation: searchset(oxygenation),
    pft: searchset(pft),
    labs: searchset([...labs, ...history.filter((o) => String(o.id).startsWith('hist-lab'))]),
    bp: searchset(bp),
    meds: searchset(meds),
    pregnancy: null,
    allergies: searchset([]),
    followUp: searchset([]),
  };
}

export type BenchHook = 'order-select' | 'order-sign' | 'patient-view';

const SERVICES = { 'order-select': copOrderSelect, 'order-sign': copOrderSign, 'patient-view': copPatientView };

/** A complete CDS Hooks request for `hook` on the chart. */
export function hookRequest(hook: BenchHook, opts: ChartOptions, hookInstance = 'c7a4b8e2-5d1f-4c3a-9e6b-0f2d1a3b4c5d'): Json {
  const pid = opts.patientId ?? 'bench-patient-1';
  if (opts.chart === 'ehr') return ehrHookRequest(hook, opts, pid, hookInstance);
  const prefetch = chartPrefetch(opts);
  const draft = medication(opts.now, pid, 'draft-pred-1', '312615', 'prednisone 20 MG Oral Tablet', 40, 'draft', 0);
  const base = { hook, hookInstance, context: { userId: 'Practitioner/bench-1', patientId: pid } as Json, prefetch };
  if (hook === 'patient-view') {
    delete (prefetch as Json).allergies;
    return base;
  }
  base.context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] };
  if (hook === 'order-select') base.context.selections = ['MedicationRequest/draft-pred-1'];
  else delete (prefetch as Json).allergies;
  return base;
}

/**
 * The ehr chart's request: as an EHR fills a service's prefetch, exactly the keys the service asks
 * for (its definition in hooks/); the ordering hooks draft a renewal of the active prednisone.
 */
function ehrHookRequest(hook: BenchHook, opts: ChartOptions, pid: string, hookInstance: string): Json {
  const all = ehrChartPrefetch({ now: opts.now, patientId: pid });
  const asked = Object.keys(SERVICES[hook].prefetch ?? {});
  const prefetch = Object.fromEntries(asked.filter((k) => k in all).map((k) => [k, all[k]]));
  const context: Json = { userId: 'Practitioner/ehr-prac-0200', patientId: pid, encounterId: 'ehr-enc-1000' };
  if (hook !== 'patient-view') {
    context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:ehr-draft-pred-1', resource: ehrDraftRenewal({ now: opts.now, patientId: pid }) }] };
    if (hook === 'order-select') context.selections = ['MedicationRequest/ehr-draft-pred-1'];
  }
  return { hook, hookInstance, context, prefetch };
}
