/**
 * Decision 10 end to end, rule by rule: the same patient gives the same findings whether its EHR
 * names each order's drug by `medicationCodeableConcept` (tidy), by a `medicationReference` to an
 * external `Medication/{id}` (resolved by the I/O layer into `ResourcePool.medications`), or by a
 * reference to a contained Medication. Every scenario is built as FHIR resources and goes through
 * extractFacts, so what is compared is what the service would put on a card.
 *
 * Drafts whose external Medication arrives as an entry of `draftOrders` are resolved into the same
 * `ResourcePool.medications` map by src/cds/medication-references.ts, so the pool form covers them.
 * A reference that nothing resolves falls back to its `display` (the drug is known, a tablet
 * strength is not) or, without a display, leaves the order unidentified.
 */
import type { Dosage, Medication, MedicationRequest, MedicationStatement, Resource } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import copOrderSelect from '../../../hooks/cop-order-select.js';
import copOrderSign from '../../../hooks/cop-order-sign.js';
import copPatientView from '../../../hooks/cop-patient-view.js';
import { context, daysAgo, NOW } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import {
  asContainedMedication, asExternalMedication, birthDateForAge, bundle, copCondition, dailyMg, dosage, emptyPool,
  medicationRequest, medicationStatement, patient, percentPredicted, pregnancyStatus, sandboxPrednisoneDraft, spo2, ucum, weight,
} from '../../../test/fixtures/fhir.js';
import { evaluateRules } from '../evaluate.js';
import { extractFacts } from '../facts.js';
import type { PatientFacts, ResourcePool } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import type { Finding, HookName, Rule } from '../rule-types.js';
import { RULES } from './index.js';
import { r01 } from './r01-initial-dose.js';
import { r04 } from './r04-existing-glucocorticoid.js';
import { r05 } from './r05-dose-check.js';
import { r06 } from './r06-clarithromycin-option.js';
import { r07 } from './r07-clarithromycin-outside-population.js';
import { r10 } from './r10-bone-protection.js';
import { r11 } from './r11-adrenal-suppression.js';
import { r12 } from './r12-glucose.js';
import { r13 } from './r13-blood-pressure.js';
import { r16 } from './r16-poor-response.js';
import { r17 } from './r17-prolonged-therapy.js';
import { r18 } from './r18-steroid-sparing.js';
import { r19 } from './r19-pregnancy-safety.js';

// ---------------------------------------------------------------------------------------------
// Scenario plumbing

type Order = MedicationRequest | MedicationStatement;

/** A patient as FHIR: the prefetch pool, the drafted orders and the hook's selections. */
interface Scenario {
  hook: HookName;
  pool: ResourcePool;
  drafts: MedicationRequest[];
  selections: string[];
}

type Form = 'tidy' | 'external' | 'contained';

const NOT_FOUND = "its medication was not found on the EHR's FHIR server";

function factsOf(s: Scenario): PatientFacts {
  const input = { patientId: 'pat-1', selections: s.selections, ...(s.drafts.length > 0 ? { draftOrders: bundle(s.drafts) } : {}) };
  return extractFacts(s.pool, input, NOW, DEFAULT_THRESHOLDS);
}

const findingOf = (rule: Rule, s: Scenario): Finding | undefined => rule.evaluate(factsOf(s), context(s.hook));

/**
 * The same patient with every medication order (active requests, statements and drafts) naming its
 * drug in `form`. External Medications go into `pool.medications` keyed by `Medication/{id}`, as the
 * I/O layer leaves them whether they came from a prefetch key, a draftOrders entry or the FHIR server.
 */
function inForm(s: Scenario, form: Form): Scenario {
  if (form === 'tidy') return s;
  const medications = new Map<string, Medication>(s.pool.medications);
  const rewrite = <T extends Order>(order: T): T => {
    if (form === 'contained') return asContainedMedication(order);
    const { order: referencing, medication } = asExternalMedication(order, { id: `med-${order.id}` });
    medications.set(`Medication/${medication.id}`, medication);
    return referencing;
  };
  return {
    ...s,
    pool: {
      ...s.pool,
      medicationRequests: s.pool.medicationRequests.map(rewrite),
      medicationStatements: s.pool.medicationStatements.map(rewrite),
      medications,
    },
    drafts: s.drafts.map(rewrite),
  };
}

