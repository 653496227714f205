/**
 * buildApp(config) → a ready-to-listen Fastify instance with every plugin registered. No listen
 * here: tests drive the instance directly and main.ts owns the process.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import { assertAuthSettings, registerClientAuth, type ClientAuthOptions } from './auth/plugin.js';
import type { SharedStateCheck } from './shared-state/errors.js';
import { connectRedis, waitForRedis, type SharedRedis } from './shared-state/redis.js';
import { redisFailureCounter } from './shared-state/redis-failures.js';
import { redisRateLimitStore } from './shared-state/redis-rate-limit.js';
import { redisReplayStore } from './shared-state/redis-replay.js';
import type { RedisSettings } from './shared-state/settings.js';
import { storeReplayStore } from './shared-state/store-replay.js';
import { RULES } from './cop/rules/index.js';
import { buildSiteValueSets } from './cop/valuesets.js';
import { checkJsonLimits } from './cds/json-limits.js';
import { createFhirAllowlist, type FhirAllowlist } from './cds/fhir-allowlist.js';
import { createFhirFallback, type FhirClient } from './cds/fhir-client.js';
import type { FhirFallback } from './cds/fhir-fallback.js';
import type { FhirFetchObserver } from './cds/observer.js';
import { cdsRoutes } from './cds/routes.js';
import { bindRules, loadServiceDefinitions, DEFAULT_HOOKS_DIR } from './cds/service-registry.js';
import type { AppConfig } from './config.js';
import { BadRequestError, CdsHttpError, ConfigError, operationOutcome, PayloadTooLargeError, ServiceUnavailableError, TooManyRequestsError } from './errors.js';
import { ALL_RULES } from './cop/rules/index.js';
import { evidenceRoutes } from './evidence-page.js';
import { registerLargeBodyGate } from './large-bodies.js';
import { smartAppRoutes } from './smart/routes.js';
import { allowOwnDemoFhir, registerDemoFhir } from './demo/fhir-endpoint.js';
import { loggerOptions } from './logging.js';
import { createMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { metricsRoute, PROBE_URLS, probeRoutes } from './probes.js';
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
  interface FastifyContextConfig {
    /** @fastify/under-pressure: a per-route handler; /health uses one that lets the request through. */
    pressureHandler?: FastifyUnderPressureOptions['pressureHandler'];
  }
}

