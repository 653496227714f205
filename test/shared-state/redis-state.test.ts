/**
 * The shared security state against a real Redis (TEST_REDIS_URL, which `.ci/run` starts), reached
 * by two clients as two replicas would, and through a TCP relay that the test stops mid-run. Without
 * TEST_REDIS_URL the suite is skipped, unless REQUIRE_REDIS_TESTS=1 (CI), where it fails instead.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFailureLimiter, memoryFailureCounter } from '../../src/auth/failure-limiter.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { connectRedis, waitForRedis, type SharedRedis } from '../../src/shared-state/redis.js';
import { redisFailureCounter } from '../../src/shared-state/redis-failures.js';
import { redisRateLimitStore } from '../../src/shared-state/redis-rate-limit.js';
import { redisReplayStore } from '../../src/shared-state/redis-replay.js';
import { startRelay, type TcpRelay } from '../fixtures/tcp-relay.js';

const url = process.env.TEST_REDIS_URL;
const required = process.env.REQUIRE_REDIS_TESTS === '1';

if (required && !url) {
  describe('Redis shared state', () => {
    it('runs against a real server (REQUIRE_REDIS_TESTS=1)', () => {
      throw new Error('REQUIRE_REDIS_TESTS=1 but TEST_REDIS_URL is not set: the Redis tests cannot run');
    });
  });
}

const settings = (u: string) => ({ url: u, connectTimeoutMs: 1000, commandTimeoutMs: 300 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!url)('Redis shared state (set TEST_REDIS_URL to run)', () => {
  let a: SharedRedis;
  let b: SharedRedis;
  let relay: TcpRelay;
  let viaRelay: SharedRedis;

  beforeAll(async () => {
    a = connectRedis(settings(url!));
    b = connectRedis(settings(url!));
    const target = new URL(url!);
    relay = await startRelay({ host: target.hostname, port: Number(target.port || 6379) });
    const relayed = new URL(url!);
    relayed.host = `127.0.0.1:${relay.port}`;
    viaRelay = connectRedis(settings(relayed.toString()));
    for (const r of [a, b, viaRelay]) expect(await waitForRedis(r, 5000)).toBe(true);
  });

  afterAll(async () => {
    await Promise.all([a, b, viaRelay].map((r) => r?.close()));
    await relay?.close();
  });

  it('replay: of many replicas presented the same token at once, exactly one accepts it', async () => {
    const stores = [redisReplayStore(a.client), redisReplayStore(b.client)];
    const jti = randomUUID();
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.check('https://ehr.example.org', jti, now + 60_000, now)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replay')).toHaveLength(19);
    // Another issuer's token with the same jti is its own token.
    expect(await stores[1]!.check('https://other.example.org', jti, now + 60_000, now)).toEqual({ ok: true });
  });

  it('replay: the id is kept for the token lifetime (+ skew) only, then Redis forgets it', async () => {
    const store = redisReplayStore(a.client);
    const jti = randomUUID();
    const now = Date.now();
    expect(await store.check('iss', jti, now + 200, now)).toEqual({ ok: true });
    const ttl = await a.client.pttl(`cop-cds:jti:3:iss${jti}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);
    expect((await redisReplayStore(b.client).check('iss', jti, now + 200, now)).ok).toBe(false);
    await sleep(400);
    expect(await redisReplayStore(b.client).check('iss', jti, Date.now() + 60_000, Date.now())).toEqual({ ok: true });
  });

  it('failed authentications are counted across replicas', async () => {
    const address = `198.51.100.${Math.floor(Math.random() * 250)}-${randomUUID()}`;
    const counter = (r: SharedRedis) =>
      redisFailureCounter(r.client, { limit: 3, windowMs: 60_000, fallback: memoryFailureCounter(createFailureLimiter({ limit: 3, windowMs: 60_000 })) });
    const [onA, onB] = [counter(a), counter(b)];
    const now = Date.now();
    await onA.record(address, now);
    await onB.record(address, now);
    expect(await onA.blocked(address, now)).toBeUndefined();
    await onA.record(address, now);
    const blocked = await onB.blocked(address, now);
    expect(blocked).toEqual({ retryAfterSeconds: expect.any(Number), first: true });
    expect(blocked!.retryAfterSeconds).toBeGreaterThan(50);
    expect(blocked!.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await onB.blocked(address, now))?.first).toBe(false);
  });

  it('the rate limit store counts across replicas', async () => {
    const Store = redisRateLimitStore(a.client);
    const StoreB = redisRateLimitStore(b.client);
    const key = `iss:${randomUUID()}`;
    const incr = (s: InstanceType<typeof Store>) =>
      new Promise<{ current: number; ttl: number }>((resolve, reject) => s.incr(key, (e, r) => (e ? reject(e) : resolve(r!)), 60_000, 5));
    const [sa, sb] = [new Store({}), new StoreB({})];
    expect((await incr(sa)).current).toBe(1);
    expect((await incr(sb)).current).toBe(2);
    expect((await incr(sa)).current).toBe(3);
  });

  it('Redis stopped: replay answers unavailable (never ok), rate limiting refuses with a 503 error, failures count in process; all recover without a new client', async () => {
    const replay = redisReplayStore(viaRelay.client);
    const unavailable: string[] = [];
    const Store = redisRateLimitStore(viaRelay.client, { onUnavailable: (reason) => unavailable.push(reason) });
    const limiter = new Store({});
    const local = memoryFailureCounter(createFailureLimiter({ limit: 1, windowMs: 60_000 }));
    const failures = redisFailureCounter(viaRelay.client, { limit: 1, windowMs: 60_000, fallback: local, onUnavailable: (r) => unavailable.push(r) });
    const incr = () => new Promise<unknown>((resolve) => limiter.incr(`iss:${randomUUID()}`, (e, r) => resolve(e ?? r), 60_000, 5));

    relay.set('stopped');
    await sleep(100);
    const now = Date.now();
    const started = performance.now();
    const seen = await replay.check('iss', randomUUID(), now + 60_000, now);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(seen).toEqual({ ok: false, reason: 'unavailable', retryAfterMs: 5000, detail: expect.stringMatching(/^redis: /) });
    const refused = await incr();
    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    expect((refused as ServiceUnavailableError).statusCode).toBe(503);
    expect((refused as ServiceUnavailableError).retryAfterSeconds).toBe(5);
    await failures.record('203.0.113.9', now);
    expect(await failures.blocked('203.0.113.9', now)).toEqual({ retryAfterSeconds: expect.any(Number), first: true });
    expect(unavailable.length).toBeGreaterThanOrEqual(3);

    relay.set('open');
    expect(await waitForRedis(viaRelay, 10_000)).toBe(true);
    const back = Date.now();
    expect(await replay.check('iss', randomUUID(), back + 60_000, back)).toEqual({ ok: true });
    expect(await incr()).toEqual({ current: 1, ttl: 60_000 });
  }, 20_000);
});
