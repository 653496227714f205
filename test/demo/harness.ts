/**
 * The real app listening on 127.0.0.1 (ephemeral port) with its demo FHIR endpoint on, called the
 * way the CDS Hooks Sandbox calls it: no prefetch, `fhirServer` = the app's own /demo/fhir, no
 * fhirAuthorization. The service fetches every key from its own demo endpoint.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { AppConfig } from '../../src/config.js';
import type { DemoHook } from '../../src/demo/patients.js';
import { testConfig } from '../fixtures/config.js';

type Json = Record<string, unknown>;

export const SERVICE_FOR: Record<DemoHook, string> = {
  'patient-view': 'cop-patient-view',
  'order-select': 'cop-order-select',
  'order-sign': 'cop-order-sign',
};

export interface ListeningApp {
  app: FastifyInstance;
  /** http://127.0.0.1:{port} */
  origin: string;
  demoBase: string;
}

export async function listenDemoApp(overrides: Partial<AppConfig> = {}): Promise<ListeningApp> {
  const app = await buildApp(testConfig({ demoFhir: true, ...overrides }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return { app, origin, demoBase: `${origin}/demo/fhir` };
}

/** The Sandbox's draft from its picker: 1 × prednisone 20 mg tablet daily, dose as a tablet count, no reasonCode. */
export function sandboxPrednisoneDraft(patientId: string): Json {
  return {
    resourceType: 'MedicationRequest',
    id: 'demo-draft-pred-1',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: {
      coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '312615', display: 'Prednisone 20 MG Oral Tablet' }],
      text: 'Prednisone 20 MG Oral Tablet',
    },
    dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: '{pill}' } }] }],
  };
}

/** A Sandbox-style hook call without prefetch. */
export function sandboxCall(hook: DemoHook, patientId: string, fhirServer: string): Json {
  const draft = sandboxPrednisoneDraft(patientId);
  const draftOrders = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] };
  const context: Json = { userId: 'Practitioner/COREPRACTITIONER1', patientId };
  if (hook === 'order-select') Object.assign(context, { selections: [`MedicationRequest/${String(draft.id)}`], draftOrders });
  if (hook === 'order-sign') Object.assign(context, { draftOrders });
  return { hook, hookInstance: `d3m0-${hook}-${patientId}`, fhirServer, context };
}
