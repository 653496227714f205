/**
 * buildApp(config) → a ready-to-listen Fastify instance: the composition of the service. It opens
 * what the app owns (store, Redis, FHIR client, metrics registry), registers the app-wide plugins
 * (one file each in src/plugins/), then the routes; the CDS Hooks routes sit in a context of their
 * own with the client authentication that guards them. No listen here: tests drive the instance
 * directly and main.ts owns the process.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import { clientAuth, type ClientAuthOptions } from './auth/plugin.js';
import type { SharedStateCheck } from './shared-state/errors.js';
// Redis (ioredis, ~13 MB resident) is loaded only when REDIS_URL is set: see openOwnedRedis.
import type { SharedRedis } from './shared-state/redis.js';
import type { RedisSettings } from './shared-state/settings.js';
import { storeReplayStore } from './shared-state/store-replay.js';
import { ALL_RULES, RULES } from './cop/rules/index.js';
import { buildTerminology } from './cop/valuesets.js';
import { createFhirAllowlist, type FhirAllowlist } from './cds/fhir-allowlist.js';
import { createFhirFallback, type FhirClient } from './cds/fhir-client.js';
import type { FhirFallback } from './cds/fhir-fallback.js';
import type { FhirFetchObserver } from './cds/observer.js';
import { cdsRoutes } from './cds/routes.js';
import { bindRules, loadServiceDefinitions, DEFAULT_HOOKS_DIR } from './cds/service-registry.js';
import type { AppConfig } from './config.js';
import { ConfigError, operationOutcome } from './errors.js';
import { evidenceRoutes } from './evidence-page.js';
import { smartAppRoutes } from './smart/routes.js';
import { allowOwnDemoFhir, registerDemoFhir } from './demo/fhir-endpoint.js';
import { loggerOptions } from './logging.js';
import { createMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { accessLog } from './plugins/access-log.js';
import { corsPolicy } from './plugins/cors.js';
import { drain } from './plugins/drain.js';
import { echoedPath, errorHandling } from './plugins/error-handling.js';
import { jsonBody } from './plugins/json-body.js';
import { clientRateLimit } from './plugins/rate-limit.js';
import { requestGuards } from './plugins/request-guards.js';
import { securityHeaders } from './plugins/security-headers.js';
import { overloadShedding } from './plugins/under-pressure.js';
import { metricsRoute, probeRoutes } from './probes.js';
import { openStore, patientKeyer } from './store/index.js';
import { withWriteBehind } from './store/write-behind.js';
import { storeErrorReason } from './store/errors.js';
import type { CdsStore } from './store/types.js';

export interface AppOverrides {
  /** "Now" for every request; tests pass a fixed clock. */
  clock?: () => Date;
  /** Card and suggestion uuids. */
  newId?: () => string;
  /** How missing prefetch data is fetched (default: over HTTP from `fhirServer`, per `config.fhir`). */
  fhirFallback?: FhirFallback;
  hooksDir?: string;
  /** Where log lines go (default stdout); tests capture them to prove no PHI is written. */
  logStream?: DestinationStream;
  /** Shown cards and feedback (default: opened from `config.store` and closed with the app). */
  store?: CdsStore;
  /** Extra overload signal for @fastify/under-pressure (false = under pressure), polled every 100 ms; tests use it. */
  pressureCheck?: () => Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The METRICS_PORT listener (only GET /metrics), started by main.ts beside the API; null when /metrics is on the API port or off. */
    metricsApp: FastifyInstance | null;
  }
}

