/**
 * Security headers for a JSON API (@fastify/helmet). The CSP forbids everything but what the one
 * HTML page (/evidence/cop: no script, no style, links only) needs, and framing; the SMART app's
 * pages set their own (src/smart/routes.ts). HSTS only when HSTS_MAX_AGE_SECONDS is set: TLS
 * normally ends at a proxy, which owns that header.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface SecurityHeadersOptions {
  /** Strict-Transport-Security max-age; 0 sends none. */
  hstsMaxAgeSeconds: number;
}

export const securityHeaders = fp<SecurityHeadersOptions>(
  async (app: FastifyInstance, options) => {
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
      hsts: options.hstsMaxAgeSeconds > 0 ? { maxAge: options.hstsMaxAgeSeconds, includeSubDomains: true } : false,
      // The API is called cross-origin by EHRs and the CDS Hooks Sandbox (CORS); CORP only affects no-cors loads.
      crossOriginResourcePolicy: { policy: 'same-origin' },
      referrerPolicy: { policy: 'no-referrer' },
      frameguard: { action: 'deny' },
    });
  },
  { name: 'cop-security-headers', fastify: '5.x' },
);
