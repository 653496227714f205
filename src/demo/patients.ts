/**
 * Synthetic COP patients for the embedded demo FHIR server (src/demo/fhir-endpoint.ts). No real
 * data: every patient was written from the rule catalog (docs/rules.md) to show particular rules.
 *
 * Dates are relative to "now" and computed on every call of `demoResources(now)`, so a weight
 * "5 days old" stays 5 days old whatever day the demo runs. `expected` lists the rule ids each
 * hook returns for the patient when the service reads the chart from this server (the CDS Hooks
 * Sandbox drafting 1 × prednisone 20 mg tablet daily on order-select and order-sign);
 * test/demo/end-to-end.test.ts proves those lists against the running service.
 */
import type { Resource } from 'fhir/r4.js';

type Json = Record<string, unknown>;

export type DemoHook = 'patient-view' | 'order-select' | 'order-sign';

export interface DemoPatient {
  id: string;
  name: { given: string; family: string };
  /** One line: who this is and which cards to expect. */
  description: string;
  /** Rule ids on each hook, in the service's order (prednisone 20 mg drafted on order-select/sign). */
  expected: Record<DemoHook, string[]>;
}

const DAY_MS = 86_400_000;
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';

export const DEMO_PATIENTS: readonly DemoPatient[] = [
  {
    id: 'cop-demo-untreated',
    name: { given: 'Alex', family: 'Untreated' },
    description:
      'Adult, 72 kg (weighed 4 days ago), COP newly diagnosed and untreated, SpO2 90% on room air, ' +
      'FVC 64% predicted, GGT above the upper limit: the reminder and the weight-based starting dose (55 mg).',
    expected: {
      'patient-view': ['COP-R01', 'COP-R09', 'COP-R20'],
      'order-select': ['COP-R01', 'COP-R05', 'COP-R09'],
      'order-sign': ['COP-R05', 'COP-R10', 'COP-R11', 'COP-R14'],
    },
  },
  {
    id: 'cop-demo-clarithro',
    name: { given: 'Blair', family: 'Mild' },
    description:
      'Adult, mild COP: SpO2 97% on room air 2 days ago, FVC 88% and FEV1 82% predicted, male, no macrolide ' +
      'allergy: clarithromycin is offered as an alternative (R06) next to the prednisone dose.',
    expected: {
      'patient-view': ['COP-R01', 'COP-R09', 'COP-R20'],
      'order-select': ['COP-R01', 'COP-R05', 'COP-R06', 'COP-R09'],
      'order-sign': ['COP-R05', 'COP-R10', 'COP-R11', 'COP-R14'],
    },
  },
  {
    id: 'cop-demo-stale-weight',
    name: { given: 'Casey', family: 'Stale-Weight' },
    description:
      'Adult, last weight 45 days old, no PFTs and no recent oxygenation: dose suggestion as a warning ' +
      '("confirm weight"), clarithromycin "not assessed", and a baseline-PFT reminder (R15).',
    expected: {
      'patient-view': ['COP-R01', 'COP-R09', 'COP-R15', 'COP-R20'],
      'order-select': ['COP-R01', 'COP-R05', 'COP-R09', 'COP-R15'],
      'order-sign': ['COP-R05', 'COP-R10', 'COP-R11', 'COP-R12', 'COP-R13', 'COP-R14'],
    },
  },
  {
    id: 'cop-demo-no-weight',
    name: { given: 'Dana', family: 'No-Weight' },
    description: 'Adult whose only weight is 120 days old: no dose is computed; "record weight" (R02) instead.',
    expected: {
      'patient-view': ['COP-R01', 'COP-R09', 'COP-R20'],
      'order-select': ['COP-R02', 'COP-R09'],
      'order-sign': ['COP-R02', 'COP-R10', 'COP-R11', 'COP-R14'],
    },
  },
  {
    id: 'cop-demo-teen',
    name: { given: 'Eli', family: 'Teen' },
    description: 'Age 16 with COP: adult dosing support does not apply; the paediatric card (R03) instead of a dose.',
    expected: {
      'patient-view': ['COP-R03', 'COP-R09', 'COP-R20'],
      'order-select': ['COP-R03', 'COP-R09'],
      'order-sign': ['COP-R03', 'COP-R11', 'COP-R14'],
    },
  },
  {
    id: 'cop-demo-on-steroids',
    name: { given: 'Frankie', family: 'On-Steroids' },
    description:
      'On prednisone 40 mg daily for 10 weeks with FVC unchanged, type 2 diabetes and high blood pressure: ' +
      'poor response (R16), steroid-sparing information, steroid safety; a new prednisone draft is a duplicate (R04).',
    expected: {
      'patient-view': ['COP-R16', 'COP-R04', 'COP-R09', 'COP-R18', 'COP-R10', 'COP-R11', 'COP-R12', 'COP-R13', 'COP-R20'],
      'order-select': ['COP-R04', 'COP-R05', 'COP-R09'],
      'order-sign': ['COP-R04', 'COP-R05', 'COP-R10', 'COP-R11', 'COP-R12', 'COP-R13'],
    },
  },
  {
    id: 'cop-demo-secondary',
    name: { given: 'Gale', family: 'Secondary' },
    description:
      'COP recorded alongside rheumatoid arthritis: possible secondary organizing pneumonia (R08 warning); ' +
      'no surveillance card, as a cause is already coded.',
    expected: {
      'patient-view': ['COP-R08', 'COP-R01', 'COP-R09'],
      'order-select': ['COP-R01', 'COP-R05', 'COP-R08', 'COP-R09'],
      'order-sign': ['COP-R05', 'COP-R10', 'COP-R11', 'COP-R14'],
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Builders (relative to `now`)

interface Ctx {
  now: Date;
  patientId: string;
  resources: Json[];
  seq: number;
}

const at = (ctx: Ctx, daysAgo: number): string => new Date(ctx.now.getTime() - daysAgo * DAY_MS).toISOString();

/** A birth date that makes the patient `years` old today (their birthday was 40 days ago). */
function birthDateFor(now: Date, years: number): string {
  const d = new Date(now.getTime() - 40 * DAY_MS);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.toISOString().slice(0, 10);
}

const nextId = (ctx: Ctx, kind: string): string => `${ctx.patientId}-${kind}-${++ctx.seq}`;
const subject = (ctx: Ctx): Json => ({ reference: `Patient/${ctx.patientId}` });
const quantity = (value: number, unit: string): Json => ({ value, unit, system: UCUM, code: unit });

function patient(ctx: Ctx, p: DemoPatient, age: number, gender: 'male' | 'female'): void {
  ctx.resources.push({
    resourceType: 'Patient',
    id: p.id,
    meta: { tag: [{ system: 'urn:cop-cds:demo', code: 'synthetic', display: 'Synthetic demo patient' }] },
    active: true,
    name: [{ use: 'official', family: p.name.family, given: [p.name.given] }],
    gender,
    birthDate: birthDateFor(ctx.now, age),
  });
}

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';

function condition(ctx: Ctx, codings: Json[], text: string, onsetDaysAgo: number, recordedDaysAgo: number): void {
  ctx.resources.push({
    resourceType: 'Condition',
    id: nextId(ctx, 'condition'),
    clinicalStatus: { coding: [{ system: CLINICAL, code: 'active' }] },
    verificationStatus: { coding: [{ system: VERIFICATION, code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
    code: { coding: codings, text },
    subject: subject(ctx),
    onsetDateTime: at(ctx, onsetDaysAgo),
    recordedDate: at(ctx, recordedDaysAgo),
  });
}

const cop = (ctx: Ctx, onsetDaysAgo = 70, recordedDaysAgo = 14): void =>
  condition(
    ctx,
    [
      { system: SNOMED, code: '233713004', display: 'Cryptogenic organizing pneumonia' },
      { system: ICD10CM, code: 'J84.116', display: 'Cryptogenic organizing pneumonia' },
    ],
    'Cryptogenic organizing pneumonia',
    onsetDaysAgo,
    recordedDaysAgo,
  );

function observation(ctx: Ctx, loinc: string, display: string, daysAgo: number, value: Json, extra: Json = {}): void {
  ctx.resources.push({
    resourceType: 'Observation',
    id: nextId(ctx, 'obs'),
    status: 'final',
    code: { coding: [{ system: LOINC, code: loinc, display }], text: display },
    subject: subject(ctx),
    effectiveDateTime: at(ctx, daysAgo),
    ...value,
    ...extra,
  });
}

const weight = (ctx: Ctx, kg: number, daysAgo: number): void =>
  observation(ctx, '29463-7', 'Body weight', daysAgo, { valueQuantity: quantity(kg, 'kg') });
const spo2 = (ctx: Ctx, percent: number, daysAgo: number): void =>
  observation(ctx, '59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry', daysAgo, { valueQuantity: quantity(percent, '%') });
const fvcPercent = (ctx: Ctx, percent: number, daysAgo: number): void =>
  observation(ctx, '19872-1', 'FVC % predicted', daysAgo, { valueQuantity: quantity(percent, '%') });
const fev1Percent = (ctx: Ctx, percent: number, daysAgo: number): void =>
  observation(ctx, '20152-5', 'FEV1 % predicted', daysAgo, { valueQuantity: quantity(percent, '%') });
const glucose = (ctx: Ctx, mgDl: number, daysAgo: number): void =>
  observation(ctx, '2345-7', 'Glucose [Mass/volume] in Serum or Plasma', daysAgo, { valueQuantity: quantity(mgDl, 'mg/dL') });
const hba1c = (ctx: Ctx, percent: number, daysAgo: number): void =>
  observation(ctx, '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', daysAgo, { valueQuantity: quantity(percent, '%') });
const ggt = (ctx: Ctx, value: number, high: number, daysAgo: number): void =>
  observation(ctx, '2324-2', 'Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma', daysAgo, {
    valueQuantity: quantity(value, 'U/L'),
    referenceRange: [{ high: quantity(high, 'U/L') }],
  });
const alp = (ctx: Ctx, value: number, high: number, daysAgo: number): void =>
  observation(ctx, '6768-6', 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma', daysAgo, {
    valueQuantity: quantity(value, 'U/L'),
    referenceRange: [{ high: quantity(high, 'U/L') }],
  });
const bp = (ctx: Ctx, systolic: number, diastolic: number, daysAgo: number): void =>
  observation(ctx, '85354-9', 'Blood pressure panel', daysAgo, {
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: quantity(systolic, 'mm[Hg]') },
      { code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: quantity(diastolic, 'mm[Hg]') },
    ],
  });

function medication(ctx: Ctx, rxnorm: string, display: string, doseMg: number, perDay: number, authoredDaysAgo: number, status = 'active'): void {
  ctx.resources.push({
    resourceType: 'MedicationRequest',
    id: nextId(ctx, 'medrx'),
    status,
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: rxnorm, display }], text: display },
    subject: subject(ctx),
    authoredOn: at(ctx, authoredDaysAgo),
    dosageInstruction: [
      {
        text: `${doseMg} mg ${perDay === 1 ? 'once' : `${perDay} times`} daily by mouth`,
        route: { coding: [{ system: SNOMED, code: '26643006', display: 'Oral route' }] },
        timing: { repeat: { frequency: perDay, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: quantity(doseMg, 'mg') }],
      },
    ],
  });
}