export async function buildApp(config: AppConfig, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  // First, so that a bad allow-list stops start-up with its ConfigError before anything is opened.
  const fhirAllowlist = createFhirAllowlist(config.fhir);
  const limits = config.connections ?? DEFAULT_CONNECTION_LIMITS;
  const clock = overrides.clock ?? (() => new Date());
  const app = Fastify({
    // stdout written asynchronously (pino's default is a synchronous write per line, on the event
    // loop); pino flushes what is pending when the process exits.
    logger: { ...loggerOptions(config.logLevel), stream: overrides.logStream ?? pino.destination({ dest: 1, sync: false }) },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Slow clients (issue 12 #9): the whole request within REQUEST_TIMEOUT_MS (Node answers 408 or
    // closes), checked every second rather than Node's 30 s; the body within BODY_TIMEOUT_MS below.
    requestTimeout: limits.requestTimeoutMs,
    http: { connectionsCheckingInterval: 1000, headersTimeout: Math.min(20_000, limits.requestTimeoutMs || 20_000) },
    // hookInstance, not the request id, is what correlates a call; keep ids short and opaque.
    genReqId: () => randomUUID(),
    // One access line per call (plugins/access-log.ts) instead of Fastify's two: half the log volume.
    logController: new LogController({ disableRequestLogging: true }),
    // A URL that cannot be decoded never reaches a route: answer it like every other client error.
    frameworkErrors: (error, request, reply) => {
      request.log.info({ statusCode: 400, code: error.code }, 'request rejected');
      void (reply as FastifyReply).code(400).send(operationOutcome('invalid', 'The request URL is not valid', [], 'COP_ERR_INVALID_URL'));
    },
  });

  // With the demo FHIR endpoint on (development only), the service may also call its own /demo/fhir.
  const allowedFhir = config.demoFhir ? allowOwnDemoFhir(fhirAllowlist, app, config.publicBaseUrl) : fhirAllowlist;
  // One registry per app (not prom-client's global one): several apps in one process never collide.
  const metrics = config.metricsEnabled ? createMetrics() : undefined;
  const fhirClient = overrides.fhirFallback ? undefined : createOwnedFhirClient(app, config, allowedFhir, metrics?.fhirFetch);
  const fhirFallback = overrides.fhirFallback ?? fhirClient!.fallback;
  // Shown-card records are committed behind the response (feedback never is): see write-behind.ts.
  const ownStore = overrides.store ?? (await openOwnedStore(app, config));
  const store = withWriteBehind(ownStore, {
    flushMs: 100,
    maxBatch: 500,
    maxQueue: 10_000,
    retryMaxMs: 30_000,
    onError: (err) => app.log.error({ reason: storeErrorReason(err), code: (err as { code?: unknown } | null)?.code }, 'could not record shown cards; will retry with back-off'),
    onDropped: (records, reason, code) => {
      app.log.error({ records, reason, code }, reason === 'queue-full' ? 'shown-card queue full: oldest records dropped' : 'shown-card record refused by the store for its data: dropped');
      metrics?.cds.shownCardsDropped?.(records, reason);
    },
    onDiscarded: (records) =>
      app.log.warn({ records }, 'a call whose client had hung up finished after shutdown began; its shown cards are not recorded'),
  });
  app.addHook('onClose', async () => store.close());
  const patientKeyOf = patientKeyer(await store.patientKeySecret());

  const definitions = await loadServiceDefinitions(overrides.hooksDir ?? DEFAULT_HOOKS_DIR);
  const services = bindRules(definitions, RULES);

  // App-wide plugins, in this order: within each phase their hooks run in the order registered
  // (onRequest: the request guards, the security headers, CORS, then the overload check).
  await app.register(accessLog);
  await app.register(jsonBody, { maxDepth: config.maxJsonDepth, maxArrayLength: config.maxJsonArrayLength });
  await app.register(errorHandling);
  await app.register(requestGuards, {
    bodyTimeoutMs: limits.bodyTimeoutMs,
    maxConnections: limits.maxConnections,
    largeBodyBytes: limits.largeBodyBytes,
    maxLargeBodies: limits.maxLargeBodies,
    retryAfterSeconds: config.pressure.retryAfterSeconds,
  });
  await app.register(drain);
  await app.register(securityHeaders, { hstsMaxAgeSeconds: config.hstsMaxAgeSeconds });
  await app.register(corsPolicy, { origins: config.corsOrigins });
  // After CORS, so a 503 still carries its headers; before authentication, so load is shed cheaply.
  await app.register(overloadShedding, { ...config.pressure, ...(overrides.pressureCheck ? { healthCheck: overrides.pressureCheck } : {}) });
  const redis = config.redis ? await openOwnedRedis(app, config.redis) : undefined;
  const shared = await sharedSecurityState(app, config, redis, ownStore, metrics?.sharedStateUnavailable);
  // Before the routes: it hooks each route as it is added. It counts in a preHandler, so after the
  // CDS routes' authentication (onRequest) has named the client it keys on.
  await app.register(clientRateLimit, { ...config.rateLimit, ...(shared.rateLimitStore ? { store: shared.rateLimitStore } : {}) });
  // Before any route: it records routes as they are added. Documentation only (see openapi.ts).
  await registerOpenApi(app);

  // Never refused under pressure: it is how an operator (or a load balancer) sees the pressure.
  app.get('/health', { config: { pressureHandler: () => undefined } }, async () => {
    const underPressure = app.isUnderPressure();
    const usage = app.memoryUsage();
    return {
      status: underPressure ? 'under-pressure' : 'ok',
      services: services.size,
      pressure: {
        underPressure,
        eventLoopDelayMs: Math.round(usage.eventLoopDelay),
        eventLoopUtilization: Math.round(usage.eventLoopUtilized * 1000) / 1000,
        heapUsedBytes: usage.heapUsed,
        rssBytes: usage.rssBytes,
      },
      ...(fhirClient ? { fhirCircuitsOpen: fhirClient.breaker.openKeys().length } : {}),
    };
  });
  await app.register(evidenceRoutes, { rules: ALL_RULES, thresholds: config.thresholds });
  // The taper-plan SMART app (COP-R01's smart link): static pages with their own CSP, and GET /smart/plan.
  await app.register(smartAppRoutes, { thresholds: config.thresholds, formulary: config.formulary, ...config.smartApp });
  // With METRICS_PORT, /metrics is only on its own listener: the API port (and its ingress) cannot route to it.
  const metricsApp = metrics && config.metricsPort !== undefined ? buildMetricsApp(app, metrics.registry) : null;
  app.decorate('metricsApp', metricsApp);
  await app.register(probeRoutes, { store, shuttingDown: () => app.isShuttingDown(), ...(redis ? { redis } : {}), ...(metrics && !metricsApp ? { registry: metrics.registry } : {}) });
  if (config.demoFhir) {
    await registerDemoFhir(app, { clock, ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}) });
  }
  // The CDS Hooks routes and the client authentication that guards them, in one context: the
  // authentication hook runs for discovery, the services and feedback, and for no other route.
  await app.register(async function cdsHooks(scope) {
    await scope.register(clientAuth, {
      settings: config.auth,
      ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
      clock,
      rateLimit: config.rateLimit,
      ...shared.auth,
    });
    await scope.register(cdsRoutes, {
      services,
      deps: {
        thresholds: config.thresholds,
        formulary: config.formulary,
        medicationRequestIntent: config.medicationRequestIntent,
        fallback: fhirFallback,
        fhirAllowlist: allowedFhir,
        fhirDeadlineMs: config.fhir.deadlineMs,
        clock,
        siteTimeZone: config.siteTimeZone,
        newId: overrides.newId ?? randomUUID,
        store,
        patientKeyOf,
        ...(metrics ? { observer: metrics.cds } : {}),
        // Site configuration, built once here: local codes into the terminology, override reasons for the cards.
        terminology: buildTerminology(config.site.localCodes),
        overrideReasons: config.site.overrideReasons,
      },
      ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
    });
  });
  return app;
}

