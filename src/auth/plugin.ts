/**
 * Client authentication on the CDS Hooks routes: discovery, service calls and feedback each need
 * `Authorization: Bearer <JWT>` whose `aud` is the public URL of the endpoint called, computed from
 * PUBLIC_BASE_URL and the route (never the Host header). A failure answers 401 with a generic
 * OperationOutcome and `WWW-Authenticate: Bearer`; the reason goes to the log only.
 *
 * `clientAuth` is a Fastify plugin for the context that holds the routes it guards (app.ts
 * registers it beside the CDS routes): its hook runs for those routes only, so CORS preflights,
 * the probes, the evidence page, the SMART app and unknown URLs never see it. The context's parent
 * registers CORS and the overload check first, so their headers reach a 401 and load is shed before
 * any token is checked. The settings are the ones `loadConfig` has checked (auth/settings.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { operationOutcome, type ErrorCode } from '../errors.js';
import type { SharedStateCheck } from '../shared-state/errors.js';
import type { FailureCounter, ReplayStore } from '../shared-state/types.js';
import { createFailureLimiter, memoryFailureCounter } from './failure-limiter.js';
import { createReplayCache, memoryReplayStore, replayCacheSize } from './replay-cache.js';
import type { AuthSettings } from './settings.js';
import { createTokenVerifier, type AuthenticatedClient, type AuthFailureReason, type TokenVerifier } from './verify.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The authenticated CDS Client on the routes `clientAuth` guards; null there when
     * authentication is off. Absent on routes outside their context.
     */
    cdsClient?: AuthenticatedClient | null;
  }
}

export interface ClientAuthOptions {
  settings: AuthSettings;
  /** PUBLIC_BASE_URL (a trailing slash is dropped): what `aud` is compared to; set whenever authentication is on. */
  publicBaseUrl?: string;
  clock: () => Date;
  /** The per-client rate limit (RATE_LIMIT_*): sizes the jti replay cache. */
  rateLimit?: { max: number; windowMs: number };
  /** Used token ids shared by the replicas (Redis or PostgreSQL); default: a cache in this process. */
  replayStore?: ReplayStore;
  /** Failed-authentication counts shared by the replicas (Redis), given the in-process counter to fall back on. */
  failureCounter?: (local: FailureCounter) => FailureCounter;
  /** A shared store could not be asked (for the metrics). */
  onSharedStateUnavailable?: (check: SharedStateCheck) => void;
}

/** Longest Authorization header value looked at; real CDS Client JWTs are well under 2 KB. */
const MAX_TOKEN_CHARS = 8192;

/** Failures that a well-behaved client causes by mistake or by timing; the rest are logged as warnings. */
const ROUTINE: ReadonlySet<AuthFailureReason> = new Set(['no-token', 'expired']);

/**
 * The audiences a token may carry for this request, or undefined for routes that need no token.
 * `routeUrl` is the route pattern Fastify matched.
 */
export function expectedAudiences(routeUrl: string | undefined, params: unknown, baseUrl: string): string[] | undefined {
  const id = (params as { id?: unknown } | undefined)?.id;
  switch (routeUrl) {
    case '/cds-services':
      return [`${baseUrl}/cds-services`];
    case '/cds-services/:id':
      return typeof id === 'string' ? [`${baseUrl}/cds-services/${encodeURIComponent(id)}`] : undefined;
    case '/cds-services/:id/feedback': {
      if (typeof id !== 'string') return undefined;
      // The spec says the feedback URL; some clients send the service URL: accept both.
      const service = `${baseUrl}/cds-services/${encodeURIComponent(id)}`;
      return [`${service}/feedback`, service];
    }
    default:
      return undefined;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header.slice(0, MAX_TOKEN_CHARS + 20));
  return match?.[1];
}

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer')
    .header('cache-control', 'no-store')
    .send(operationOutcome('login', 'Authentication required'));
}

/** A refusal the client should retry after a while (429 or 503), never cached. */
function retryLater(reply: FastifyReply, status: 429 | 503, retryAfterSeconds: number, code: 'throttled' | 'transient', message: string, errorCode: ErrorCode): FastifyReply {
  return reply
    .code(status)
    .header('retry-after', String(retryAfterSeconds))
    .header('cache-control', 'no-store')
    .send(operationOutcome(code, `${message}; retry after ${retryAfterSeconds} s`, [], errorCode));
}

const tooManyFailures = (reply: FastifyReply, retryAfterSeconds: number): FastifyReply =>
  retryLater(reply, 429, retryAfterSeconds, 'throttled', 'Too many failed authentications from this address', 'COP_ERR_AUTH_FAILURES_LIMITED');

const replayCacheFull = (reply: FastifyReply, retryAfterSeconds: number): FastifyReply =>
  retryLater(reply, 503, retryAfterSeconds, 'transient', 'The service cannot take more tokens now', 'COP_ERR_SHARED_STATE_UNAVAILABLE');