export async function buildApp(config: AppConfig, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  // First, so that a bad allow-list stops start-up with its ConfigError before anything is opened.
  const fhirAllowlist = createFhirAllowlist(config.fhir);
  assertAuthSettings(config.auth, config.publicBaseUrl);
  const app = Fastify({
    // stdout written asynchronously (pino's default is a synchronous write per line, on the event
    // loop); pino flushes what is pending when the process exits.
    logger: { ...loggerOptions(config.logLevel), stream: overrides.logStream ?? pino.destination({ dest: 1, sync: false }) },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Slow clients (issue 12 #9): the whole request within REQUEST_TIMEOUT_MS (Node answers 408 or
    // closes), checked every second rather than Node's 30 s; the body within BODY_TIMEOUT_MS below.
    requestTimeout: connectionLimits(config).requestTimeoutMs,
    http: { connectionsCheckingInterval: 1000, headersTimeout: Math.min(20_000, connectionLimits(config).requestTimeoutMs || 20_000) },
    // hookInstance, not the request id, is what correlates a call; keep ids short and opaque.
    genReqId: () => randomUUID(),
    // One access line per call (onResponse below) instead of Fastify's two: half the log volume.
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

  app.addHook('onResponse', async (request, reply) => {
    // The URL without its query (queries may carry identifiers); hookInstance comes from the child logger.
    reply.log.info(
      { method: request.method, url: request.url.split('?')[0], statusCode: reply.statusCode, responseTime: reply.elapsedTime },
      'request completed',
    );
  });
  registerJsonParser(app, config);
  registerErrorHandling(app);
  registerRequestGuards(app, config);
  const shuttingDown = registerDrain(app);
  await registerSecurityHeaders(app, config);

  await app.register(cors, {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
    // An OPTIONS request that is not a valid preflight gets the same 204, not a text/plain 400.
    strictPreflight: false,
  });
  // After CORS, so a 503 still carries its headers; before authentication, so load is shed cheaply.
  await registerUnderPressure(app, config, overrides);
  const redis = config.redis ? await openOwnedRedis(app, config.redis) : undefined;
  const shared = sharedSecurityState(app, config, redis, ownStore, metrics?.sharedStateUnavailable);
  // After CORS (so 401s carry its headers); decorates request.cdsClient (the verified JWT iss/tenant/jti).
  registerClientAuth(app, {
    settings: config.auth,
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
    clock: overrides.clock ?? (() => new Date()),
    rateLimit: config.rateLimit,
    ...shared.auth,
  });

  // Before the routes: it hooks each route as it is added. Runs as a preHandler, after authentication.
  await registerRateLimit(app, config, shared.rateLimitStore);
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
  await app.register(probeRoutes, { store, shuttingDown, ...(redis ? { redis } : {}), ...(metrics && !metricsApp ? { registry: metrics.registry } : {}) });
  if (config.demoFhir) {
    await registerDemoFhir(app, { clock: overrides.clock ?? (() => new Date()), ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}) });
  }
  await app.register(cdsRoutes, {
    services,
    deps: {
      thresholds: config.thresholds,
      formulary: config.formulary,
      medicationRequestIntent: config.medicationRequestIntent,
      fallback: fhirFallback,
      fhirAllowlist: allowedFhir,
      fhirDeadlineMs: config.fhir.deadlineMs,
      clock: overrides.clock ?? (() => new Date()),
      siteTimeZone: config.siteTimeZone,
      newId: overrides.newId ?? randomUUID,
      store,
      patientKeyOf,
      ...(metrics ? { observer: metrics.cds } : {}),
      // Site configuration, built once here: local codes into the value sets, override reasons for the cards.
      valueSets: buildSiteValueSets(config.site.localCodes),
      overrideReasons: config.site.overrideReasons,
    },
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
  });
  return app;
}

/** A listener with GET /metrics only (METRICS_PORT), logging through the app's logger, closed with the app. */
function buildMetricsApp(app: FastifyInstance, registry: Registry): FastifyInstance {
  const metricsApp = Fastify({ loggerInstance: app.log.child({ listener: 'metrics' }), logController: new LogController({ disableRequestLogging: true }) });
  metricsRoute(metricsApp, registry);
  metricsApp.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(operationOutcome('not-found', `No route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, MAX_ECHOED_URL)} on the metrics port; GET /metrics`));
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

/**
 * Graceful shutdown (app.close on SIGTERM): new requests get Fastify's 503, calls in flight finish,
 * and each answer sent after close began ends its keep-alive connection. Without that, a client's
 * connection that was busy when close began stays open after its answer, and the server waits for
 * it until the keep-alive timeout, past SHUTDOWN_GRACE_SECONDS.
 */
function registerDrain(app: FastifyInstance): () => boolean {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (draining) void reply.header('connection', 'close');
    return payload;
  });
  return () => draining;
}

/**
 * Security headers for a JSON API (@fastify/helmet). The CSP forbids everything but what the one
 * HTML page (/evidence/cop: no script, no style, links only) needs, and framing. HSTS only when
 * HSTS_MAX_AGE_SECONDS is set: TLS normally ends at a proxy, which owns that header.
 */
async function registerSecurityHeaders(app: FastifyInstance, config: AppConfig): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: config.hstsMaxAgeSeconds > 0 ? { maxAge: config.hstsMaxAgeSeconds, includeSubDomains: true } : false,
    // The API is called cross-origin by EHRs and the CDS Hooks Sandbox (CORS); CORP only affects no-cors loads.
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
}

/** Overload: 503 + Retry-After with an OperationOutcome before the event loop stalls (PRESSURE_*). */
async function registerUnderPressure(app: FastifyInstance, config: AppConfig, overrides: AppOverrides): Promise<void> {
  const p = config.pressure;
  const retryAfter = p.retryAfterSeconds;
  const pressureHandler = (request: FastifyRequest, reply: { code(n: number): { header(k: string, v: string): unknown } }, type: string) => {
    request.log.warn({ pressure: type }, 'under pressure; request refused');
    reply.code(503).header('retry-after', String(retryAfter));
    // A non-null return value is sent as the body by @fastify/under-pressure.
    return operationOutcome('transient', `The service is overloaded; retry after ${retryAfter} s`);
  };
  const options: FastifyUnderPressureOptions = {
    maxEventLoopDelay: p.maxEventLoopDelayMs,
    maxHeapUsedBytes: p.maxHeapUsedBytes,
    maxRssBytes: p.maxRssBytes,
    maxEventLoopUtilization: p.maxEventLoopUtilization,
    retryAfter,
    pressureHandler: pressureHandler as unknown as FastifyUnderPressureOptions['pressureHandler'],
    ...(overrides.pressureCheck ? { healthCheck: overrides.pressureCheck, healthCheckInterval: 100 } : {}),
  };
  await app.register(underPressure, options);
}

