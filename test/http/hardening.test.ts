/**
 * Issue 12 (#9, #12, #13, #17): duplicate Host/Authorization headers, compressed bodies, slow
 * bodies and failed-authentication floods, against the app listening on 127.0.0.1 (raw sockets:
 * what inject cannot send).
 */
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEFAULT_AUTH_SETTINGS } from '../../src/auth/settings.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { makeKey } from '../auth/tokens.js';

let app: FastifyInstance;
let authApp: FastifyInstance;
const portOf = (a: FastifyInstance) => (a.server.address() as AddressInfo).port;

beforeAll(async () => {
  app = await buildApp(testConfig({ connections: { requestTimeoutMs: 30_000, bodyTimeoutMs: 800, maxConnections: 0, largeBodyBytes: 1024 * 1024, maxLargeBodies: 4 } }), { clock: () => NOW });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const key = await makeKey('ES384', 'k1');
  authApp = await buildApp(
    testConfig({
      publicBaseUrl: 'https://cds.example.org',
      connections: { requestTimeoutMs: 30_000, bodyTimeoutMs: 5_000, maxConnections: 0, largeBodyBytes: 1024 * 1024, maxLargeBodies: 4 },
      auth: { ...DEFAULT_AUTH_SETTINGS, enabled: true, explicit: true, failureLimit: 5, failureWindowSeconds: 60, trustedClients: [{ iss: 'https://ehr.example.org', jwks: { keys: [key.publicJwk] }, jkuAllowlist: [] }] },
    }),
    { clock: () => NOW },
  );
  await authApp.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await authApp?.close();
});

/** Sends raw bytes; resolves with what came back when the server closes the socket (or after `waitMs`). */
function raw(port: number, head: string, body: (write: (s: string) => void) => void = () => {}, waitMs = 5000): Promise<{ text: string; closedMs: number | null }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closedMs: number | null) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ text, closedMs });
    };
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => finish(Date.now() - started));
    socket.on('error', () => finish(Date.now() - started));
    socket.on('connect', () => {
      socket.write(head);
      body((s) => !socket.destroyed && socket.write(s));
    });
    setTimeout(() => finish(null), waitMs);
  });
}

describe('duplicate headers (issue 12 #12)', () => {
  it('answers 400 to two Host headers and to two Authorization headers', async () => {
    for (const extra of ['Host: evil.example\r\n', 'Authorization: Bearer a\r\nAuthorization: Bearer b\r\n']) {
      const { text } = await raw(portOf(app), `GET /cds-services HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`);
      expect(text, extra).toMatch(/^HTTP\/1\.1 400/);
      expect(text).toMatch(/must appear once/);
    }
    const { text } = await raw(portOf(app), 'GET /cds-services HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe('compressed bodies (issue 12 #17)', () => {
  it('answers 415 to Content-Encoding gzip or br', async () => {
    for (const encoding of ['gzip', 'br']) {
      const res = await app.inject({ method: 'POST', url: '/cds-services/cop-order-select', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, payload: Buffer.from([0x1f, 0x8b, 8, 0]) });
      expect(res.statusCode, encoding).toBe(415);
      expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });
    }
  });
});

describe('demo FHIR writes (issue 12 #17)', () => {
  it('answers 405 to a write with Content-Type application/fhir+json', async () => {
    for (const [method, url] of [['POST', '/demo/fhir/Patient'], ['PUT', '/demo/fhir/Patient/x'], ['POST', '/demo/fhir']] as const) {
      const res = await app.inject({ method, url, headers: { 'content-type': 'application/fhir+json' }, payload: '{"resourceType":"Patient"}' });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
    }
  });
});

describe('slow bodies (issue 12 #9)', () => {
  it('answers 408 and closes a connection trickling its body past BODY_TIMEOUT_MS', async () => {
    const head = 'POST /cds-services/cop-order-select HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const timers: NodeJS.Timeout[] = [];
    const { text, closedMs } = await raw(portOf(app), head, (write) => {
      for (let i = 0; i < 40; i++) timers.push(setTimeout(() => write('{'), i * 100));
    });
    timers.forEach(clearTimeout);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(closedMs).not.toBeNull();
    expect(closedMs!).toBeLessThan(3000);
  });

  it('closes the connection after an immediate 401 instead of reading a trickled body', async () => {
    const head = 'POST /cds-services/cop-order-select HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const timers: NodeJS.Timeout[] = [];
    const { text, closedMs } = await raw(portOf(authApp), head, (write) => {
      for (let i = 0; i < 40; i++) timers.push(setTimeout(() => write('{'), i * 100));
    });
    timers.forEach(clearTimeout);
    expect(text).toMatch(/^HTTP\/1\.1 401/);
    expect(closedMs).not.toBeNull();
    expect(closedMs!).toBeLessThan(1500);
  });
});

describe('failed authentications (issue 12 #13)', () => {
  it('limits failed attempts per address before any signature check: 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await authApp.inject({ method: 'GET', url: '/cds-services', headers: { authorization: 'Bearer eyJhbGciOiJFUzM4NCJ9.e30.bad' }, remoteAddress: '10.9.9.9' });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Another address is not affected.
    const other = await authApp.inject({ method: 'GET', url: '/cds-services', remoteAddress: '10.9.9.10' });
    expect(other.statusCode).toBe(401);
  });
});