/** A listener with GET /metrics only (METRICS_PORT), logging through the app's logger, closed with the app. */
function buildMetricsApp(app: FastifyInstance, registry: Registry): FastifyInstance {
  const metricsApp = Fastify({ loggerInstance: app.log.child({ listener: 'metrics' }), logController: new LogController({ disableRequestLogging: true }) });
  metricsRoute(metricsApp, registry);
  metricsApp.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(operationOutcome('not-found', `No route ${request.method} ${echoedPath(request)} on the metrics port; GET /metrics`));
  });
  app.addHook('onClose', async () => metricsApp.close());
  return metricsApp;
}

/** The HTTP fallback with its connection pool and circuit breaker, closed with the app. */
function createOwnedFhirClient(app: FastifyInstance, config: AppConfig, allowlist: FhirAllowlist, observe?: FhirFetchObserver): FhirClient {
  const client = createFhirFallback(config.fhir, allowlist, undefined, observe);
  app.addHook('onClose', async () => client.close());
  return client;
}

/** Redis shared by the replicas, connected before the first call (or after REDIS_CONNECT_TIMEOUT_MS: readiness then says why), closed with the app. */
async function openOwnedRedis(app: FastifyInstance, settings: RedisSettings): Promise<SharedRedis> {
  const { connectRedis, waitForRedis } = await import('./shared-state/redis.js');
  const redis = connectRedis(settings, {
    onReady: () => app.log.info('redis connected'),
    onDown: (reason) => app.log.error({ reason }, 'redis unreachable: calls needing shared state get 503 until it is back (reconnecting with back-off)'),
  });
  app.addHook('onClose', async () => redis.close());
  await waitForRedis(redis, settings.connectTimeoutMs);
  return redis;
}

