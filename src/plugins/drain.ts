/**
 * Graceful shutdown (app.close on SIGTERM): new requests get Fastify's 503, calls in flight finish,
 * and each answer sent after close began ends its keep-alive connection. Without that, a client's
 * connection that was busy when close began stays open after its answer, and the server waits for
 * it until the keep-alive timeout, past SHUTDOWN_GRACE_SECONDS. `app.isShuttingDown()` tells the
 * readiness probe.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** True once app.close() has begun. */
    isShuttingDown(): boolean;
  }
}

export const drain = fp(
  async (app: FastifyInstance) => {
    let draining = false;
    app.decorate('isShuttingDown', () => draining);
    app.addHook('preClose', async () => {
      draining = true;
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      if (draining) void reply.header('connection', 'close');
      return payload;
    });
  },
  { name: 'cop-drain', fastify: '5.x' },
);
