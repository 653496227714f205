import { describe, expect, it } from 'vitest';
import { createReplayCache } from './replay-cache.js';

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

  it('evicts expired entries first, then the oldest, and never grows past its bound', () => {
    const cache = createReplayCache(3);
    cache.checkAndRemember('i', 'old', 2_000, 1_000);
    cache.checkAndRemember('i', 'a', 100_000, 1_000);
    cache.checkAndRemember('i', 'b', 100_000, 1_000);
    // Later: "old" has expired and leaves first, so there is room without evicting a live entry.
    expect(cache.checkAndRemember('i', 'c', 100_000, 71_000)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.checkAndRemember('i', 'a', 100_000, 71_000)).toBe(false);
    // Full of live entries: the oldest ("a") makes way.
    expect(cache.checkAndRemember('i', 'd', 100_000, 72_000)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.checkAndRemember('i', 'c', 100_000, 72_000)).toBe(false);
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
