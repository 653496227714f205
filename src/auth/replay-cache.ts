/**
 * Seen `jti` values, each kept until its token expires: a token presented twice within
 * its lifetime is a replay. Keys are `iss` + `jti`, since a nonce is only unique per issuer.
 * Bounded, and never by forgetting a live token: when full of unexpired entries it refuses the new
 * token ('full', answered 503 with Retry-After) until the oldest entry expires. Size it from the
 * rate limit and the token lifetime cap (replayCacheSize), so that a well-behaved load never fills it.
 */
import type { ReplayStore } from '../shared-state/types.js';

export type ReplayCheck = { ok: true } | { ok: false; reason: 'replay' } | { ok: false; reason: 'full'; retryAfterMs: number };

export interface ReplayCache {
  /**
   * Records `jti` for `iss` until `expiresAtMs`: 'replay' if it was already there, 'full' if there is
   * no room without forgetting a live token. Only call this for a token whose signature and claims were verified.
   */
  check(iss: string, jti: string, expiresAtMs: number, nowMs: number): ReplayCheck;
  /** true when recorded; false for a replay or a full cache. */
  checkAndRemember(iss: string, jti: string, expiresAtMs: number, nowMs: number): boolean;
  readonly size: number;
  readonly maxEntries: number;
}

/** Default bound when nothing better is known (no rate limit). */
export const DEFAULT_REPLAY_CACHE_ENTRIES = 100_000;

/**
 * Entries needed for every token the rate limit lets through within one token lifetime, for each
 * trusted client, twice over (tokens refused by the rate limit after verification take a place
 * too). With RATE_LIMIT_MAX=600 per 60 s and a 300 s cap (+60 s skew): 7,200 per client.
 * Without a rate limit: DEFAULT_REPLAY_CACHE_ENTRIES.
 */
export function replayCacheSize(options: { rateLimitMax: number; rateLimitWindowMs: number; maxTokenLifetimeSeconds: number; clockSkewSeconds: number; clients: number }): number {
  if (options.rateLimitMax <= 0) return DEFAULT_REPLAY_CACHE_ENTRIES;
  const lifetimeMs = (options.maxTokenLifetimeSeconds + options.clockSkewSeconds) * 1000;
  const perClient = Math.ceil((options.rateLimitMax * lifetimeMs) / options.rateLimitWindowMs) * 2;
  return Math.max(1_000, perClient * Math.max(1, options.clients));
}

export function createReplayCache(maxEntries = DEFAULT_REPLAY_CACHE_ENTRIES): ReplayCache {
  // Insertion order ≈ expiry order, since token lifetimes are bounded.
  const seen = new Map<string, number>();
  // When full: the last whole sweep, and the earliest expiry it found (a sweep at most once a second,
  // so that a flood against a full cache costs no more than one scan per second).
  let sweptAt = -Infinity;
  let earliest = Infinity;

  /**
   * Expired entries leave from the front, a few per call, instead of in a sweep of the whole map:
   * a sweep of 100,000 entries held the event loop for milliseconds, once a minute, under load.
   * An expired entry behind a longer-lived one waits for it, at most the capped token lifetime.
   */
  const dropExpiredFront = (nowMs: number): void => {
    for (const [key, expiresAt] of seen) {
      if (expiresAt > nowMs) return;
      seen.delete(key);
    }
  };

  /** When full: one whole sweep (at most once per second), and the time until the next entry expires. */
  const makeRoom = (nowMs: number): number => {
    if (nowMs - sweptAt >= 1000) {
      sweptAt = nowMs;
      earliest = Infinity;
      for (const [key, expiresAt] of seen) {
        if (expiresAt <= nowMs) seen.delete(key);
        else if (expiresAt < earliest) earliest = expiresAt;
      }
    }
    return Number.isFinite(earliest) ? Math.max(1000, earliest - nowMs) : 1000;
  };

  const check = (iss: string, jti: string, expiresAtMs: number, nowMs: number): ReplayCheck => {
    const key = `${iss.length}:${iss}${jti}`;
    const known = seen.get(key);
    if (known !== undefined && known > nowMs) return { ok: false, reason: 'replay' };
    dropExpiredFront(nowMs);
    if (known !== undefined) seen.delete(key);
    if (seen.size >= maxEntries) {
      const retryAfterMs = makeRoom(nowMs);
      if (seen.size >= maxEntries) return { ok: false, reason: 'full', retryAfterMs };
    }
    seen.set(key, expiresAtMs);
    return { ok: true };
  };

  return {
    check,
    checkAndRemember: (iss, jti, expiresAtMs, nowMs) => check(iss, jti, expiresAtMs, nowMs).ok,
    get size() {
      return seen.size;
    },
    maxEntries,
  };
}

/** The in-process cache as a ReplayStore: right for one instance only (SQLite), since each process has its own. */
export function memoryReplayStore(cache: ReplayCache): ReplayStore & { readonly cache: ReplayCache } {
  return {
    kind: 'memory',
    cache,
    check: async (iss, jti, expiresAtMs, nowMs) => {
      const seen = cache.check(iss, jti, expiresAtMs, nowMs);
      return seen.ok || seen.reason === 'replay' ? seen : { ...seen, detail: `replay cache full (${cache.maxEntries} live tokens)` };
    },
  };
}