/**
 * Where the security state that must hold across replicas lives: with Redis, replay protection,
 * rate limits and failed-authentication counts; with only PostgreSQL, replay protection (rate limits
 * per process); with SQLite (one instance) all in process.
 */
async function sharedSecurityState(
  app: FastifyInstance,
  config: AppConfig,
  redis: SharedRedis | undefined,
  ownStore: CdsStore,
  unavailable: ((check: SharedStateCheck) => void) | undefined,
): Promise<{ auth: Pick<ClientAuthOptions, 'replayStore' | 'failureCounter' | 'onSharedStateUnavailable'>; rateLimitStore?: FastifyRateLimitStoreCtor }> {
  const onUnavailable = (check: SharedStateCheck) => (reason: string) => {
    app.log.error({ check, reason }, `shared ${check} state unavailable`);
    unavailable?.(check);
  };
  const auth: Pick<ClientAuthOptions, 'replayStore' | 'failureCounter' | 'onSharedStateUnavailable'> = unavailable ? { onSharedStateUnavailable: unavailable } : {};
  if (redis) {
    const [{ redisReplayStore }, { redisFailureCounter }, { redisRateLimitStore }] = await Promise.all([
      import('./shared-state/redis-replay.js'), import('./shared-state/redis-failures.js'), import('./shared-state/redis-rate-limit.js'),
    ]);
    auth.replayStore = redisReplayStore(redis.client);
    auth.failureCounter = (local) =>
      redisFailureCounter(redis.client, {
        limit: config.auth.failureLimit,
        windowMs: config.auth.failureWindowSeconds * 1000,
        fallback: local,
        onUnavailable: onUnavailable('auth-failures'),
      });
    return { auth, rateLimitStore: redisRateLimitStore(redis.client, { onUnavailable: onUnavailable('rate-limit') }) };
  }
  if (ownStore.claimTokenUse) auth.replayStore = storeReplayStore(ownStore.claimTokenUse.bind(ownStore));
  if (config.auth.enabled && config.store.databaseUrl) {
    app.log.info('no REDIS_URL: token replay protection is shared through PostgreSQL; rate limits and failed-authentication counts are per instance');
  }
  return { auth };
}

/** The configured store, migrated on open. */
async function openOwnedStore(app: FastifyInstance, config: AppConfig): Promise<CdsStore> {
  // Closed through the write-behind wrapper, which flushes first.
  try {
    return await openStore(config.store, { onPoolError: (err) => app.log.warn({ err }, 'store connection error') });
  } catch (error) {
    // Start-up only: a store that cannot be opened is a configuration problem, named with what to do (exit 2).
    throw new ConfigError([storeOpenProblem(config.store, error)]);
  }
}

/** One line naming the variable, where it points (never a password) and the cause. */
export function storeOpenProblem(store: AppConfig['store'], error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]!.slice(0, 200) : String(error).slice(0, 200);
  if (store.databaseUrl) {
    let where = 'the configured server';
    try {
      const url = new URL(store.databaseUrl);
      where = `${url.hostname || url.searchParams.get('host') || 'localhost'}:${url.port || '5432'}${url.pathname}`;
    } catch {
      // checked by the schema; keep the generic text
    }
    // The message of a failed login may name the user, never the password; the URL itself is not repeated.
    return `DATABASE_URL: cannot open the PostgreSQL store at ${where} (${code ?? message}); check that the server is running and reachable and that the URL's user, password and database are right, or unset DATABASE_URL to use the SQLite file at FEEDBACK_DB_PATH`;
  }
  return `FEEDBACK_DB_PATH: cannot open the SQLite store at ${store.sqlitePath} (${code ? `${code}: ` : ''}${message}); point it at a file in a writable directory (created if missing), e.g. data/cop-cds.sqlite, or set DATABASE_URL for PostgreSQL`;
}

/** Client connection limits when the config names none (an embedding's hand-made config). */
const DEFAULT_CONNECTION_LIMITS = { requestTimeoutMs: 30_000, bodyTimeoutMs: 10_000, maxConnections: 1024, largeBodyBytes: 1024 * 1024, maxLargeBodies: 4 };
