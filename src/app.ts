/**
 * buildApp(config) → a ready-to-listen Fastify instance with every plugin registered. No listen
 * here: tests drive the instance directly and main.ts owns the process.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { RULES } from './cop/rules/index.js';
import { checkJsonLimits } from './cds/json-limits.js';
import { createFhirAllowlist, type FhirAllowlist } from './cds/fhir-allowlist.js';
import { createFhirFallback } from './cds/fhir-client.js';
import type { FhirFallback } from './cds/fhir-fallback.js';
import { cdsRoutes } from './cds/routes.js';
import { bindRules, loadServiceDefinitions, DEFAULT_HOOKS_DIR } from './cds/service-registry.js';
import type { AppConfig } from './config.js';
import { BadRequestError, CdsHttpError, operationOutcome, PayloadTooLargeError } from './errors.js';
import { evidenceRoutes } from './evidence-page.js';
import { loggerOptions } from './logging.js';
import { openStore, patientKeyer } from './store/index.js';
import { withWriteBehind } from './store/write-behind.js';
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
}

export async function buildApp(config: AppConfig, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  // First, so that a bad allow-list stops start-up with its ConfigError before anything is opened.
  const fhirAllowlist = createFhirAllowlist(config.fhir);
  const app = Fastify({
    logger: { ...loggerOptions(config.logLevel), ...(overrides.logStream ? { stream: overrides.logStream } : {}) },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // hookInstance, not the request id, is what correlates a call; keep ids short and opaque.
    genReqId: () => randomUUID(),
  });

  const fhirFallback = overrides.fhirFallback ?? createOwnedFhirFallback(app, config, fhirAllowlist);
  // Shown-card records are committed behind the response (feedback never is): see write-behind.ts.
  const store = withWriteBehind(overrides.store ?? (await openOwnedStore(app, config)), {
    flushMs: 100,
    maxBatch: 500,
    onError: (err) => app.log.error({ err }, 'could not record shown cards; will retry'),
  });
  app.addHook('onClose', async () => store.close());
  const patientKeyOf = patientKeyer(await store.patientKeySecret());

  const definitions = await loadServiceDefinitions(overrides.hooksDir ?? DEFAULT_HOOKS_DIR);
  const services = bindRules(definitions, RULES);

  registerJsonParser(app, config);
  registerErrorHandling(app);

  await app.register(cors, {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });

  app.get('/health', async () => ({ status: 'ok', services: services.size }));
  await app.register(evidenceRoutes);
  await app.register(cdsRoutes, {
    services,
    deps: {
      thresholds: config.thresholds,
      formulary: config.formulary,
      medicationRequestIntent: config.medicationRequestIntent,
      fallback: fhirFallback,
      fhirAllowlist,
      fhirDeadlineMs: config.fhir.deadlineMs,
      clock: overrides.clock ?? (() => new Date()),
      newId: overrides.newId ?? randomUUID,
      store,
      patientKeyOf,
    },
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
  });
  return app;
}

/** The HTTP fallback with its connection pool, closed with the app. */
function createOwnedFhirFallback(app: FastifyInstance, config: AppConfig, allowlist: FhirAllowlist): FhirFallback {
  const client = createFhirFallback(config.fhir, allowlist);
  app.addHook('onClose', async () => client.close());
  return client.fallback;
}

/** The configured store, migrated on open. */
async function openOwnedStore(app: FastifyInstance, config: AppConfig): Promise<CdsStore> {
  // Closed through the write-behind wrapper, which flushes first.
  return openStore(config.store, { onPoolError: (err) => app.log.warn({ err }, 'store connection error') });
}

/** JSON bodies: Fastify's safe parser (prototype-poisoning protection), then depth/array limits. */
function registerJsonParser(app: FastifyInstance, config: AppConfig): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const limits = { maxDepth: config.maxJsonDepth, maxArrayLength: config.maxJsonArrayLength };
  // CDS Hooks bodies are JSON only: without a text parser, other media types get 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) return done(new BadRequestError('Request body is not valid JSON'), undefined);
      const problem = checkJsonLimits(value, limits);
      if (problem) return done(new PayloadTooLargeError(`Request body exceeds structural limits: ${problem}`), undefined);
      return done(null, value);
    });
  });
}

function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(operationOutcome('not-found', `No route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError | CdsHttpError, request, reply) => {
    if (error instanceof CdsHttpError) {
      request.log.info({ statusCode: error.statusCode, reason: error.message }, 'request rejected');
      return reply.code(error.statusCode).send(operationOutcome(error.issueCode, error.message, error.details));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: too large, wrong media type, empty JSON body, etc.
      const code = status === 413 ? 'too-costly' : status === 415 ? 'not-supported' : 'invalid';
      request.log.info({ statusCode: status, code: error.code }, 'request rejected');
      return reply.code(status).send(operationOutcome(code, error.message));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send(operationOutcome('exception', 'Internal error; the request was not evaluated'));
  });
}
