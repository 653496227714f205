import { describe, expect, it } from 'vitest';
import { createReplayCache, replayCacheSize } from './replay-cache.js';

describe('replay cache', () => {
  it('refuses a jti seen before until the token expires, per issuer', () => {
    const cache = createReplayCache();
    expect(cache.checkAndRemember('iss-a', 'j1', 10_000, 1_000)).toBe(true);
    expect(cache.checkAndRemember('iss-a', 'j1', 10_000, 5_000)).toBe(false);
    expect(cache.checkAndRemember('iss-b', 'j1', 10_000, 5_000)).toBe(true);
    // Prefix games do not collide: ("ab", "c") is not ("a", "bc").
    expect(cache.checkAndRemember('ab', 'c', 10_000, 5_000)).toBe(true);
    expect(cache.checkAndRemember('a', 'bc', 10_000, 5_000)).toBe(true);
    // After expiry the token itself is refused (exp), so the entry may go.
    expect(cache.checkAndRemember('iss-a', 'j1', 20_000, 10_000)).toBe(true);
  });

  it('evicts expired entries first and, full of live tokens, refuses a new one (never forgets a live token)', () => {
    const cache = createReplayCache(3);
    cache.checkAndRemember('i', 'old', 2_000, 1_000);
    cache.checkAndRemember('i', 'a', 100_000, 1_000);
    cache.checkAndRemember('i', 'b', 100_000, 1_000);
    // Later: "old" has expired and leaves first, so there is room without evicting a live entry.
    expect(cache.checkAndRemember('i', 'c', 100_000, 71_000)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.checkAndRemember('i', 'a', 100_000, 71_000)).toBe(false);
    // Full of live entries: the new token is refused with the wait until the first expiry, and "a" is still known.
    expect(cache.check('i', 'd', 100_000, 72_000)).toEqual({ ok: false, reason: 'full', retryAfterMs: 28_000 });
    expect(cache.size).toBe(3);
    expect(cache.check('i', 'a', 100_000, 72_000)).toEqual({ ok: false, reason: 'replay' });
    // Once they expire, there is room again.
    expect(cache.check('i', 'd', 200_000, 100_000)).toEqual({ ok: true });
  });

  it('issue 12 #3: a 3,500 s token is never accepted twice, however many tokens come after it', () => {
    const cache = createReplayCache(1_000);
    expect(cache.checkAndRemember('i', 'long', 3_500_000, 0)).toBe(true);
    for (let i = 0; i < 1_500; i++) cache.checkAndRemember('i', `t${i}`, 3_500_000, i);
    expect(cache.checkAndRemember('i', 'long', 3_500_000, 2_000)).toBe(false);
  });

  it('is sized from the rate limit and the lifetime cap', () => {
    // 600 per 60 s, 300 s + 60 s skew: 3,600 per client, twice over.
    expect(replayCacheSize({ rateLimitMax: 600, rateLimitWindowMs: 60_000, maxTokenLifetimeSeconds: 300, clockSkewSeconds: 60, clients: 2 })).toBe(14_400);
    expect(replayCacheSize({ rateLimitMax: 0, rateLimitWindowMs: 60_000, maxTokenLifetimeSeconds: 300, clockSkewSeconds: 60, clients: 2 })).toBe(100_000);
  });

  it('lets expired entries go as calls come, without waiting for a sweep', () => {
    const cache = createReplayCache();
    for (let i = 0; i < 1_000; i++) cache.checkAndRemember('i', `t${i}`, 1_000 + i, i);
    expect(cache.size).toBe(1_000);
    // At 1,500 ms t0…t500 have expired (expiry <= now): the next call drops them.
    expect(cache.checkAndRemember('i', 'late', 10_000, 1_500)).toBe(true);
    expect(cache.size).toBe(500);
    // A replay of a still-live token is still refused.
    expect(cache.checkAndRemember('i', 't999', 2_000, 1_500)).toBe(false);
  });
});