const replayStoreUnavailable = (reply: FastifyReply, retryAfterSeconds: number): FastifyReply =>
  retryLater(reply, 503, retryAfterSeconds, 'transient', 'The service cannot check tokens now', 'COP_ERR_SHARED_STATE_UNAVAILABLE');

/**
 * Decorates requests with `cdsClient` and, when authentication is on, checks every CDS route of
 * `app`'s context (any other route in it is let through: it has no audience). Takes settings that
 * `loadConfig` has checked: with authentication on, trusted clients and PUBLIC_BASE_URL.
 */
export function registerClientAuth(app: FastifyInstance, options: ClientAuthOptions): void {
  app.decorateRequest('cdsClient', null);
  if (!options.settings.enabled) return;
  // Not a second check of the settings (loadConfig's): the one value the hook cannot work without.
  if (options.publicBaseUrl === undefined) throw new TypeError('registerClientAuth: authentication is on but publicBaseUrl is not set');
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, '');
  const { settings } = options;
  const replayStore =
    options.replayStore ??
    memoryReplayStore(
      createReplayCache(
        replayCacheSize({
          rateLimitMax: options.rateLimit?.max ?? 0,
          rateLimitWindowMs: options.rateLimit?.windowMs ?? 60_000,
          maxTokenLifetimeSeconds: settings.maxTokenLifetimeSeconds,
          clockSkewSeconds: settings.clockSkewSeconds,
          clients: settings.trustedClients.length,
        }),
      ),
    );
  const verifier: TokenVerifier = createTokenVerifier(settings, { clock: options.clock, replayStore });
  // Failed attempts per client address, checked before any token is decoded or signature checked.
  const localFailures = memoryFailureCounter(createFailureLimiter({ limit: settings.failureLimit, windowMs: settings.failureWindowSeconds * 1000 }));
  const failures = options.failureCounter ? options.failureCounter(localFailures) : localFailures;
  // The request clock may be fixed (tests): the failure windows run on the real one.
  const realNow = () => Date.now();

  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return; // a CORS preflight carries no token
    const audiences = expectedAudiences(request.routeOptions.url, request.params, baseUrl);
    if (!audiences) return;

    const blocked = await failures.blocked(request.ip, realNow());
    if (blocked !== undefined) {
      if (blocked.first) request.log.warn({ auth: { reason: 'too-many-failures', limit: settings.failureLimit, windowSeconds: settings.failureWindowSeconds } }, 'failed authentications rate limited');
      return tooManyFailures(reply, blocked.retryAfterSeconds);
    }
    const token = bearerToken(request);
    if (!token || token.length > MAX_TOKEN_CHARS) {
      await failures.record(request.ip, realNow());
      request.log.info({ auth: { reason: token ? 'malformed-token' : 'no-token' } }, 'authentication failed');
      return unauthorized(reply);
    }
    const result = await verifier.verify(token, audiences);
    if (!result.ok) {
      const auth = { reason: result.reason, ...result.log, ...(result.reason === 'aud-mismatch' ? { expectedAud: audiences } : {}) };
      if (result.reason === 'replay-cache-full') {
        // Not the client's fault: a valid token that cannot be remembered is refused, never let in unremembered.
        request.log.error({ auth }, 'replay cache full: valid token refused with 503 (raise RATE_LIMIT_MAX/window sizing or lower CDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS)');
        return replayCacheFull(reply, result.retryAfterSeconds ?? 1);
      }
      if (result.reason === 'replay-store-unavailable') {
        // Never accepted unchecked: a token whose use cannot be recorded could be replayed on another replica.
        request.log.error({ auth, replayStore: replayStore.kind }, 'replay store unavailable: valid token refused with 503');
        options.onSharedStateUnavailable?.('replay');
        return replayStoreUnavailable(reply, result.retryAfterSeconds ?? 5);
      }
      // A JWKS outage is the key server's fault, not the client's: not counted against its address.
      if (result.reason !== 'jwks-unavailable') await failures.record(request.ip, realNow());
      if (ROUTINE.has(result.reason)) request.log.info({ auth }, 'authentication failed');
      else request.log.warn({ auth }, 'authentication failed');
      return unauthorized(reply);
    }

    const { client } = result;
    request.cdsClient = client;
    const bindings: Record<string, string> = { iss: client.iss };
    if (client.tenant !== undefined) bindings.tenant = client.tenant;
    if (audiences.length > 1) bindings.audMatched = result.aud === audiences[0] ? 'feedback-url' : 'service-url';
    request.log = request.log.child(bindings);
    reply.log = request.log;
    return undefined;
  });
}

/**
 * `registerClientAuth` as a plugin that shares its parent's context: register it in the context
 * (a `register()` scope) that holds the routes it guards, before them.
 */
export const clientAuth = fp<ClientAuthOptions>(async (app, options) => registerClientAuth(app, options), { name: 'cop-client-auth', fastify: '5.x' });