/** Redis shared by the replicas, connected before the first call (or after REDIS_CONNECT_TIMEOUT_MS: readiness then says why), closed with the app. */
async function openOwnedRedis(app: FastifyInstance, settings: RedisSettings): Promise<SharedRedis> {
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
function sharedSecurityState(
  app: FastifyInstance,
  config: AppConfig,
  redis: SharedRedis | undefined,
  ownStore: CdsStore,
  unavailable: ((check: SharedStateCheck) => void) | undefined,
): { auth: Pick<ClientAuthOptions, 'replayStore' | 'failureCounter' | 'onSharedStateUnavailable'>; rateLimitStore?: FastifyRateLimitStoreCtor } {
  const onUnavailable = (check: SharedStateCheck) => (reason: string) => {
    app.log.error({ check, reason }, `shared ${check} state unavailable`);
    unavailable?.(check);
  };
  const auth: Pick<ClientAuthOptions, 'replayStore' | 'failureCounter' | 'onSharedStateUnavailable'> = unavailable ? { onSharedStateUnavailable: unavailable } : {};
  if (redis) {
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

/** Per-client rate limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS): the JWT issuer when authenticated, else the address. */
async function registerRateLimit(app: FastifyInstance, config: AppConfig, store: FastifyRateLimitStoreCtor | undefined): Promise<void> {
  if (config.rateLimit.max <= 0) return;
  await app.register(rateLimit, {
    // Counted in Redis when there is one (the limit then holds for all replicas together).
    ...(store ? { store } : {}),
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    hook: 'preHandler',
    keyGenerator: (request) => (request.cdsClient?.iss ? `iss:${request.cdsClient.iss}` : `ip:${request.ip}`),
    // CORS preflights, health probes and the metrics scrape are never limited.
    allowList: (request) => request.method === 'OPTIONS' || PROBE_URLS.includes(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) =>
      new TooManyRequestsError(`Too many requests from this client (at most ${context.max} per ${Math.round(config.rateLimit.windowMs / 1000)} s); retry after ${context.after}`),
  });
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

const DEFAULT_CONNECTION_LIMITS = { requestTimeoutMs: 30_000, bodyTimeoutMs: 10_000, maxConnections: 1024, largeBodyBytes: 1024 * 1024, maxLargeBodies: 4 };
const connectionLimits = (config: AppConfig) => config.connections ?? DEFAULT_CONNECTION_LIMITS;

/** Header fields that must appear once: a second Host is ambiguous (RFC 9112 §3.2), a second Authorization too. */
const SINGLE_HEADERS = ['host', 'authorization'];

function duplicatedHeader(rawHeaders: string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLE_HEADERS.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * Before anything else: duplicate Host/Authorization → 400; a compressed body (Content-Encoding
 * other than identity) → 415, since bodies are read as plain JSON; a body that does not arrive within
 * BODY_TIMEOUT_MS → 408; an answer sent before its request body was read (e.g. a 401) closes the
 * connection, so a client trickling a body is not kept; at most MAX_CONNECTIONS open connections.
 */
function registerRequestGuards(app: FastifyInstance, config: AppConfig): void {
  const limits = connectionLimits(config);
  if (limits.maxConnections > 0) app.server.maxConnections = limits.maxConnections;
  app.server.on('drop', (data?: { remoteAddress?: string }) => {
    app.log.warn({ maxConnections: limits.maxConnections, remoteAddress: data?.remoteAddress }, 'connection refused: MAX_CONNECTIONS open connections');
  });

  app.addHook('onRequest', async (request, reply) => {
    const duplicate = duplicatedHeader(request.raw.rawHeaders);
    if (duplicate) {
      request.log.info({ statusCode: 400, header: duplicate }, 'request rejected: duplicate header');
      return reply
        .code(400)
        .header('connection', 'close')
        .send(operationOutcome('invalid', `The ${duplicate === 'host' ? 'Host' : 'Authorization'} header must appear once`, [], 'COP_ERR_DUPLICATE_HEADER'));
    }
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && hasBody(request) && String(encoding).trim().toLowerCase() !== 'identity') {
      request.log.info({ statusCode: 415, contentEncoding: String(encoding).slice(0, 40) }, 'request rejected: compressed body');
      return reply
        .code(415)
        .header('connection', 'close')
        .send(operationOutcome('not-supported', 'Content-Encoding is not supported; send the JSON body uncompressed'));
    }
    return undefined;
  });
  registerLargeBodyGate(app, { largeBodyBytes: limits.largeBodyBytes, maxLargeBodies: limits.maxLargeBodies, retryAfterSeconds: config.pressure.retryAfterSeconds });

  app.addHook('preParsing', async (request, reply, payload) => {
    if (!hasBody(request) || request.raw.complete) return payload;
    const timer = setTimeout(() => {
      if (request.raw.complete) return;
      request.log.info({ statusCode: 408, bodyTimeoutMs: limits.bodyTimeoutMs }, 'request body not received in time');
      void reply.header('connection', 'close');
      payload.emit('error', new CdsHttpError(408, 'transient', `The request body did not arrive within ${limits.bodyTimeoutMs} ms`, [], 'COP_ERR_REQUEST_TIMEOUT'));
    }, limits.bodyTimeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    payload.once('end', clear);
    payload.once('close', clear);
    payload.once('error', clear);
    return payload;
  });

  app.addHook('onSend', async (request, reply, body) => {
    // Answered before the body was read (401, 415, 413, 408…): do not wait for the rest of it.
    if (!request.raw.complete && hasBody(request)) void reply.header('connection', 'close');
    return body;
  });
}

/** JSON bodies: Fastify's safe parser (prototype-poisoning protection), then depth/array limits. */
function registerJsonParser(app: FastifyInstance, config: AppConfig): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const limits = { maxDepth: config.maxJsonDepth, maxArrayLength: config.maxJsonArrayLength };
  // CDS Hooks bodies are JSON only: without a text parser, other media types get 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) return done(new BadRequestError('Request body is not valid JSON', [], 'COP_ERR_INVALID_JSON'), undefined);
      const problem = checkJsonLimits(value, limits);
      if (problem) return done(new PayloadTooLargeError(`Request body exceeds structural limits: ${problem}`), undefined);
      return done(null, value);
    });
  });
}

