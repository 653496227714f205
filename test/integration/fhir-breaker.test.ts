/**
 * The circuit breaker in front of a real FHIR server (medplum in memory): after
 * FHIR_BREAKER_FAILURES consecutive failures (5xx, garbage, timeouts) no more requests reach the
 * server and hook calls answer at once; after FHIR_BREAKER_COOLDOWN_MS one probe goes through and
 * its outcome closes or re-opens the circuit. Refusals (401) and not-found answers never open it.
 */
import { describe, expect, it } from 'vitest';
import { fullPrefetch } from './chart.js';
import { useFhirIntegration } from './harness.js';

type Json = Record<string, unknown>;

const SELECT = '/cds-services/cop-order-select';
const FAILURES = 3;
const COOLDOWN_MS = 400;
/**
 * Long enough that a healthy in-memory server answers in time on a loaded 2-core machine (a good
 * call timed out there is a failure, and would open the circuit under a test that expects it shut).
 */
const REQUEST_TIMEOUT_MS = 1000;
const { http, server, request } = useFhirIntegration({ breakerFailures: FAILURES, breakerCooldownMs: COOLDOWN_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, deadlineMs: 3000 });

const without = (prefetch: Json, ...keys: string[]): Json =>
  Object.fromEntries(Object.entries(prefetch).filter(([k]) => !keys.includes(k)));
/** A call whose only missing (required) key is the weight: one FHIR request per hook call. */
const weightCall = () => http().post(SELECT).send(request(without(fullPrefetch(), 'weight')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Leaves the circuit closed: waits out the cool-down and lets a good probe through. */
async function heal(): Promise<void> {
  server().reset();
  await sleep(COOLDOWN_MS + 50);
  await weightCall().expect(200);
  server().reset();
}

describe('FHIR circuit breaker', () => {
  it('opens after N consecutive 500s: no more requests reach the server, calls answer 412 at once', async () => {
    server().behave({ fail: { status: 500 } });
    for (let i = 0; i < FAILURES; i++) {
      const res = await weightCall().expect(412);
      expect(JSON.stringify(res.body)).toMatch(/weight: the FHIR server answered HTTP 500/);
    }
    expect(server().requests).toHaveLength(FAILURES);

    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await weightCall().expect(412);
      expect(JSON.stringify(res.body)).toMatch(/weight: FHIR server circuit open/);
      expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS); // answered without waiting for the server
    }
    expect(server().requests).toHaveLength(FAILURES); // nothing more reached it

    // After the cool-down exactly one probe goes through; it fails, so the circuit opens again.
    await sleep(COOLDOWN_MS + 50);
    const probes = await Promise.all([weightCall(), weightCall(), weightCall()]);
    expect(probes.map((r) => r.status)).toEqual([412, 412, 412]);
    expect(server().requests).toHaveLength(FAILURES + 1);
    await weightCall().expect(412);
    expect(server().requests).toHaveLength(FAILURES + 1);

    // The server recovers: the next probe succeeds and closes the circuit.
    server().behave({});
    await sleep(COOLDOWN_MS + 50);
    await weightCall().expect(200);
    await weightCall().expect(200);
    expect(server().requests).toHaveLength(FAILURES + 3);
    server().reset();
  });

  it('counts garbage bodies and timeouts as failures', async () => {
    server().behave({ garbage: /29463-7/ });
    for (let i = 0; i < FAILURES - 1; i++) {
      expect(JSON.stringify((await weightCall().expect(412)).body)).toMatch(/not JSON/);
    }
    server().behave({ hang: /29463-7/ });
    expect(JSON.stringify((await weightCall().expect(412)).body)).toMatch(new RegExp(`did not answer within ${REQUEST_TIMEOUT_MS} ms`));
    expect(JSON.stringify((await weightCall().expect(412)).body)).toMatch(/circuit open/);
    expect(server().requests).toHaveLength(FAILURES);
    await heal();
  });

  it('never opens on refusals (401) or an OperationOutcome: the server is answering', async () => {
    server().behave({ unauthorized: /29463-7/ });
    for (let i = 0; i < FAILURES + 2; i++) {
      expect(JSON.stringify((await weightCall().expect(412)).body)).toMatch(/refused access \(HTTP 401\)/);
    }
    server().behave({ outcome: /29463-7/ });
    for (let i = 0; i < FAILURES + 2; i++) await weightCall().expect(412);
    expect(server().requests).toHaveLength(2 * (FAILURES + 2));
    server().reset();
    await weightCall().expect(200);
  });

  it('a success in between resets the count: only consecutive failures open the circuit', async () => {
    for (let round = 0; round < 3; round++) {
      server().behave({ fail: { status: 503 } });
      for (let i = 0; i < FAILURES - 1; i++) await weightCall().expect(412);
      server().behave({});
      await weightCall().expect(200);
    }
    expect(server().requests).toHaveLength(3 * FAILURES);
    server().reset();
  });
});
