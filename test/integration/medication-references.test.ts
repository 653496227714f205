/**
 * Decision 10 end to end: the same patient sent as real EHRs send it (an order naming its drug by
 * `Medication/{id}` that only the FHIR server holds, by a Medication entry of `draftOrders`, by a
 * contained product in tablets, or by a reference's display alone) must give the same cards as
 * when sent in tidy form, on every hook, whether the EHR sends a prefetch or the service fetches
 * everything from the FHIR server (medplum's router on 127.0.0.1). An order nothing identifies is
 * unidentified: no starting dose, and the cards name it.
 */
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../fixtures/config.js';
import { daysAgo, NOW } from '../fixtures/facts.js';
import { startFhirServer, type FhirTestServer } from '../fixtures/fhir-server.js';
import {
  basePrefetch, copCondition, medicationRequest, orderSelectRequest, orderSignRequest, patient, PATIENT_ID,
  sandboxPrednisoneDraft, searchset, weight,
} from '../fixtures/requests.js';
import { cardFor, expectWellFormed, ruleIds, type WireCard } from '../http/cards-contract.js';
import { withoutUuids } from './harness.js';

type Json = Record<string, unknown>;
type Hook = 'patient-view' | 'order-select' | 'order-sign';
type Answers = Record<Hook, { cards: WireCard[] }>;

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const TAB = { unit: 'TAB', system: 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm', code: 'TAB' };
const mg = (value: number): Json => ({ value, unit: 'mg', system: UCUM, code: 'mg' });

const PATH: Record<Hook, string> = {
  'patient-view': '/cds-services/cop-patient-view',
  'order-select': '/cds-services/cop-order-select',
  'order-sign': '/cds-services/cop-order-sign',
};

// ---------------------------------------------------------------------------------------------
// The chart: a COP patient, 60 kg, on prednisone 40 mg/day for 60 days, in several EHR shapes

const PRED_CONCEPT = { coding: [{ system: RXNORM, code: '312615', display: 'prednisone 20 MG Oral Tablet' }], text: 'prednisone 20 MG Oral Tablet' };
const tidyActive = (): Json =>
  medicationRequest('pred-active-1', '312615', 'prednisone 20 MG Oral Tablet', 'active', mg(40), { authoredOn: daysAgo(60) });

/** The tidy order with its drug moved into `Medication/{id}` (and an optional display on the reference). */
function referencing(order: Json, medicationId: string, display?: string): Json {
  const { medicationCodeableConcept: _moved, ...rest } = order;
  return { ...rest, medicationReference: { reference: `Medication/${medicationId}`, ...(display ? { display } : {}) } };
}
const medicationResource = (id: string, code: Json = PRED_CONCEPT, extra: Json = {}): Json => ({ resourceType: 'Medication', id, code, ...extra });

interface Chart {
  /** Current orders as the EHR sends them (prefetch `meds`, and on the FHIR server). */
  meds: Json[];
  /** Resources only the FHIR server holds (the Medications the orders reference). */
  serverOnly?: Json[];
  /** draftOrders entries for order-select / order-sign (resources, maybe with Medications beside them). */
  drafts?: Json[];
}

const tidyChart: Chart = { meds: [tidyActive()] };

function prefetchFor(hook: Hook, chart: Chart): Json {
  const prefetch: Json = { ...basePrefetch(), meds: searchset(...chart.meds) };
  if (hook === 'patient-view') delete prefetch.allergies;
  return prefetch;
}

function requestFor(hook: Hook, chart: Chart, mode: 'prefetch' | 'fallback', fhirServer: string): Json {
  const drafts = chart.drafts ?? [sandboxPrednisoneDraft()];
  const orders = drafts.filter((d) => d.resourceType === 'MedicationRequest');
  let body: Json;
  if (hook === 'patient-view') {
    body = { hook, hookInstance: '2b6f1d7e-5c3a-4f0e-9d8b-00000000a001', context: { userId: 'Practitioner/COREPRACTITIONER1', patientId: PATIENT_ID } };
  } else {
    body = hook === 'order-select' ? orderSelectRequest({ drafts: orders }) : orderSignRequest({ drafts: orders });
    const context = body.context as Json;
    context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) };
  }
  body.fhirServer = fhirServer;
  if (mode === 'prefetch') body.prefetch = prefetchFor(hook, chart);
  else delete body.prefetch;
  return body;
}

