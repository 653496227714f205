import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from './circuit-breaker.js';

describe('createCircuitBreaker', () => {
  const setup = (failures = 3, cooldownMs = 1000) => {
    let t = 0;
    const breaker = createCircuitBreaker({ failures, cooldownMs, now: () => t });
    return { breaker, advance: (ms: number) => (t += ms) };
  };

  it('opens after N consecutive failures, per key', () => {
    const { breaker } = setup();
    for (let i = 0; i < 2; i++) {
      expect(breaker.acquire('a')).toBe('pass');
      breaker.failure('a');
    }
    expect(breaker.state('a')).toBe('closed');
    breaker.failure('a');
    expect(breaker.state('a')).toBe('open');
    expect(breaker.acquire('a')).toBe('reject');
    expect(breaker.acquire('b')).toBe('pass');
    expect(breaker.openKeys()).toEqual(['a']);
  });

  it('lets exactly one probe through after the cool-down; a success closes, a failure re-opens', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure('a');
    advance(999);
    expect(breaker.acquire('a')).toBe('reject');
    advance(1);
    expect(breaker.state('a')).toBe('half-open');
    expect(breaker.acquire('a')).toBe('probe');
    expect(breaker.acquire('a')).toBe('reject');
    breaker.failure('a');
    expect(breaker.state('a')).toBe('open');
    advance(1000);
    expect(breaker.acquire('a')).toBe('probe');
    breaker.success('a');
    expect(breaker.state('a')).toBe('closed');
    expect(breaker.acquire('a')).toBe('pass');
    expect(breaker.openKeys()).toEqual([]);
  });

  it('a neutral outcome frees the probe slot without closing', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure('a');
    advance(1000);
    expect(breaker.acquire('a')).toBe('probe');
    breaker.neutral('a');
    expect(breaker.acquire('a')).toBe('probe');
  });

  it('a success resets the consecutive count', () => {
    const { breaker } = setup();
    breaker.failure('a');
    breaker.failure('a');
    breaker.success('a');
    breaker.failure('a');
    breaker.failure('a');
    expect(breaker.state('a')).toBe('closed');
  });

  it('failures 0 disables it', () => {
    const { breaker } = setup(0);
    for (let i = 0; i < 100; i++) breaker.failure('a');
    expect(breaker.acquire('a')).toBe('pass');
  });
});
