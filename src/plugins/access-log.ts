/**
 * One access line per call, written when the answer has gone (Fastify's own request logging is
 * off, see app.ts): half the log volume of Fastify's two lines. What a route learned about the
 * call (a hook call's rules, say) rides on this line through `request.logFields` rather than
 * costing a line of its own.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** Fields a route adds to the call's access line; never PHI (states, counts, rule ids). */
    logFields: Record<string, unknown> | null;
  }
}

export const accessLog = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('logFields', null);
    app.addHook('onResponse', async (request, reply) => {
      // The URL without its query (queries may carry identifiers); hookInstance comes from the child logger.
      reply.log.info(
        { method: request.method, url: request.url.split('?')[0], statusCode: reply.statusCode, responseTime: reply.elapsedTime, ...request.logFields },
        'request completed',
      );
    });
  },
  { name: 'cop-access-log', fastify: '5.x' },
);
