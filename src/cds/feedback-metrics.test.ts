import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuleId } from '../cop/knowledge.js';
import { createFeedbackCounter } from './feedback-metrics.js';
import type { CdsObserver } from './observer.js';

/** An observer that keeps what it was told, and a store whose cards land when the test says. */
function setup(options: { giveUpMs?: number; maxWaiting?: number } = {}) {
  const counted: { outcome: string; ruleId: string | undefined }[] = [];
  const observer: CdsObserver = { serviceCall: () => undefined, cardsShown: () => undefined, feedback: (items) => counted.push(...items) };
  const landed = new Map<string, RuleId>();
  let failLookups = false;
  let t = 0;
  const counter = createFeedbackCounter(observer, {
    ruleIdsOfCards: async (uuids) => {
      if (failLookups) throw new Error('store away');
      return new Map(uuids.filter((u) => landed.has(u)).map((u) => [u, landed.get(u)!]));
    },
    retryMs: 100,
    giveUpMs: options.giveUpMs ?? 1000,
    ...(options.maxWaiting ? { maxWaiting: options.maxWaiting } : {}),
    now: () => t,
  });
  return {
    counter, counted, landed,
    failLookups: (v: boolean) => { failLookups = v; },
    advance: async (ms: number) => { t += ms; await vi.advanceTimersByTimeAsync(ms); },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('feedback metrics across replicas', () => {
  it('a card the store knows is counted under its rule at once', async () => {
    const s = setup();
    s.landed.set('card-a', 'COP-R01');
    await s.counter.count([{ cardUuid: 'card-a', outcome: 'accepted' }]);
    expect(s.counted).toEqual([{ outcome: 'accepted', ruleId: 'COP-R01' }]);
    expect(s.counter.waiting()).toBe(0);
  });

  it('a card shown by another replica (its record not landed yet) is counted under its rule once it lands, never as unknown', async () => {
    const s = setup();
    await s.counter.count([{ cardUuid: 'card-b', outcome: 'overridden' }]);
    expect(s.counted).toEqual([]);
    expect(s.counter.waiting()).toBe(1);
    await s.advance(250);
    expect(s.counted).toEqual([]);
    s.landed.set('card-b', 'COP-R10');
    await s.advance(100);
    expect(s.counted).toEqual([{ outcome: 'overridden', ruleId: 'COP-R10' }]);
    expect(s.counter.waiting()).toBe(0);
  });

  it('a lookup that fails is retried; a card never learnt within giveUpMs is counted as unknown, once', async () => {
    const s = setup({ giveUpMs: 1000 });
    s.failLookups(true);
    await s.counter.count([{ cardUuid: 'card-c', outcome: 'accepted' }]);
    await s.advance(500);
    expect(s.counted).toEqual([]);
    s.failLookups(false);
    await s.advance(600);
    expect(s.counted).toEqual([{ outcome: 'accepted', ruleId: undefined }]);
    await s.advance(2000);
    expect(s.counted).toHaveLength(1);
  });

  it('is bounded: beyond maxWaiting the oldest are counted as unknown at once; close counts what waits', async () => {
    const s = setup({ maxWaiting: 2 });
    await s.counter.count([1, 2, 3].map((i) => ({ cardUuid: `c${i}`, outcome: 'accepted' as const })));
    expect(s.counter.waiting()).toBe(2);
    expect(s.counted).toEqual([{ outcome: 'accepted', ruleId: undefined }]);
    s.counter.close();
    expect(s.counted).toHaveLength(3);
    expect(s.counter.waiting()).toBe(0);
  });
});
