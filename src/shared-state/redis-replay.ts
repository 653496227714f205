/**
 * Replay protection shared by every replica through Redis: `SET key 1 NX PX ttl` is atomic, so of
 * two replicas presented the same token at once exactly one gets OK. The key lives until the token
 * expires (plus the clock skew), after which Redis forgets it by itself.
 */
import type { Redis } from 'ioredis';
import { sharedStateReason } from './errors.js';
import { tokenKey, type ReplayStore } from './types.js';

const KEY_PREFIX = 'cop-cds:jti:';
/** Retry-After when Redis cannot be asked: reconnection is retried every ≤ 5 s. */
const RETRY_AFTER_MS = 5000;

export function redisReplayStore(redis: Redis): ReplayStore {
  return {
    kind: 'redis',
    async check(iss, jti, expiresAtMs, nowMs) {
      const ttlMs = Math.max(1, Math.ceil(expiresAtMs - nowMs));
      try {
        const set = await redis.set(KEY_PREFIX + tokenKey(iss, jti), '1', 'PX', ttlMs, 'NX');
        return set === 'OK' ? { ok: true } : { ok: false, reason: 'replay' };
      } catch (error) {
        return { ok: false, reason: 'unavailable', retryAfterMs: RETRY_AFTER_MS, detail: `redis: ${sharedStateReason(error)}` };
      }
    },
  };
}