function allergy(ctx: Ctx, code: Json, text: string, recordedDaysAgo: number): void {
  ctx.resources.push({
    resourceType: 'AllergyIntolerance',
    id: nextId(ctx, 'allergy'),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
    code: { coding: [code], text },
    patient: subject(ctx),
    recordedDate: at(ctx, recordedDaysAgo),
  });
}

function encounter(ctx: Ctx, daysAgo: number): void {
  ctx.resources.push({
    resourceType: 'Encounter',
    id: nextId(ctx, 'encounter'),
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    subject: subject(ctx),
    period: { start: at(ctx, daysAgo), end: at(ctx, daysAgo) },
  });
}

/** Each patient's chart; `DEMO_PATIENTS` holds the descriptions (same order, same ids). */
const CHARTS: Record<string, (ctx: Ctx, p: DemoPatient) => void> = {
  'cop-demo-untreated': (ctx, p) => {
    patient(ctx, p, 58, 'male');
    cop(ctx, 60, 7);
    weight(ctx, 72, 4);
    spo2(ctx, 90, 1);
    fvcPercent(ctx, 64, 10);
    fev1Percent(ctx, 70, 10);
    ggt(ctx, 118, 55, 3);
    alp(ctx, 120, 130, 3);
    glucose(ctx, 96, 3);
    bp(ctx, 128, 78, 4);
    encounter(ctx, 4);
  },
  'cop-demo-clarithro': (ctx, p) => {
    patient(ctx, p, 49, 'male');
    cop(ctx, 35, 10);
    weight(ctx, 80, 6);
    spo2(ctx, 97, 2);
    fvcPercent(ctx, 88, 20);
    fev1Percent(ctx, 82, 20);
    glucose(ctx, 92, 6);
    bp(ctx, 124, 76, 6);
    allergy(ctx, { system: RXNORM, code: '7980', display: 'Penicillin G' }, 'Penicillin', 900);
    encounter(ctx, 2);
  },
  'cop-demo-stale-weight': (ctx, p) => {
    patient(ctx, p, 67, 'female');
    cop(ctx, 50, 5);
    weight(ctx, 64, 45);
  },
  'cop-demo-no-weight': (ctx, p) => {
    patient(ctx, p, 61, 'male');
    cop(ctx, 45, 6);
    weight(ctx, 77, 120);
    spo2(ctx, 95, 3);
    fvcPercent(ctx, 72, 30);
    fev1Percent(ctx, 76, 30);
    glucose(ctx, 101, 3);
    bp(ctx, 132, 84, 3);
  },
  'cop-demo-teen': (ctx, p) => {
    patient(ctx, p, 16, 'male');
    cop(ctx, 30, 8);
    weight(ctx, 58, 3);
    spo2(ctx, 96, 3);
    fvcPercent(ctx, 79, 8);
    fev1Percent(ctx, 83, 8);
    glucose(ctx, 88, 3);
    bp(ctx, 118, 72, 3);
  },
  'cop-demo-on-steroids': (ctx, p) => {
    patient(ctx, p, 63, 'male');
    cop(ctx, 110, 75);
    condition(ctx, [
      { system: SNOMED, code: '44054006', display: 'Diabetes mellitus type 2' },
      { system: ICD10CM, code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' },
    ], 'Type 2 diabetes mellitus', 2000, 2000);
    weight(ctx, 76, 5);
    spo2(ctx, 94, 2);
    fvcPercent(ctx, 61, 72); // baseline, before treatment
    fev1Percent(ctx, 68, 72);
    fvcPercent(ctx, 62, 3); // after 10 weeks: unchanged
    fev1Percent(ctx, 69, 3);
    hba1c(ctx, 7.4, 20);
    glucose(ctx, 212, 2);
    bp(ctx, 152, 94, 2);
    medication(ctx, '312615', 'predniSONE 20 MG Oral Tablet', 40, 1, 70);
    medication(ctx, '860975', 'metFORMIN hydrochloride 500 MG Oral Tablet', 500, 2, 1900);
    encounter(ctx, 2);
  },
  'cop-demo-secondary': (ctx, p) => {
    patient(ctx, p, 54, 'female');
    cop(ctx, 40, 9);
    condition(ctx, [
      { system: SNOMED, code: '69896004', display: 'Rheumatoid arthritis' },
      { system: ICD10CM, code: 'M06.9', display: 'Rheumatoid arthritis, unspecified' },
    ], 'Rheumatoid arthritis', 1500, 1400);
    weight(ctx, 66, 8);
    spo2(ctx, 93, 2);
    fvcPercent(ctx, 70, 15);
    fev1Percent(ctx, 74, 15);
    glucose(ctx, 90, 8);
    bp(ctx, 126, 80, 8);
    observation(ctx, '82810-3', 'Pregnancy status', 8, {
      valueCodeableConcept: { coding: [{ system: SNOMED, code: '60001007', display: 'Not pregnant' }] },
    });
  },
};

/** Every resource of every demo patient, dated relative to `now`. */
export function demoResources(now: Date): Resource[] {
  const all: Json[] = [];
  for (const p of DEMO_PATIENTS) {
    const ctx: Ctx = { now, patientId: p.id, resources: [], seq: 0 };
    CHARTS[p.id]!(ctx, p);
    all.push(...ctx.resources);
  }
  return all as unknown as Resource[];
}
