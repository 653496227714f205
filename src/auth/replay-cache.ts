/**
 * Seen `jti` values, each kept until its token expires (R-SEC-10): a token presented twice within
 * its lifetime is a replay. Keys are `iss` + `jti`, since a nonce is only unique per issuer.
 * Bounded: when full, expired entries go first, then the oldest ones (a token that old is close to
 * expiry anyway, since lifetimes are capped by CDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS).
 */
export interface ReplayCache {
  /**
   * Records `jti` for `iss` until `expiresAtMs`; false if it was already there (a replay).
   * Only call this for a token whose signature and claims were verified.
   */
  checkAndRemember(iss: string, jti: string, expiresAtMs: number, nowMs: number): boolean;
  readonly size: number;
}

export function createReplayCache(maxEntries = 100_000): ReplayCache {
  // Insertion order ≈ expiry order, since token lifetimes are bounded.
  const seen = new Map<string, number>();

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

  return {
    checkAndRemember(iss, jti, expiresAtMs, nowMs) {
      const key = `${iss.length}:${iss}${jti}`;
      const known = seen.get(key);
      if (known !== undefined && known > nowMs) return false;
      dropExpiredFront(nowMs);
      while (seen.size >= maxEntries) seen.delete(seen.keys().next().value!);
      seen.delete(key);
      seen.set(key, expiresAtMs);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
