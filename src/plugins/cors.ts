/**
 * CORS (@fastify/cors) for EHRs and the CDS Hooks Sandbox, which call the service from a browser:
 * the listed origins (CORS_ORIGINS; `*` for any), the methods and headers a CDS Client sends, and
 * preflights cached for ten minutes.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface CorsOptions {
  /** CORS_ORIGINS: origins allowed to call; one `*` allows any. */
  origins: string[];
}

export const corsPolicy = fp<CorsOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(cors, {
      origin: options.origins.includes('*') ? '*' : options.origins,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
      // An OPTIONS request that is not a valid preflight gets the same 204, not a text/plain 400.
      strictPreflight: false,
    });
  },
  { name: 'cop-cors', fastify: '5.x' },
);
