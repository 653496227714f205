/**
 * Failed authentications per client address, counted in Redis so the limit holds across replicas
 * (a forger spreading attempts over the pods gets no more tries). One round trip to check, one to
 * count. If Redis cannot be asked, each replica goes on counting in process (`fallback`): the limit
 * then holds per pod, as before, rather than not at all.
 */
import type { Redis } from 'ioredis';
import { sharedStateReason } from './errors.js';
import type { FailureCounter } from './types.js';

const KEY_PREFIX = 'cop-cds:authfail:';

/** INCR, and the window's expiry on its first failure (atomically, so a crash between the two cannot leave a key that never expires). */
const RECORD_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

export interface RedisFailureOptions {
  limit: number;
  windowMs: number;
  /** Counts in process while Redis is away. */
  fallback: FailureCounter;
  /** Redis could not be asked (log and count it). */
  onUnavailable?(reason: string): void;
}

export function redisFailureCounter(redis: Redis, options: RedisFailureOptions): FailureCounter {
  const { limit, windowMs, fallback } = options;
  // Refusals already logged per address and window, so a flood logs once (bounded: cleared each window).
  let logged = new Set<string>();
  let loggedWindow = 0;
  const firstRefusal = (address: string, nowMs: number): boolean => {
    const window = Math.floor(nowMs / windowMs);
    if (window !== loggedWindow) {
      loggedWindow = window;
      logged = new Set();
    }
    if (logged.has(address) || logged.size >= 10_000) return false;
    logged.add(address);
    return true;
  };

  return {
    kind: 'redis',
    async blocked(address, nowMs) {
      if (limit <= 0) return undefined;
      try {
        const replies = (await redis.multi().get(KEY_PREFIX + address).pttl(KEY_PREFIX + address).exec()) ?? [];
        const failed = replies.find(([error]) => error);
        if (failed) throw failed[0];
        const [count, ttl] = replies;
        const failures = Number(count?.[1] ?? 0);
        if (failures < limit) return undefined;
        const ttlMs = Number(ttl?.[1] ?? windowMs);
        return { retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000)), first: firstRefusal(address, nowMs) };
      } catch (error) {
        options.onUnavailable?.(sharedStateReason(error));
        return fallback.blocked(address, nowMs);
      }
    },
    async record(address, nowMs) {
      if (limit <= 0) return;
      try {
        await redis.eval(RECORD_SCRIPT, 1, KEY_PREFIX + address, String(windowMs));
      } catch (error) {
        options.onUnavailable?.(sharedStateReason(error));
        await fallback.record(address, nowMs);
      }
    },
  };
}
