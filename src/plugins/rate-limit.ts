/**
 * Per-client rate limit (@fastify/rate-limit; RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS): keyed on
 * the JWT issuer when the call is authenticated, else on the client address. Counted in a
 * preHandler, so after the client authentication of the CDS routes (an onRequest hook) has set
 * `request.cdsClient`, and a refused token is never counted. Register it before the routes: it
 * hooks each route as it is added.
 */
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { TooManyRequestsError } from '../errors.js';
import { PROBE_URLS } from '../probes.js';

export interface RateLimitOptions {
  /** Requests per client per window; 0 = no limit (the plugin then registers nothing). */
  max: number;
  windowMs: number;
  /** Where the counts live; with Redis the limit holds for all replicas together. Default: this process. */
  store?: FastifyRateLimitStoreCtor;
}

export const clientRateLimit = fp<RateLimitOptions>(
  async (app: FastifyInstance, options) => {
    if (options.max <= 0) return;
    await app.register(rateLimit, {
      ...(options.store ? { store: options.store } : {}),
      max: options.max,
      timeWindow: options.windowMs,
      hook: 'preHandler',
      keyGenerator: (request) => (request.cdsClient?.iss ? `iss:${request.cdsClient.iss}` : `ip:${request.ip}`),
      // CORS preflights, health probes and the metrics scrape are never limited.
      allowList: (request) => request.method === 'OPTIONS' || PROBE_URLS.includes(request.routeOptions.url ?? ''),
      errorResponseBuilder: (_request, context) =>
        new TooManyRequestsError(`Too many requests from this client (at most ${context.max} per ${Math.round(options.windowMs / 1000)} s); retry after ${context.after}`),
    });
  },
  { name: 'cop-rate-limit', fastify: '5.x' },
);
