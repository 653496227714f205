/**
 * The real app wired to real FHIR servers on 127.0.0.1: `server` (seeded with the chart, allowed
 * through CDS_FHIR_ALLOW_HTTP) and `other` (empty, never allowed: it must never be called).
 */
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { AppConfig } from '../../src/config.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { startFhirServer, type FhirTestServer } from '../fixtures/fhir-server.js';
import { orderSelectRequest } from '../fixtures/requests.js';
import type { WireCard } from '../http/cards-contract.js';
import { stepDoses } from '../http/cards-contract.js';
import { serverResources } from './chart.js';

type Json = Record<string, unknown>;

export function useFhirIntegration(fhir: Partial<AppConfig['fhir']> = {}) {
  let app: FastifyInstance;
  let server: FhirTestServer;
  let other: FhirTestServer;
  beforeAll(async () => {
    [server, other] = await Promise.all([startFhirServer(), startFhirServer()]);
    await server.seed(...serverResources());
    // A fixed public URL: card links otherwise carry supertest's ephemeral port, which differs per call.
    const config = testConfig({ publicBaseUrl: 'https://cds.example.test' });
    app = await buildApp({ ...config, fhir: { ...config.fhir, allowHttp: [server.base], ...fhir } }, { clock: () => NOW });
    await app.ready();
  });
  beforeEach(() => {
    server.reset();
    other.reset();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([server?.close(), other?.close()]);
  });
  return {
    http: () => supertest(app.server),
    server: () => server,
    other: () => other,
    /** An order-select call for the chart's patient naming `server`; `prefetch: undefined` sends none. */
    request(prefetch: Json | undefined, extra: Json = {}): Json {
      const body: Json = { ...orderSelectRequest(), fhirServer: server.base, ...extra };
      if (prefetch === undefined) delete body.prefetch;
      else body.prefetch = prefetch;
      return body;
    },
  };
}

/** What must not change between prefetch and fetching: rule, indicator, suggested doses. */
export function essentials(body: { cards: WireCard[] }) {
  return body.cards.map((c) => ({
    rule: c.source.topic.code,
    indicator: c.indicator,
    doses: (c.suggestions ?? []).map((s) =>
      s.actions.map((a) => (a.resource?.resourceType === 'MedicationRequest' ? stepDoses(a.resource) : [])),
    ),
  }));
}

/** A response body without its random uuids, for whole-body comparison. */
export function withoutUuids(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body, (key, value: unknown) => (key === 'uuid' ? undefined : value)));
}