/** One app (its own store: patient-view remembers what it showed) and one FHIR server per chart. */
async function answersFor(chart: Chart, mode: 'prefetch' | 'fallback'): Promise<{ answers: Answers; server: FhirTestServer }> {
  const server = await startFhirServer();
  await server.seed(patient(), copCondition(), weight(60), ...chart.meds, ...(chart.serverOnly ?? []));
  const config = testConfig({ publicBaseUrl: 'https://cds.example.test' });
  const app: FastifyInstance = await buildApp({ ...config, fhir: { ...config.fhir, allowHttp: [server.base] } }, { clock: () => NOW });
  await app.ready();
  try {
    const answers = {} as Answers;
    for (const hook of ['patient-view', 'order-select', 'order-sign'] as const) {
      const res = await supertest(app.server).post(PATH[hook]).send(requestFor(hook, chart, mode, server.base));
      expect(res.status, `${hook} ${mode}: ${JSON.stringify(res.body)}`).toBe(200);
      expectWellFormed(res.body);
      answers[hook] = res.body;
    }
    return { answers, server };
  } finally {
    await app.close();
    await server.close();
  }
}

const MODES = ['prefetch', 'fallback'] as const;

// ---------------------------------------------------------------------------------------------

describe('EHR shapes give the same cards as the tidy chart, on every hook, prefetch and fallback', () => {
  let tidy: Answers;
  beforeAll(async () => {
    tidy = (await answersFor(tidyChart, 'prefetch')).answers;
  });

  it('the tidy chart: R04 sees prednisone 40 mg/day on every hook, and no starting dose is offered', () => {
    expect(cardFor(tidy['patient-view'], 'COP-R04').summary).toMatch(/already on prednisone 40 mg\/day/);
    expect(cardFor(tidy['order-select'], 'COP-R04').indicator).toBe('warning');
    expect(ruleIds(tidy['order-select'])).not.toContain('COP-R01');
    expect(cardFor(tidy['order-sign'], 'COP-R04').summary).toMatch(/while prednisone 40 mg\/day is active/);
  });

  const shapes: [string, Chart, (paths: string[], mode: string) => void][] = [
    [
      'active prednisone named only by Medication/{id}, which only the FHIR server holds',
      { meds: [referencing(tidyActive(), 'pred20')], serverOnly: [medicationResource('pred20')] },
      (paths) => expect(paths.filter((p) => p === 'Medication/pred20')).toHaveLength(3), // once per hook call
    ],
    [
      'the drafted order names its drug by a Medication entry of draftOrders',
      {
        meds: [tidyActive()],
        drafts: [referencing(sandboxPrednisoneDraft(), 'draft-med'), medicationResource('draft-med')],
      },
      (paths) => expect(paths.filter((p) => p.startsWith('Medication/'))).toEqual([]), // found in the request: no read
    ],
    [
      'the drafted order names a Medication only the FHIR server holds',
      { meds: [tidyActive()], drafts: [referencing(sandboxPrednisoneDraft(), 'pred20')], serverOnly: [medicationResource('pred20')] },
      (paths) => expect(paths.filter((p) => p === 'Medication/pred20')).toHaveLength(2), // order-select and order-sign
    ],
    [
      'active prednisone as a contained Medication',
      { meds: [{ ...referencing(tidyActive(), 'x'), medicationReference: { reference: '#m1' }, contained: [medicationResource('m1')] }] },
      (paths) => expect(paths.filter((p) => p.startsWith('Medication/'))).toEqual([]),
    ],
  ];

  describe.each(shapes)('%s', (_name, chart, checkReads) => {
    it.each(MODES)('%s: the same cards as the tidy chart', async (mode) => {
      const { answers, server } = await answersFor(chart, mode);
      for (const hook of ['patient-view', 'order-select', 'order-sign'] as const) {
        expect(withoutUuids(answers[hook]), `${hook} (${mode})`).toEqual(withoutUuids(tidy[hook]));
      }
      checkReads(server.paths(), mode);
    });
  });
});

