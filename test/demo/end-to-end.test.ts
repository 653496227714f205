/**
 * End to end, as the CDS Hooks Sandbox runs the demo: the app listens on 127.0.0.1 (an ephemeral
 * port), each hook is called WITHOUT prefetch and with `fhirServer` = the app's own /demo/fhir, so
 * the service fetches the whole chart from its embedded demo endpoint, allowed automatically
 * (no CDS_FHIR_ALLOW_HTTP). Each demo patient gets exactly the rule ids its description promises
 * (src/demo/patients.ts, README "Demo in a minute").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEMO_PATIENTS, type DemoHook } from '../../src/demo/patients.js';
import { testConfig } from '../fixtures/config.js';
import { expectWellFormed, type WireCard } from '../http/cards-contract.js';
import { listenDemoApp, sandboxCall, SERVICE_FOR, type ListeningApp } from './harness.js';

const HOOKS: DemoHook[] = ['patient-view', 'order-select', 'order-sign'];

let demo: ListeningApp;
beforeAll(async () => {
  demo = await listenDemoApp();
});
afterAll(async () => {
  await demo?.app.close();
});

async function invoke(hook: DemoHook, patientId: string, fhirServer = demo.demoBase): Promise<{ status: number; body: any }> {
  const res = await fetch(`${demo.origin}/cds-services/${SERVICE_FOR[hook]}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sandboxCall(hook, patientId, fhirServer)),
  });
  return { status: res.status, body: await res.json() };
}

async function cards(hook: DemoHook, patientId: string): Promise<WireCard[]> {
  const { status, body } = await invoke(hook, patientId);
  expect(status, JSON.stringify(body)).toBe(200);
  expectWellFormed(body);
  return body.cards as WireCard[];
}

const card = (list: WireCard[], rule: string): WireCard => {
  const found = list.find((c) => c.source.topic.code === rule);
  if (!found) throw new Error(`no ${rule} card`);
  return found;
};

describe.each(DEMO_PATIENTS.map((p) => [p.id, p] as const))('%s', (_id, patient) => {
  it.each(HOOKS)(`%s shows the cards described (${patient.description.slice(0, 60)}…)`, async (hook) => {
    const list = await cards(hook, patient.id);
    expect(list.map((c) => c.source.topic.code)).toEqual(patient.expected[hook]);
  });
});

describe('what the descriptions say beyond the rule ids', () => {
  it('untreated: a 55 mg starting dose for 72 kg', async () => {
    expect(card(await cards('order-select', 'cop-demo-untreated'), 'COP-R01').summary).toMatch(/55 mg/);
  });

  it('clarithro: the clarithromycin alternative as a non-recommended suggestion', async () => {
    const r06 = card(await cards('order-select', 'cop-demo-clarithro'), 'COP-R06');
    expect(r06.suggestions?.length).toBeGreaterThan(0);
    expect(r06.suggestions!.every((s) => s.isRecommended !== true)).toBe(true);
  });

  it('stale weight: the dose card is a warning naming the weight age; clarithromycin not assessed', async () => {
    const r01 = card(await cards('order-select', 'cop-demo-stale-weight'), 'COP-R01');
    expect(r01.indicator).toBe('warning');
    expect(r01.summary).toMatch(/45 days old/);
    expect(r01.detail).toMatch(/not assessed/i);
  });

  it('no weight: no dose, "record weight" instead', async () => {
    const list = await cards('order-select', 'cop-demo-no-weight');
    expect(list.map((c) => c.source.topic.code)).not.toContain('COP-R01');
    expect(card(list, 'COP-R02').indicator).toBe('warning');
  });

  it('on steroids: the Sandbox draft is a duplicate at sign, with a delete suggestion', async () => {
    const r04 = card(await cards('order-sign', 'cop-demo-on-steroids'), 'COP-R04');
    expect(r04.indicator).toBe('warning');
    expect(JSON.stringify(r04.suggestions)).toMatch(/"type":"delete"/);
  });

  it('secondary: a warning about possible secondary OP', async () => {
    expect(card(await cards('patient-view', 'cop-demo-secondary'), 'COP-R08').indicator).toBe('warning');
  });
});

describe('which demo bases the service calls on its own', () => {
  it('its own /demo/fhir under localhost as well as 127.0.0.1', async () => {
    const base = demo.demoBase.replace('127.0.0.1', 'localhost');
    const { status, body } = await invoke('patient-view', 'cop-demo-untreated', base);
    expect(status).toBe(200);
    expect(body.cards.length).toBeGreaterThan(0);
  });

  it('not another port, nor another path on its own port', async () => {
    const port = Number(new URL(demo.origin).port);
    for (const other of [`http://127.0.0.1:${port === 65535 ? 65534 : port + 1}/demo/fhir`, `${demo.origin}/fhir`, `${demo.origin}/demo/fhir/Patient`]) {
      const { status } = await invoke('patient-view', 'cop-demo-untreated', other);
      expect(status, other).toBe(403);
    }
  });

  it('not its own demo base when the demo endpoint is off', async () => {
    const app = await buildApp(testConfig({ demoFhir: false }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/cds-services/cop-patient-view`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sandboxCall('patient-view', 'cop-demo-untreated', `http://127.0.0.1:${port}/demo/fhir`)),
      });
      expect(res.status).toBe(403);
    } finally {
      await app.close();
    }
  });
});

describe('the Sandbox before a medication is chosen (an order form that names no drug)', () => {
  /** What the Sandbox sends as its Rx View opens and on "Sign Order" with nothing chosen. */
  function emptyFormCall(hook: 'order-select' | 'order-sign', patientId: string) {
    const call = sandboxCall(hook, patientId, demo.demoBase) as { context: { draftOrders: { entry: { resource: Record<string, unknown> }[] } } };
    const draft = call.context.draftOrders.entry[0]!.resource;
    delete draft.medicationCodeableConcept;
    delete draft.dosageInstruction;
    return call;
  }

  // Patients whose patient-level rules (R03, R04, R08, R15) fire on order-select once a drug is chosen.
  it.each(['cop-demo-teen', 'cop-demo-secondary', 'cop-demo-stale-weight', 'cop-demo-on-steroids'])('%s: no card on order-select or order-sign', async (patientId) => {
    expect(DEMO_PATIENTS.some((p) => p.id === patientId)).toBe(true);
    for (const hook of ['order-select', 'order-sign'] as const) {
      const res = await fetch(`${demo.origin}/cds-services/${SERVICE_FOR[hook]}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(emptyFormCall(hook, patientId)),
      });
      const body = (await res.json()) as { cards: WireCard[] };
      expect(res.status).toBe(200);
      expect(body.cards.map((c) => c.source.topic.code), `${patientId} ${hook}`).toEqual([]);
    }
    // With the drug chosen the same patient gets its cards.
    expect((await cards('order-select', patientId)).length).toBeGreaterThan(0);
  });
});
