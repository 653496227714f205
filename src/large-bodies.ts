/**
 * At most N large request bodies read and parsed at once (issue 12 #10). A multi-megabyte
 * prefetch costs several times its size in memory while it is a string, then a parsed object,
 * then validated: sixteen 8 MiB bodies at once took the process past its 512 MiB pod limit. A
 * body over LARGE_BODY_BYTES (or of unknown length: chunked) takes a slot before a byte of it is
 * read; without a free slot the call gets 503 with Retry-After at once, so the EHR retries and the
 * memory stays bounded. Small bodies (most calls, feedback, probes) never wait for a slot.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { operationOutcome } from './errors.js';

export interface LargeBodyLimits {
  /** A body with more bytes than this (or no Content-Length) is large. */
  largeBodyBytes: number;
  /** Large bodies in flight at most; 0 = no limit. */
  maxLargeBodies: number;
  retryAfterSeconds: number;
}

/** A counter of slots; `release` is idempotent per holder. Pure, so it is tested on its own. */
export function createSlots(max: number): { tryAcquire(): (() => void) | undefined; inUse(): number } {
  let used = 0;
  return {
    tryAcquire() {
      if (used >= max) return undefined;
      used += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        used -= 1;
      };
    },
    inUse: () => used,
  };
}

const hasLargeBody = (request: FastifyRequest, limit: number): boolean => {
  const length = request.headers['content-length'];
  if (length !== undefined) return Number(length) > limit;
  return request.headers['transfer-encoding'] !== undefined; // chunked: its size is unknown until read
};

export function registerLargeBodyGate(app: FastifyInstance, limits: LargeBodyLimits): void {
  if (limits.maxLargeBodies <= 0) return;
  const slots = createSlots(limits.maxLargeBodies);
  const releases = new WeakMap<FastifyRequest, () => void>();
  const release = async (request: FastifyRequest): Promise<void> => releases.get(request)?.();

  app.addHook('onRequest', async (request, reply) => {
    if (!hasLargeBody(request, limits.largeBodyBytes)) return undefined;
    const free = slots.tryAcquire();
    if (free) {
      releases.set(request, free);
      return undefined;
    }
    request.log.warn({ statusCode: 503, largeBodiesInFlight: slots.inUse(), maxLargeBodies: limits.maxLargeBodies }, 'large body refused: MAX_LARGE_BODIES in flight');
    return reply
      .code(503)
      .header('retry-after', String(limits.retryAfterSeconds))
      .header('connection', 'close')
      .send(operationOutcome('transient', `The service is reading as many large requests as it can hold (MAX_LARGE_BODIES); retry after ${limits.retryAfterSeconds} s`));
  });
  // Whatever ends the call: answered, aborted by the client, or timed out.
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);
  app.addHook('onTimeout', release);
}
