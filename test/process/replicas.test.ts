/**
 * Two service processes as two replicas behind one address, sharing one PostgreSQL (a schema of its
 * own) and one Redis (reached through a relay this test stops mid-run), trusting the same client.
 * Shows what "scale out" must keep: a token used on one replica is refused on the other; the rate
 * limit counts across both; a card shown by one and overridden through the other is suppressed on
 * both; feedback posted to either is counted under its card's rule; with Redis stopped every call
 * that needs it gets 503 with Retry-After (no 500, no acceptance), and both recover without a restart.
 * Needs TEST_DATABASE_URL and TEST_REDIS_URL (`.ci/run` starts both); skipped without them unless
 * REQUIRE_POSTGRES_TESTS / REQUIRE_REDIS_TESTS say they must run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../../src/store/postgres-store.js';
import { makeKey, signToken, type TestKey } from '../auth/tokens.js';
import { adminQuery } from '../fixtures/postgres-admin.js';
import { basePrefetch, PATIENT_ID } from '../fixtures/requests.js';
import { listeningUrl, spawnService, type ServiceProcess } from '../fixtures/service-process.js';
import { startRelay, type TcpRelay } from '../fixtures/tcp-relay.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
const required = process.env.REQUIRE_POSTGRES_TESTS === '1' || process.env.REQUIRE_REDIS_TESTS === '1';
const PUBLIC = 'https://cds.example.org';
const RATE_LIMIT_MAX = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await sleep(200);
  }
}

interface Card { uuid: string; source: { topic?: { code?: string } } }

describe.skipIf(!(databaseUrl && redisUrl) && !required)('two replicas sharing PostgreSQL and Redis', () => {
  const schema = `cop_replicas_${process.pid}_${randomBytes(4).toString('hex')}`;
  // Issuers of this run only (Redis keeps other runs' counters under other names), one per test so
  // that each test's calls count against its own rate limit.
  const issuer = (name: string) => `https://${name}-${randomUUID()}.example.org`;
  const ehr = issuer('ehr');
  const limited = issuer('limited');
  const viewer = issuer('viewer');
  const outage = issuer('outage');
  let key: TestKey;
  let relay: TcpRelay;
  let replicas: { name: string; url: string; service: ServiceProcess }[] = [];

  const admin = (sql: string) => adminQuery(databaseUrl, sql);

  const token = (iss: string, path: string, jti = randomUUID()) => signToken(key, new Date(), { iss, aud: `${PUBLIC}${path}`, jti });

  const call = async (base: string, path: string, options: { iss?: string; body?: unknown; bearer?: string } = {}) => {
    const bearer = options.bearer ?? (await token(options.iss ?? ehr, path));
    const response = await fetch(`${base}${path}`, {
      method: options.body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${bearer}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  /** The fixture chart as another patient's (every reference to the fixture's patient renamed). */
  const patientView = (patientId: string) => {
    const prefetch = JSON.parse(JSON.stringify(basePrefetch()).replaceAll(PATIENT_ID, patientId)) as Record<string, unknown>;
    delete prefetch.allergies; // not a patient-view prefetch key
    return { hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId }, prefetch };
  };
  const PV = '/cds-services/cop-patient-view';

  beforeAll(async () => {
    expect(databaseUrl, 'TEST_DATABASE_URL').toBeDefined();
    expect(redisUrl, 'TEST_REDIS_URL').toBeDefined();
    key = await makeKey('ES384', 'replica-test');
    const target = new URL(redisUrl!);
    relay = await startRelay({ host: target.hostname, port: Number(target.port || 6379) });
    const viaRelay = new URL(redisUrl!);
    viaRelay.host = `127.0.0.1:${relay.port}`;
    await admin(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    const db = new URL(databaseUrl!);
    db.searchParams.set('options', `-c search_path=${schema}`);
    const clients = [ehr, limited, viewer, outage].map((iss) => ({ iss, jwks: { keys: [key.publicJwk] } }));
    const env = {
      DATABASE_URL: db.toString(),
      REDIS_URL: viaRelay.toString(),
      REDIS_COMMAND_TIMEOUT_MS: '300',
      CDS_TRUSTED_CLIENTS: JSON.stringify(clients),
      PUBLIC_BASE_URL: PUBLIC,
      RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
      PATIENT_KEY_SECRET: randomBytes(24).toString('base64'),
      PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    };
    const started = ['A', 'B'].map((name) => ({ name, service: spawnService(env) }));
    replicas = await Promise.all(started.map(async ({ name, service }) => ({ name, service, url: await listeningUrl(service, 60_000) })));
  }, 90_000);

  afterAll(async () => {
    relay?.set('open');
    for (const { service } of replicas) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await relay?.close();
    if (databaseUrl) await admin(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`).catch(() => undefined);
  }, 30_000);

  const A = () => replicas[0]!;
  const B = () => replicas[1]!;

  it('a token used on one replica is refused on the other (and on itself)', async () => {
    const bearer = await token(ehr, '/cds-services');
    expect((await call(A().url, '/cds-services', { bearer })).status).toBe(200);
    expect((await call(B().url, '/cds-services', { bearer })).status).toBe(401);
    expect((await call(A().url, '/cds-services', { bearer })).status).toBe(401);
    // Two replicas presented one fresh token at the same moment: exactly one accepts it.
    const racing = await token(ehr, '/cds-services');
    const statuses = await Promise.all([A(), B(), A(), B()].map((r) => call(r.url, '/cds-services', { bearer: racing }).then((c) => c.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(B().service.lines.some((l) => l.includes('"reason":"replay"'))).toBe(true);
  }, 30_000);

  it(`the rate limit (${RATE_LIMIT_MAX} per window) counts the calls of both replicas`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT_MAX; i++) statuses.push((await call((i % 2 === 0 ? A() : B()).url, '/cds-services', { iss: limited })).status);
    expect(statuses).toEqual(Array(RATE_LIMIT_MAX).fill(200));
    for (const replica of [A(), B()]) {
      const refused = await call(replica.url, '/cds-services', { iss: limited });
      expect(refused.status, replica.name).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    }
  }, 30_000);

  it('a card shown by A and overridden through B is suppressed on both; B counts the feedback under its rule', async () => {
    const patient = `pat-replica-${randomUUID()}`;
    const shown = await call(A().url, PV, { iss: viewer, body: patientView(patient) });
    expect(shown.status).toBe(200);
    const card = (shown.body.cards as Card[]).find((c) => c.source.topic?.code && c.source.topic.code !== 'COP-R20');
    expect(card, JSON.stringify(shown.body.cards)).toBeDefined();
    const rule = card!.source.topic!.code!;
    // At once, inside A's write-behind window: B does not know the card yet.
    const feedback = { feedback: [{ card: card!.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] };
    expect((await call(B().url, `${PV}/feedback`, { iss: viewer, body: feedback })).status).toBe(200);

    for (const replica of [A(), B()]) {
      await until(
        `${rule} suppressed on ${replica.name}`,
        async () => ((await call(replica.url, PV, { iss: viewer, body: patientView(patient) })).body.cards as Card[]).map((c) => c.source.topic?.code),
        (rules) => !rules.includes(rule),
      );
    }
    // Another patient still gets the card.
    const other = await call(B().url, PV, { iss: viewer, body: patientView(`pat-replica-${randomUUID()}`) });
    expect((other.body.cards as Card[]).map((c) => c.source.topic?.code)).toContain(rule);

    const metric = `cds_feedback_total{outcome="overridden",rule="${rule}"} 1`;
    const text = await until('feedback counted under its rule on B', async () => (await fetch(`${B().url}/metrics`)).text(), (t) => t.includes(metric));
    expect(text).not.toMatch(/cds_feedback_total\{outcome="overridden",rule="unknown"\} [1-9]/);
  }, 60_000);

  it('Redis stopped mid-run: 503 with Retry-After on both (never 500, never a call let in unchecked), readiness 503; recovery without a restart', async () => {
    relay.set('stopped');
    for (const replica of [A(), B()]) {
      for (const path of ['/cds-services', PV]) {
        const during = await call(replica.url, path, path === PV ? { iss: outage, body: patientView('pat-redis-down') } : { iss: outage });
        expect(during.status, `${replica.name} ${path}: ${JSON.stringify(during.body)}`).toBe(503);
        expect(Number(during.retryAfter)).toBeGreaterThan(0);
        expect(during.body.resourceType).toBe('OperationOutcome');
      }
      const ready = await fetch(`${replica.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { redis: string } }).checks.redis).toBe('failed');
    }
    relay.set('open');
    for (const replica of [A(), B()]) {
      await until(`${replica.name} answers again`, async () => (await call(replica.url, '/cds-services', { iss: outage })).status, (s) => s === 200);
      expect((await fetch(`${replica.url}/health/ready`)).status).toBe(200);
    }
    const lines = replicas.flatMap((r) => r.service.lines);
    expect(lines.some((l) => /"statusCode":500/.test(l))).toBe(false);
    expect(lines.some((l) => l.includes('replay store unavailable'))).toBe(true);
  }, 60_000);
});