describe('active prednisone named only by the reference display', () => {
  const display = 'prednisone 20 MG Oral Tablet';
  const chart: Chart = { meds: [referencing(tidyActive(), 'not-on-server', display)] };

  it.each(MODES)('%s: read as prednisone by name: no second starting course, duplicate warned', async (mode) => {
    const { answers } = await answersFor(chart, mode);
    expect(cardFor(answers['patient-view'], 'COP-R04').summary).toMatch(/already on prednisone 40 mg\/day/);
    expect(ruleIds(answers['patient-view'])).not.toContain('COP-R01');
    expect(ruleIds(answers['order-select'])).not.toContain('COP-R01');
    expect(cardFor(answers['order-select'], 'COP-R04').indicator).toBe('warning');
    expect(cardFor(answers['order-sign'], 'COP-R04').summary).toMatch(/while prednisone 40 mg\/day is active/);
  });
});

describe('an active order nothing identifies', () => {
  const chart: Chart = {
    meds: [{ ...referencing(tidyActive(), 'gone'), dosageInstruction: [{ text: 'Take 2 tablets daily', timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 2, ...TAB } }] }] }],
  };

  it.each(MODES)('%s: no starting dose, and every hook names the order it could not identify', async (mode) => {
    const { answers, server } = await answersFor(chart, mode);
    const view = cardFor(answers['patient-view'], 'COP-R01');
    expect(view.summary).toMatch(/treatment unknown/);
    expect(view.summary).not.toMatch(/no treatment ordered/);
    expect(view.detail).toMatch(/"Take 2 tablets daily"/);
    expect(view.detail).toMatch(/not found on the EHR's FHIR server/);

    const select = cardFor(answers['order-select'], 'COP-R01');
    expect(select.summary).toMatch(/^No COP starting dose suggested: an active medication order could not be identified/);
    expect(select.suggestions).toBeUndefined();
    expect(JSON.stringify(answers['order-select'])).not.toMatch(/45 mg/);
    // The clarithromycin option cannot be offered while an unidentified order may interact.
    expect(ruleIds(answers['order-select'])).not.toContain('COP-R06');

    expect(cardFor(answers['order-sign'], 'COP-R04').summary).toMatch(/^Duplicate check not possible/);
    // It was looked for on the FHIR server, once per hook call, and not anywhere else.
    expect(server.paths().filter((p) => p.startsWith('Medication/'))).toEqual(['Medication/gone', 'Medication/gone', 'Medication/gone']);
  });
});

describe('the FHIR specification prednisone example shape (contained SNOMED CT product, dose in TAB)', () => {
  const medrx0303 = (): Json => ({
    resourceType: 'MedicationRequest', id: 'medrx0303', status: 'active', intent: 'order',
    contained: [{ resourceType: 'Medication', id: 'med0311', code: { coding: [{ system: SNOMED, code: '373994007', display: 'Prednisone 5mg tablet (Product)' }] } }],
    medicationReference: { reference: '#med0311' },
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn: daysAgo(30),
    dosageInstruction: [{ sequence: 1, text: 'Take 4 tablets daily', timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, route: { coding: [{ system: SNOMED, code: '26643006', display: 'Oral Route' }] }, doseAndRate: [{ doseQuantity: { value: 4, ...TAB } }] }],
  });

  it.each(MODES)('%s: read as prednisone 5 mg per tablet: 4 tablets = 20 mg/day', async (mode) => {
    const { answers } = await answersFor({ meds: [medrx0303()] }, mode);
    expect(cardFor(answers['patient-view'], 'COP-R04').summary).toMatch(/already on prednisone 20 mg\/day \(≈0\.33 mg\/kg/);
    expect(cardFor(answers['patient-view'], 'COP-R04').detail).toMatch(/4 x 5 mg tablets once daily = 20 mg\/day/);
    expect(ruleIds(answers['order-select'])).not.toContain('COP-R01');
  });
});

describe('external references the service must not follow', () => {
  it('a Medication on another server is never called: the order falls back to its display, or is unidentified', async () => {
    const other = await startFhirServer();
    try {
      await other.seed(medicationResource('pred20'));
      const chart: Chart = {
        meds: [{ ...tidyActive(), medicationCodeableConcept: undefined, medicationReference: { reference: `${other.base}/Medication/pred20` } }],
      };
      const { answers } = await answersFor(chart, 'prefetch');
      expect(other.requests).toEqual([]);
      expect(cardFor(answers['order-select'], 'COP-R01').detail).toMatch(/on another server/);
    } finally {
      await other.close();
    }
  });
});

