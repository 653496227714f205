/**
 * Issue 12 #10: at most MAX_LARGE_BODIES large bodies are read at once. With one slot held by a
 * body still arriving, another large body gets 503 + Retry-After before it is read, a small call
 * is served, and the slot comes back when the first call ends (here: its client goes away).
 */
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createSlots } from '../../src/large-bodies.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { orderSelectRequest } from '../fixtures/requests.js';

const LARGE = 64 * 1024;
const SELECT = '/cds-services/cop-order-select';
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp(testConfig({ connections: { requestTimeoutMs: 30_000, bodyTimeoutMs: 10_000, maxConnections: 0, largeBodyBytes: LARGE, maxLargeBodies: 1 } }), { clock: () => NOW });
  await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => app.close());

/** An order-select padded past LARGE bytes (an unread element, as a long chart carries). */
const largeBody = () => JSON.stringify({ ...orderSelectRequest(), padding: 'x'.repeat(LARGE * 2) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('large bodies in flight (MAX_LARGE_BODIES)', () => {
  it('counts slots, and a holder releases once', () => {
    const slots = createSlots(2);
    const a = slots.tryAcquire()!;
    const b = slots.tryAcquire()!;
    expect(slots.tryAcquire()).toBeUndefined();
    a();
    a();
    expect(slots.inUse()).toBe(1);
    expect(slots.tryAcquire()).toBeDefined();
    b();
  });

  it('refuses a second large body with 503 + Retry-After while one is being read; small calls go on; the slot returns', async () => {
    const port = (app.server.address() as AddressInfo).port;
    const slow: Socket = connect(port, '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    slow.write(`POST ${SELECT} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${LARGE * 3}\r\n\r\n{"hook":`);
    const http = supertest(app.server);
    let refused: supertest.Response | undefined;
    for (let i = 0; i < 50 && refused?.status !== 503; i++) {
      await sleep(20); // until the server has seen the slow call's head and taken its slot
      refused = await http.post(SELECT).set('content-type', 'application/json').send(largeBody());
    }
    expect(refused!.status).toBe(503);
    expect(refused!.headers['retry-after']).toBeDefined();
    expect(refused!.body).toMatchObject({ resourceType: 'OperationOutcome' });
    expect(JSON.stringify(refused!.body)).toMatch(/MAX_LARGE_BODIES/);
    await http.post(SELECT).send(orderSelectRequest()).expect(200);

    slow.destroy(); // the client goes away: its slot is released
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await sleep(20);
      status = (await http.post(SELECT).set('content-type', 'application/json').send(largeBody())).status;
    }
    expect(status).toBe(200);
  });
});