/** Every order of the rewritten scenario really names its drug by reference (no vacuous rewrite). */
function expectRewritten(s: Scenario, form: Exclude<Form, 'tidy'>): void {
  const orders: Order[] = [...s.pool.medicationRequests, ...s.pool.medicationStatements, ...s.drafts];
  expect(orders.length).toBeGreaterThan(0);
  for (const o of orders) {
    expect(o.medicationCodeableConcept).toBeUndefined();
    expect(o.medicationReference?.reference).toMatch(form === 'contained' ? /^#/ : /^Medication\//);
  }
  const f = factsOf(s).medications;
  for (const m of [...f.active, ...f.drafts]) expect(m.identifiedBy).toBe(form);
}

// ---------------------------------------------------------------------------------------------
// FHIR building blocks

const PRED_10 = { rxnorm: '198145', display: 'prednisone 10 MG Oral Tablet' } as const;
const PRED_20 = { rxnorm: '312615', display: 'prednisone 20 MG Oral Tablet' } as const;
const CLARITHROMYCIN_500 = { rxnorm: '197517', display: 'clarithromycin 500 MG Oral Tablet' } as const;
const MYCOPHENOLATE_500 = { rxnorm: '200060', display: 'mycophenolate mofetil 500 MG Oral Tablet' } as const;
const AZATHIOPRINE_50 = { rxnorm: '197388', display: 'azathioprine 50 MG Oral Tablet' } as const;

const ORDERABLE_FORM = 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm';
/** `n` tablets once daily, counted in UCUM {tbl}. */
const tabletsDaily = (n: number, extra: Parameters<typeof dosage>[0] = {}): Dosage =>
  dosage({ dose: { value: n, unit: 'tablet', system: 'http://unitsofmeasure.org', code: '{tbl}' }, frequency: 1, period: 1, periodUnit: 'd', ...extra });
/** `n` TAB (v3-orderableDrugForm) once daily, as the FHIR prednisone example writes it. */
const tabDaily = (n: number): Dosage =>
  dosage({ dose: { value: n, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' }, frequency: 1, period: 1, periodUnit: 'd' });
const twiceDailyMg = (mg: number): Dosage => dosage({ dose: ucum(mg, 'mg'), frequency: 2, period: 1, periodUnit: 'd' });

/** An active prednisone order of `mg` mg/day started `days` ago (open-ended unless `boundsDays`). */
const activePrednisone = (id: string, days: number, mg: number, boundsDays?: number): MedicationRequest =>
  medicationRequest({ id, ...PRED_10, authoredOn: daysAgo(days), dosages: [dailyMg(mg, boundsDays !== undefined ? { boundsDays } : {})] });

/** A prednisone draft as order-select/order-sign carry it. */
const draftPrednisone = (id: string, dosages: Dosage[], product: { rxnorm: string; display: string } = PRED_20): MedicationRequest =>
  medicationRequest({ id, ...product, status: 'draft', dosages });

/** Something active that is no glucocorticoid, no clarithromycin and no interacting drug. */
const omeprazole = (): MedicationRequest =>
  medicationRequest({ id: 'omeprazole', rxnorm: '7646', display: 'omeprazole 20 MG Delayed Release Oral Capsule', authoredOn: daysAgo(200), dosages: [dailyMg(20)] });

interface PatientOptions {
  years?: number;
  gender?: 'male' | 'female';
  observations?: ResourcePool['observations'];
  conditions?: ResourcePool['conditions'];
  medicationRequests?: MedicationRequest[];
  medicationStatements?: MedicationStatement[];
}

/** An adult COP patient (54, male unless told) with a fresh 60 kg weight. */
function copPatient(opts: PatientOptions = {}): ResourcePool {
  return emptyPool({
    patient: patient({ birthDate: birthDateForAge(opts.years ?? 54), gender: opts.gender ?? 'male' }),
    conditions: [copCondition({ id: 'cop1', recordedDate: daysAgo(100) }), ...(opts.conditions ?? [])],
    observations: [weight(60, 'kg', 5, { id: 'w1' }), ...(opts.observations ?? [])],
    medicationRequests: opts.medicationRequests ?? [],
    medicationStatements: opts.medicationStatements ?? [],
  });
}

/**
 * The clarithromycin-eligible patient of the test matrix as FHIR: female 48, SpO2 97% on room air
 * (2 d ago), FVC 85% and FEV1 75% predicted (30 d ago), not pregnant (3 d ago), no allergy
 * recorded: every clarithromycin gate met.
 */
function clarithromycinEligible(extraActive: MedicationRequest[] = []): ResourcePool {
  return copPatient({
    years: 48,
    gender: 'female',
    observations: [
      spo2(97, 2, { id: 'spo2' }),
      percentPredicted('19872-1', 85, 30),
      percentPredicted('20152-5', 75, 30),
      pregnancyStatus('60001007', 3),
    ],
    medicationRequests: [omeprazole(), ...extraActive],
  });
}

const scenario = (hook: HookName, pool: ResourcePool, drafts: MedicationRequest[] = [], selections: string[] = []): Scenario =>
  ({ hook, pool, drafts, selections });

// ---------------------------------------------------------------------------------------------
// One entry per rule (and hook) that reads medications: each fires on tidy data.

interface RuleCase {
  rule: Rule;
  title: string;
  scenario: () => Scenario;
  /** What the tidy finding must say, so the scenario is the one meant (not just any finding). */
  expectTidy: (f: Finding) => void;
}

const CASES: RuleCase[] = [
  {
    rule: r01,
    title: 'order-select: selected prednisone draft (1 tablet of 20 mg), untreated → weight-based dose and taper',
    scenario: () => scenario('order-select', copPatient({ medicationRequests: [omeprazole()] }), [sandboxPrednisoneDraft('draft-pred')], ['MedicationRequest/draft-pred']),
    expectTidy: (f) => {
      expect(f.summary).toMatch(/^COP: suggested starting prednisone 45 mg once daily/);
      expect(f.suggestions?.map((s) => s.actions[0]?.type)).toEqual(['update', 'update']);
    },
  },
  {
    rule: r01,
    title: 'patient-view: COP with only a non-steroid active → "no treatment ordered"',
    scenario: () => scenario('patient-view', copPatient({ medicationRequests: [omeprazole()] })),
    expectTidy: (f) => expect(f.summary).toMatch(/no treatment ordered/),
  },
  {
    rule: r04,
    title: 'order-sign: prednisone drafted while prednisone 10 mg/day is active → duplicate',
    scenario: () => scenario('order-sign', copPatient({ medicationRequests: [activePrednisone('active-pred', 60, 10)] }), [draftPrednisone('draft-pred', [dailyMg(40)])]),
    expectTidy: (f) => {
      expect(f.indicator).toBe('warning');
      expect(f.summary).toBe('Second systemic glucocorticoid drafted while prednisone 10 mg/day is active.');
      expect(f.suggestions?.[0]?.actions).toEqual([expect.objectContaining({ type: 'delete', resourceId: 'MedicationRequest/draft-pred' })]);
    },
  },
  {
    rule: r04,
    title: 'order-select: a second prednisone selected while one is active (MedicationStatement) → duplicate',
    scenario: () => scenario(
      'order-select',
      copPatient({ medicationStatements: [medicationStatement({ id: 'ms-pred', rxnorm: '198145', text: 'prednisone 10 MG Oral Tablet', start: daysAgo(30), dosages: [tabletsDaily(2)] })] }),
      [draftPrednisone('draft-pred', [dailyMg(40)])],
      ['MedicationRequest/draft-pred'],
    ),
    expectTidy: (f) => expect(f.summary).toBe('Second systemic glucocorticoid drafted while prednisone 20 mg/day is active.'),
  },
  {
    rule: r04,
    title: 'patient-view: active prednisone 40 mg/day → "already on", mg/kg stated',
    scenario: () => scenario('patient-view', copPatient({ medicationRequests: [activePrednisone('active-pred', 56, 40), omeprazole()] })),
    expectTidy: (f) => expect(f.summary).toMatch(/^Patient already on prednisone 40 mg\/day \(≈0\.67 mg\/kg/),
  },
  {
    rule: r05,
    title: 'order-sign: drafted 5 × 20 mg tablets daily for 60 kg → above range and cap',
    scenario: () => scenario('order-sign', copPatient(), [draftPrednisone('draft-pred', [tabletsDaily(5)])]),
    expectTidy: (f) => {
      expect(f.indicator).toBe('warning');
      expect(f.summary).toMatch(/^Drafted dose 100 mg\/day = 1\.67 mg\/kg, above the 60 mg\/day cap/);
    },
  },
  {
    rule: r05,
    title: 'order-select: selected draft 20 mg/day for 60 kg → below range',
    scenario: () => scenario('order-select', copPatient(), [draftPrednisone('draft-pred', [dailyMg(20)])], ['MedicationRequest/draft-pred']),
    expectTidy: (f) => {
      expect(f.indicator).toBe('info');
      expect(f.detail[0]).toMatch(/below the 0\.5–1\.0 mg\/kg\/day range/);
    },
  },
  {
    rule: r06,
    title: 'order-select: every clarithromycin gate met, non-interacting drug active → clarithromycin option',
    scenario: () => scenario('order-select', clarithromycinEligible(), [sandboxPrednisoneDraft('draft-pred')], ['MedicationRequest/draft-pred']),
    expectTidy: (f) => {
      expect(f.summary).toMatch(/^Option for mild COP/);
      expect(f.suggestions?.[0]?.actions.map((a) => a.type)).toEqual(['create', 'delete']);
    },
  },
  {
    rule: r07,
    title: 'order-sign: clarithromycin drafted without oxygenation or PFT data',
    scenario: () => scenario('order-sign', copPatient(), [medicationRequest({ id: 'draft-cla', ...CLARITHROMYCIN_500, status: 'draft', dosages: [twiceDailyMg(500)] })]),
    expectTidy: (f) => expect(f.summary).toMatch(/oxygenation not assessed, lung function not assessed/),
  },
  {
    rule: r07,
    title: 'order-select: clarithromycin selected with reduced lung function → warning',
    scenario: () => scenario(
      'order-select',
      copPatient({ observations: [spo2(97, 2), percentPredicted('19872-1', 60, 30), percentPredicted('20152-5', 55, 30)] }),
      [medicationRequest({ id: 'draft-cla', ...CLARITHROMYCIN_500, status: 'draft', dosages: [twiceDailyMg(500)] })],
      ['MedicationRequest/draft-cla'],
    ),
    expectTidy: (f) => {
      expect(f.indicator).toBe('warning');
      expect(f.summary).toMatch(/reduced lung function/);
    },
  },
  {
    rule: r10,
    title: 'patient-view: prednisone 40 mg/day for 8 weeks → calcium + vitamin D and fracture-risk assessment',
    scenario: () => scenario('patient-view', copPatient({ medicationRequests: [activePrednisone('active-pred', 56, 40), omeprazole()] })),
    expectTidy: (f) => expect(f.suggestions?.map((s) => s.label)).toEqual(['Order calcium + vitamin D', 'Order bone densitometry (DXA) with VFA']),
  },
  {
    rule: r10,
    title: 'patient-view: calcium + vitamin D already active (ATC-coded statement) → only the assessment',
    scenario: () => scenario('patient-view', copPatient({
      medicationRequests: [activePrednisone('active-pred', 56, 40)],
      medicationStatements: [{
        ...medicationStatement({ id: 'ms-cad', start: daysAgo(40), dosages: [dailyMg(500)] }),
        medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: 'A11CC05' }], text: 'Calcium carbonate + colecalciferol chewable tablet' },
      }],
    })),
    expectTidy: (f) => {
      expect(f.evidence).toContainEqual(expect.objectContaining({ label: 'Calcium + vitamin D', value: 'Calcium carbonate + colecalciferol chewable tablet' }));
      expect(f.suggestions?.map((s) => s.label)).toEqual(['Order bone densitometry (DXA) with VFA']);
    },
  },
  {
    rule: r10,
    title: 'order-sign: prednisone course drafted (tablet count) → bone protection',
    scenario: () => scenario('order-sign', copPatient(), [draftPrednisone('draft-pred', [tabletsDaily(2)])]),
    expectTidy: (f) => expect(f.evidence).toContainEqual(expect.objectContaining({ label: 'Drafted', value: 'prednisone 40 mg/day', reference: 'MedicationRequest/draft-pred' })),
  },
  {
    rule: r11,
    title: 'patient-view: prednisone 40 mg/day for 8 weeks → adrenal suppression counselling',
    scenario: () => scenario('patient-view', copPatient({ medicationRequests: [activePrednisone('active-pred', 56, 40)] })),
    expectTidy: (f) => {
      expect(f.summary).toMatch(/^Steroid course meets adrenal suppression criteria/);
      expect(f.detail[0]).toMatch(/on 40 mg\/day for 8 weeks already/);
    },
  },
  {
    rule: r11,
    title: 'order-sign: drafted 45 mg/day for 4 weeks → criteria met',
    scenario: () => scenario('order-sign', copPatient(), [draftPrednisone('draft-pred', [dailyMg(45, { boundsDays: 28 })])]),
    expectTidy: (f) => expect(f.detail[0]).toMatch(/drafted 45 mg\/day for 4 weeks/),
  },
  {
    rule: r12,
    title: 'patient-view: active prednisone, no HbA1c or glucose → HbA1c suggested',
    scenario: () => scenario('patient-view', copPatient({ medicationRequests: [activePrednisone('active-pred', 56, 40)] })),
    expectTidy: (f) => expect(f.suggestions?.[0]?.label).toBe('Order HbA1c'),
  },
  {
    rule: r12,
    title: 'order-sign: prednisone drafted, no HbA1c or glucose → baseline HbA1c',
    scenario: () => scenario('order-sign', copPatient(), [draftPrednisone('draft-pred', [tabletsDaily(2)])]),
    expectTidy: (f) => expect(f.suggestions?.[0]?.label).toBe('Order baseline HbA1c'),
  },
  {
    rule: r13,
    title: 'patient-view: active prednisone, no blood pressure in 30 days → measure BP',
    scenario: () => scenario('patient-view', copPatient({ medicationRequests: [activePrednisone('active-pred', 56, 40)] })),
    expectTidy: (f) => expect(f.summary).toBe('No blood pressure in the last 30 days: measure BP during glucocorticoid therapy.'),
  },
  {
    rule: r13,
    title: 'order-sign: prednisone drafted, no blood pressure → measure BP before therapy',
    scenario: () => scenario('order-sign', copPatient(), [draftPrednisone('draft-pred', [dailyMg(40)])]),
    expectTidy: (f) => expect(f.summary).toBe('No blood pressure in the last 30 days: measure BP before glucocorticoid therapy.'),
  },
  {
    rule: r16,
    title: 'patient-view: 8 weeks from 40 mg/day (0.67 mg/kg), FVC 70% → 71% → limited response',
    scenario: () => scenario('patient-view', copPatient({
      medicationRequests: [activePrednisone('active-pred', 56, 40)],
      observations: [percentPredicted('19872-1', 70, 60), percentPredicted('19872-1', 71, 3)],
    })),
    expectTidy: (f) => {
      expect(f.indicator).toBe('warning');
      expect(f.detail[1]).toMatch(/^Starting dose 40 mg\/day prednisone-equivalent .* = 0\.67 mg\/kg/);
    },
  },
  {
    rule: r17,
    title: 'order-sign: renewal drafted after 54 weeks on prednisone → prolonged therapy',
    scenario: () => scenario(
      'order-sign',
      copPatient({ medicationRequests: [activePrednisone('active-pred', 380, 10)] }),
      [draftPrednisone('draft-pred', [dailyMg(10, { boundsDays: 28 })], PRED_10)],
    ),
    expectTidy: (f) => {
      expect(f.detail[0]).toBe('On glucocorticoids for 54 weeks: more than 52 weeks.');
      expect(f.detail[1]).toMatch(/^Lazor 2000 \(48 patients\)/);
    },
  },
  {
    rule: r17,
    title: 'order-sign: a first course drafted for 400 days → planned beyond 12 months',
    scenario: () => scenario('order-sign', copPatient(), [draftPrednisone('draft-pred', [dailyMg(40, { boundsDays: 400 })])]),
    expectTidy: (f) => expect(f.detail[0]).toMatch(/is planned to end on .* more than 12 months after it starts/),
  },
  {
    rule: r17,
    title: 'patient-view: prednisone statement for 54 weeks → prolonged therapy',
    scenario: () => scenario('patient-view', copPatient({ medicationStatements: [medicationStatement({ id: 'ms-pred', rxnorm: '198145', start: daysAgo(380), dosages: [dailyMg(10)] })] })),
    expectTidy: (f) => expect(f.detail[0]).toMatch(/^On glucocorticoids for 54 weeks/),
  },
  {
    rule: r18,
    title: 'patient-view: prednisone 20 mg/day (statement) for 14 weeks → steroid-sparing agents',
    scenario: () => scenario('patient-view', copPatient({ medicationStatements: [medicationStatement({ id: 'ms-pred', rxnorm: '312615', text: 'prednisone 20 MG Oral Tablet', start: daysAgo(100), dosages: [tabletsDaily(1)] })] })),
    expectTidy: (f) => expect(f.detail[0]).toMatch(/now at 20 mg\/day prednisone-equivalent/),
  },
  {
    rule: r18,
    title: 'patient-view: limited response (COP-R16 condition) on an active prednisone order',
    scenario: () => scenario('patient-view', copPatient({
      medicationRequests: [activePrednisone('active-pred', 56, 40)],
      observations: [percentPredicted('19872-1', 70, 60), percentPredicted('19872-1', 71, 3)],
    })),
    expectTidy: (f) => expect(f.detail[0]).toMatch(/limited response to glucocorticoids \(see COP-R16\)/),
  },
  {
    rule: r19,
    title: 'order-sign: mycophenolate drafted, pregnancy status unknown → warning and pregnancy test',
    scenario: () => scenario('order-sign', copPatient({ years: 30, gender: 'female' }), [medicationRequest({ id: 'draft-mmf', ...MYCOPHENOLATE_500, status: 'draft', dosages: [twiceDailyMg(1000)] })]),
    expectTidy: (f) => {
      expect(f.indicator).toBe('warning');
      expect(f.summary).toMatch(/^Mycophenolate drafted; pregnancy status unknown/);
      expect(f.suggestions?.[0]?.label).toBe('Order pregnancy test');
    },
  },
  {
    rule: r19,
    title: 'order-sign: pregnant, clarithromycin and azathioprine drafted beside prednisone',
    scenario: () => scenario(
      'order-sign',
      copPatient({ years: 30, gender: 'female', observations: [pregnancyStatus('77386006', 3)] }),
      [
        draftPrednisone('draft-pred', [dailyMg(30)]),
        medicationRequest({ id: 'draft-cla', ...CLARITHROMYCIN_500, status: 'draft', dosages: [twiceDailyMg(500)] }),
        medicationRequest({ id: 'draft-aza', ...AZATHIOPRINE_50, status: 'draft', dosages: [tabletsDaily(2)] }),
      ],
    ),
    expectTidy: (f) => {
      expect(f.indicator).toBe('warning');
      expect(f.summary).toMatch(/^Clarithromycin drafted for a pregnant patient.*Also: Azathioprine\./);
    },
  },
  {
    rule: r19,
    title: 'order-select: rituximab selected (RxNorm ingredient code), pregnancy status unknown',
    scenario: () => scenario(
      'order-select',
      copPatient({ years: 30, gender: 'female' }),
      [medicationRequest({ id: 'draft-rtx', rxnorm: '121191', display: 'rituximab', status: 'draft', dosages: [dosage({ dose: ucum(1000, 'mg'), frequency: 1, period: 2, periodUnit: 'wk' })] })],
      ['MedicationRequest/draft-rtx'],
    ),
    expectTidy: (f) => expect(f.summary).toMatch(/^Rituximab drafted; pregnancy status unknown/),
  },
];

/** The rules of the brief that read medications: each has at least one case above. */
const MEDICATION_RULES = ['COP-R01', 'COP-R04', 'COP-R05', 'COP-R06', 'COP-R07', 'COP-R10', 'COP-R11', 'COP-R12', 'COP-R13', 'COP-R16', 'COP-R17', 'COP-R18', 'COP-R19'];

const SERVICE_RULES: Record<HookName, Rule[]> = Object.fromEntries(
  [copOrderSelect, copOrderSign, copPatientView].map((s) => [s.hook, s.rules.map((id) => RULES[id]).filter((r): r is Rule => r !== undefined)]),
) as Record<HookName, Rule[]>;

describe('the case table', () => {
  it('covers every rule that reads medications', () => {
    expect([...new Set(CASES.map((c) => c.rule.id))].sort()).toEqual([...MEDICATION_RULES].sort());
  });
});

describe.each(CASES.map((c) => ({ ...c, id: c.rule.id })))('$id $title', ({ rule, scenario: build, expectTidy }) => {
  const tidy = build();
  const tidyFinding = findingOf(rule, tidy);

  it('fires on tidy data (medicationCodeableConcept)', () => {
    expect(tidyFinding).toBeDefined();
    expectWellFormed(tidyFinding);
    expectTidy(tidyFinding);
    for (const m of [...factsOf(tidy).medications.active, ...factsOf(tidy).medications.drafts]) expect(m.identifiedBy).toBe('code');
  });

  it.each(['external', 'contained'] as const)('gives the same finding when every order names a %s Medication', (form) => {
    expect(tidyFinding).toBeDefined();
    const rewritten = inForm(tidy, form);
    expectRewritten(rewritten, form);
    expect(findingOf(rule, rewritten)).toEqual(tidyFinding);
  });

  it.each(['external', 'contained'] as const)('the whole %s-form hook gives the same findings as the tidy one', (form) => {
    const ctx = context(tidy.hook);
    const rules = SERVICE_RULES[tidy.hook];
    expect(evaluateRules(rules, factsOf(inForm(tidy, form)), ctx)).toEqual(evaluateRules(rules, factsOf(tidy), ctx));
  });
});

// ---------------------------------------------------------------------------------------------
// A reference nothing resolves, with only a display: the drug is known, a tablet strength is not

/** `order` naming its drug by an unresolvable `Medication/{id}` with only `display`. */
function displayOnly<T extends Order>(order: T, display: string): { order: T; id: string } {
  const id = `gone-${order.id}`;
  return { order: asExternalMedication(order, { id, display }).order, id };
}

const unresolved = (...ids: string[]): ReadonlyMap<string, string> => new Map(ids.map((id) => [`Medication/${id}`, NOT_FOUND]));

describe('unresolvable reference with only a display', () => {
  it('order-select: the selected "predniSONE 20 mg tablet" draft still gets the dose suggestion; its tablet dose is unknown, not guessed', () => {
    const tidy = scenario('order-select', copPatient(), [sandboxPrednisoneDraft('draft-pred')], ['MedicationRequest/draft-pred']);
    const { order, id } = displayOnly(sandboxPrednisoneDraft('draft-pred'), 'predniSONE 20 mg tablet');
    const s = scenario('order-select', { ...copPatient(), unresolvedMedications: unresolved(id) }, [order], ['MedicationRequest/draft-pred']);

    const draft = factsOf(s).medications.drafts[0];
    expect(draft).toMatchObject({ identifiedBy: 'display', glucocorticoid: 'prednisone', name: 'predniSONE 20 mg tablet' });
    expect(draft?.classes).toContain('systemic-glucocorticoid');
    expect(draft?.dailyDose).toBeUndefined();

    const finding = findingOf(r01, s);
    const tidyFinding = findingOf(r01, tidy);
    expectWellFormed(finding);
    expect(tidyFinding).toBeDefined();
    // The advice rests on the weight, not on the draft's dose: the same dose and the same rewrite.
    expect(finding.summary).toBe(tidyFinding?.summary);
    expect(finding.suggestions).toEqual(tidyFinding?.suggestions);
    expect(finding.evidence.find((e) => e.label === 'Selected order')?.value)
      .toBe('predniSONE 20 mg tablet, dose could not be derived (dose is 1 tablet(s) but the tablet strength is unknown)');
    // COP-R05: the tidy draft's 1 × 20 mg tablet is 20 mg/day (below range). By display alone the
    // strength is unknown, so 1 tablet is not turned into 20 mg: at order-select an unknown dose
    // means "not entered yet" and the rule waits (it is not read as within range either).
    expect(findingOf(r05, tidy)?.summary).toBe('Drafted dose 20 mg/day = 0.33 mg/kg; typical COP starting range 0.5–1.0 mg/kg/day');
    expect(findingOf(r05, s)).toBeUndefined();
  });

  it('order-sign: an active "predniSONE 10 mg tablet" (4 TAB daily) is still seen by the duplicate check; its dose is unknown', () => {
    const active = displayOnly(medicationRequest({ id: 'active-pred', ...PRED_10, authoredOn: daysAgo(60), dosages: [tabDaily(4)] }), 'predniSONE 10 mg tablet');
    const draft = displayOnly(draftPrednisone('draft-pred', [tabletsDaily(3)]), 'predniSONE 20 mg tablet');
    const s = scenario('order-sign', { ...copPatient({ medicationRequests: [active.order] }), unresolvedMedications: unresolved(active.id, draft.id) }, [draft.order]);

    const r04Finding = findingOf(r04, s);
    expectWellFormed(r04Finding);
    expect(r04Finding.indicator).toBe('warning');
    expect(r04Finding.summary).toBe('Second systemic glucocorticoid drafted while prednisone (dose unknown) is active.');
    expect(r04Finding.detail[1]).toMatch(/^Combined dose not computed: at least one dose is unknown/);
    expect(r04Finding.evidence.find((e) => e.label === 'Active glucocorticoid')?.value)
      .toBe('predniSONE 10 mg tablet, dose could not be derived (dose is 4 tablet(s) but the tablet strength is unknown)');
    expect(r04Finding.suggestions?.[0]?.actions[0]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/draft-pred' });

    // COP-R05 says the drafted dose was not checked, rather than computing 3 × an assumed strength.
    const r05Finding = findingOf(r05, s);
    expectWellFormed(r05Finding);
    expect(r05Finding.summary).toMatch(/^Drafted glucocorticoid dose could not be derived/);
    expect(r05Finding.detail[0]).toBe('- predniSONE 20 mg tablet: dose unknown: daily dose could not be derived (dose is 3 tablet(s) but the tablet strength is unknown); not checked against 0.5–1.0 mg/kg/day.');
  });

  it('order-sign: a display-only draft dosed in mg keeps its dose (only the tablet strength is unknown)', () => {
    const draft = displayOnly(draftPrednisone('draft-pred', [dailyMg(100)]), 'predniSONE 20 mg tablet');
    const s = scenario('order-sign', { ...copPatient(), unresolvedMedications: unresolved(draft.id) }, [draft.order]);
    const finding = findingOf(r05, s);
    expectWellFormed(finding);
    expect(finding.summary).toMatch(/^Drafted dose 100 mg\/day = 1\.67 mg\/kg/);
  });

  it('patient-view: an active "predniSONE 10 mg tablet" (4 TAB daily) counts as an active course; its dose is reported unknown', () => {
    const active = displayOnly(medicationRequest({ id: 'active-pred', ...PRED_10, authoredOn: daysAgo(56), dosages: [tabDaily(4)] }), 'predniSONE 10 mg tablet');
    const s = scenario('patient-view', { ...copPatient({ medicationRequests: [active.order] }), unresolvedMedications: unresolved(active.id) });

    const r04Finding = findingOf(r04, s);
    expectWellFormed(r04Finding);
    expect(r04Finding.summary).toBe('Patient already on prednisone (dose unknown). Adjust the existing order rather than adding one.');
    expect(r04Finding.detail[0]).toBe('Total daily dose unknown: a dose on an active order could not be read.');
    expect(r04Finding.evidence).toContainEqual(expect.objectContaining({
      label: 'Active glucocorticoid',
      value: 'predniSONE 10 mg tablet, dose could not be derived (dose is 4 tablet(s) but the tablet strength is unknown)',
      date: daysAgo(56),
    }));

    // Treated, so no untreated reminder; the adrenal criteria are not judged on a guessed dose.
    expect(findingOf(r01, s)).toBeUndefined();
    const r11Finding = findingOf(r11, s);
    expectWellFormed(r11Finding);
    expect(r11Finding.summary).toBe('Adrenal suppression criteria not assessed: the active glucocorticoid dose could not be derived.');
    // Bone protection rests on the COP course, which qualifies whatever its dose.
    const r10Finding = findingOf(r10, s);
    expectWellFormed(r10Finding);
    expect(r10Finding.detail[0]).toMatch(/^ACR 2022: > 3 months at ≥ 2.5 mg\/day \(COP: 6–12 months\)/);
    expect(r10Finding.evidence).toContainEqual(expect.objectContaining({ label: 'On', value: 'prednisone dose unknown', date: daysAgo(56) }));
  });
});

// ---------------------------------------------------------------------------------------------
// Unidentified orders: `Medication/missing`, not found, no display

/** An active order whose medication the EHR's FHIR server did not have, and which names nothing itself. */
function unidentifiedActive(): MedicationRequest {
  const { order } = asExternalMedication(
    medicationRequest({ id: 'mystery', rxnorm: '198145', authoredOn: daysAgo(10), dosages: [{ ...tabDaily(4), text: 'Take 4 tablets daily' }] }),
    { id: 'missing' },
  );
  return order;
}

const withUnidentified = (pool: ResourcePool): ResourcePool => ({
  ...pool,
  medicationRequests: [...pool.medicationRequests, unidentifiedActive()],
  unresolvedMedications: new Map([['Medication/missing', NOT_FOUND]]),
});

describe('an unidentified active order (Medication/missing, not found, no display)', () => {
  it('is unidentified in the facts, with the reason', () => {
    const s = scenario('patient-view', withUnidentified(copPatient()));
    expect(unidentifiedActive().medicationReference).toEqual({ reference: 'Medication/missing' });
    expect(s.pool.medications.has('Medication/missing')).toBe(false);
    expect(factsOf(s).medications.active).toEqual([
      expect.objectContaining({ reference: 'MedicationRequest/mystery', identifiedBy: 'none', unidentifiedReason: NOT_FOUND, classes: [], instructions: 'Take 4 tablets daily' }),
    ]);
  });

  it('order-select with a selected prednisone draft: COP-R01 offers no dose and names the order and why', () => {
    const s = scenario('order-select', withUnidentified(copPatient()), [sandboxPrednisoneDraft('draft-pred')], ['MedicationRequest/draft-pred']);
    const finding = findingOf(r01, s);
    expectWellFormed(finding);
    expect(finding.suggestions).toBeUndefined();
    expect(finding.summary).toBe('No COP starting dose suggested: an active medication order could not be identified. Check the medication list.');
    expect(finding.detail[0]).toBe(`The active order could not be identified: ${NOT_FOUND}.`);
    expect(finding.evidence).toContainEqual(expect.objectContaining({ label: 'Unidentified order', value: '"Take 4 tablets daily"', date: daysAgo(10) }));
  });

  it('order-select: COP-R06 fires with every gate met, and gives nothing once the unidentified order is there', () => {
    const eligible = scenario('order-select', clarithromycinEligible(), [sandboxPrednisoneDraft('draft-pred')], ['MedicationRequest/draft-pred']);
    expect(findingOf(r06, eligible)).toBeDefined();
    const unknownInteraction = { ...eligible, pool: withUnidentified(eligible.pool) };
    expect(findingOf(r06, unknownInteraction)).toBeUndefined();
    // COP-R01 carries why: the interacting-drug gate is unknown, not failed.
    expect(factsOf(unknownInteraction).medications.active.map((m) => m.identifiedBy)).toEqual(['code', 'none']);
  });

  it('patient-view with no glucocorticoid: COP-R01 says treatment is unknown, not "no treatment ordered"', () => {
    const s = scenario('patient-view', withUnidentified(copPatient()));
    const finding = findingOf(r01, s);
    expectWellFormed(finding);
    expect(finding.summary).toMatch(/treatment unknown/);
    expect(finding.summary).not.toMatch(/no treatment ordered/);
    expect(finding.detail.join('\n')).toContain(NOT_FOUND);
    expect(finding.suggestions).toBeUndefined();
  });

  it('order-sign with a prednisone draft: COP-R04 says the duplicate check is not possible', () => {
    const s = scenario('order-sign', withUnidentified(copPatient()), [draftPrednisone('draft-pred', [dailyMg(40)])]);
    const finding = findingOf(r04, s);
    expectWellFormed(finding);
    expect(finding.indicator).toBe('info');
    expect(finding.summary).toMatch(/^Duplicate check not possible: an active order could not be identified/);
    expect(finding.detail[0]).toBe(`An active order could not be identified: ${NOT_FOUND}.`);
    expect(finding.evidence).toContainEqual(expect.objectContaining({ label: 'Unidentified active order', value: '"Take 4 tablets daily"', date: daysAgo(10) }));
  });
});

// ---------------------------------------------------------------------------------------------
// An order form not filled in yet: a draft that names no drug (the CDS Hooks Sandbox before a
// medication is chosen sends `{ status: 'draft', subject }` and nothing else).

const unfilledDraft = (id: string, extra: Partial<MedicationRequest> = {}): MedicationRequest => ({
  resourceType: 'MedicationRequest', id, status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-1' }, ...extra,
});

describe('a draft that names no drug yet', () => {
  const forms: [string, Partial<MedicationRequest>][] = [
    ['no medication element', {}],
    ['an empty medicationCodeableConcept', { medicationCodeableConcept: {} }],
    ['a concept with an empty coding and blank text', { medicationCodeableConcept: { text: ' ', coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm' }] } }],
    ['an empty medicationReference', { medicationReference: {} }],
  ];

  it.each(forms)('with %s: no draft in the facts, and no card on order-select or order-sign', (_form, extra) => {
    for (const hook of ['order-select', 'order-sign'] as const) {
      const s = scenario(hook, copPatient(), [unfilledDraft('blank', extra)], ['MedicationRequest/blank']);
      expect(factsOf(s).medications.drafts).toEqual([]);
      expect(evaluateRules(SERVICE_RULES[hook], factsOf(s), context(hook)).filter((f) => /could not be identified/.test(f.summary))).toEqual([]);
      expect(findingOf(r01, s)).toBeUndefined();
    }
  });

  it('a draft whose referenced medication cannot be read names something: COP-R01 still says it could not be identified', () => {
    const s = scenario('order-select', copPatient(), [unfilledDraft('ref', { medicationReference: { reference: 'Medication/gone' } })], ['MedicationRequest/ref']);
    expect(factsOf(s).medications.drafts).toEqual([expect.objectContaining({ identifiedBy: 'none', selected: true })]);
    expect(findingOf(r01, s)?.summary).toMatch(/could not be identified/);
  });
});