/** Longest piece of the request URL echoed in a 404 (the rest is cut). */
const MAX_ECHOED_URL = 200;

/**
 * What correlates a failed call in the logs and the 5xx body: the hookInstance the client sent
 * (when it looks like an id), else the request id that every log line of the request carries.
 */
function correlationIdOf(request: FastifyRequest): string {
  const body: unknown = request.body;
  const hookInstance = typeof body === 'object' && body !== null ? (body as { hookInstance?: unknown }).hookInstance : undefined;
  return typeof hookInstance === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(hookInstance) ? hookInstance : String(request.id);
}

/** Fastify's own client errors (too large, wrong media type, empty JSON body, …): fixed texts, no internals. */
function clientErrorMessage(error: unknown, status: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof code === 'string' && code.startsWith('FST_') && typeof message === 'string') return message.slice(0, 300);
  if (status === 413) return 'Request body is too large';
  if (status === 415) return 'Unsupported media type; send application/json';
  return 'The request could not be processed';
}

function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').slice(0, MAX_ECHOED_URL);
    void reply.code(404).send(operationOutcome('not-found', `No route ${request.method} ${path}`));
  });

  // Whatever is thrown (even a non-Error), the answer is an OperationOutcome without stack or internal message.
  app.setErrorHandler((error: FastifyError | CdsHttpError, request, reply) => {
    if (error instanceof ServiceUnavailableError) {
      request.log.warn({ statusCode: 503, reason: error.message }, 'request refused: the service cannot answer now');
      return reply.code(503).header('retry-after', String(error.retryAfterSeconds)).header('cache-control', 'no-store').send(operationOutcome(error.issueCode, error.message, [], error.errorCode));
    }
    if (error instanceof CdsHttpError) {
      request.log.info({ statusCode: error.statusCode, reason: error.message }, 'request rejected');
      return reply.code(error.statusCode).send(operationOutcome(error.issueCode, error.message, error.details, error.errorCode));
    }
    const declared = (error as { statusCode?: unknown } | null)?.statusCode;
    const status = typeof declared === 'number' && Number.isInteger(declared) && declared >= 400 && declared <= 599 ? declared : 500;
    if (status < 500) {
      const code = status === 413 ? 'too-costly' : status === 415 ? 'not-supported' : 'invalid';
      request.log.info({ statusCode: status, code: (error as { code?: unknown } | null)?.code }, 'request rejected');
      return reply.code(status).send(operationOutcome(code, clientErrorMessage(error, status), [], status === 413 ? 'COP_ERR_TOO_LARGE' : status === 415 ? 'COP_ERR_UNSUPPORTED_MEDIA' : (error as { code?: unknown } | null)?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'COP_ERR_INVALID_JSON' : 'COP_ERR_CLIENT_ERROR'));
    }
    const correlationId = correlationIdOf(request);
    request.log.error({ err: error, correlationId }, 'unexpected error');
    return reply
      .code(status)
      .header('x-correlation-id', correlationId)
      .send(operationOutcome('exception', 'Internal error; the request was not evaluated', [`correlation id: ${correlationId}`]));
  });
}
