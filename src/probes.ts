/**
 * Kubernetes-style probes and the Prometheus scrape endpoint. Open (no authentication), never rate
 * limited and never refused under pressure (app.ts): they are how an operator sees the service.
 * /metrics has no authentication of its own: serve it on an internal network only.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { sharedStateReason } from './shared-state/errors.js';
import { storeErrorReason } from './store/errors.js';
import type { CdsStore } from './store/types.js';

export const PROBE_URLS = ['/health', '/health/live', '/health/ready', '/metrics'];

export interface ProbeOptions {
  store: CdsStore;
  /** True once app.close() has begun. */
  shuttingDown: () => boolean;
  /** Metrics registry; no /metrics route when undefined (METRICS_ENABLED=false). */
  registry?: Registry;
  /** Redis shared by the replicas (REDIS_URL): readiness needs its answer too. */
  redis?: { ping(): Promise<void> };
  /** Longest wait for the store's answer before the probe says not ready. */
  storeTimeoutMs?: number;
}

const passUnderPressure = { pressureHandler: () => undefined };

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function probeRoutes(app: FastifyInstance, options: ProbeOptions): Promise<void> {
  const timeoutMs = options.storeTimeoutMs ?? 2000;

  app.get('/health/live', { config: passUnderPressure }, async () => ({ status: 'live' }));

  app.get('/health/ready', { config: passUnderPressure }, async (request, reply) => {
    const shuttingDown = options.shuttingDown();
    let store: 'ok' | 'failed' = 'ok';
    let reason: string | undefined;
    try {
      const { store: s } = options;
      await withTimeout(s.ping ? s.ping() : s.shownRules('readiness-probe', ['COP-R01'], new Date(0)).then(() => undefined), timeoutMs);
    } catch (err) {
      store = 'failed';
      // Our own texts ("store writes failing: disk full (SQLITE_FULL)"), else a class and code: no driver message.
      const message = err instanceof Error ? err.message : '';
      reason = /^(store writes failing|no answer within)/.test(message) ? message : storeErrorReason(err);
      request.log.warn({ reason }, 'readiness: the store is failing');
    }
    const reasons = reason ? [`store: ${reason}`] : [];
    let redis: 'ok' | 'failed' | undefined;
    if (options.redis) {
      try {
        await withTimeout(options.redis.ping(), timeoutMs);
        redis = 'ok';
      } catch (err) {
        redis = 'failed';
        const why = err instanceof Error && /^no answer within/.test(err.message) ? err.message : sharedStateReason(err);
        reasons.push(`redis: ${why}`);
        request.log.warn({ reason: why }, 'readiness: redis is failing');
      }
    }
    const ready = store === 'ok' && redis !== 'failed' && !shuttingDown;
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ready' : 'not-ready', checks: { store, ...(redis ? { redis } : {}), shuttingDown }, ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}) });
  });

  if (options.registry) metricsRoute(app, options.registry);
}

/** GET /metrics: the Prometheus text of `registry`, on the API app or on the METRICS_PORT listener. */
export function metricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', { config: passUnderPressure }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(body);
  });
}
