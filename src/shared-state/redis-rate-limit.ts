/**
 * The rate limit counted in Redis, so RATE_LIMIT_MAX holds for the whole service rather than per
 * replica: @fastify/rate-limit's own Redis store (one Lua INCR/PEXPIRE per call), wrapped so that
 * a Redis that cannot be asked refuses the call with 503 and Retry-After (never a 500, never a call
 * let through uncounted).
 */
import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../errors.js';
import { sharedStateReason } from './errors.js';

const KEY_PREFIX = 'cop-cds:rate:';
const RETRY_AFTER_SECONDS = 5;

export interface RedisRateLimitEvents {
  onUnavailable?(reason: string): void;
}

function refusingOnError(inner: FastifyRateLimitStore, events: RedisRateLimitEvents): FastifyRateLimitStore {
  return {
    incr(key, callback, timeWindow, max) {
      inner.incr(
        key,
        (error, result) => {
          if (!error) return callback(null, result);
          const reason = sharedStateReason(error);
          events.onUnavailable?.(reason);
          return callback(new ServiceUnavailableError(`The service cannot count requests now (rate limit store: ${reason}); retry after ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS));
        },
        timeWindow,
        max,
      );
    },
    child: (routeOptions) => refusingOnError(inner.child(routeOptions), events),
  };
}

/** A `store` for @fastify/rate-limit (which constructs it with its options). */
export function redisRateLimitStore(redis: Redis, events: RedisRateLimitEvents = {}): FastifyRateLimitStoreCtor {
  return class SharedRateLimitStore {
    // The plugin passes its resolved options (continueExceeding and exponentialBackoff among them).
    constructor(options: FastifyRateLimitOptions & { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const inner = new RedisStore(options.continueExceeding ?? false, options.exponentialBackoff ?? false, redis, KEY_PREFIX);
      return refusingOnError(inner, events) as SharedRateLimitStore;
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
