import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RuleId } from '../cop/knowledge.js';
import { openSqliteStore } from './sqlite-store.js';
import type { CdsStore, ShownCard } from './types.js';
import { withWriteBehind } from './write-behind.js';

const card = (n: number): ShownCard => ({
  cardUuid: `c${n}`, ruleId: 'COP-R20', serviceId: 's', hook: 'patient-view', hookInstance: 'h', patientKey: 'k',
  indicator: 'info', suggestionUuids: [], shownAt: new Date('2026-11-25T10:00:00Z'),
});

function fakeStore() {
  const written: ShownCard[][] = [];
  const calls: string[] = [];
  const store: CdsStore = {
    recordShownCards: vi.fn(async (cards: ShownCard[]) => { written.push(cards); calls.push('write'); }),
    recordFeedback: vi.fn(async () => { calls.push('feedback'); return { stored: 1, duplicates: 0 }; }),
    overriddenRules: vi.fn(async () => { calls.push('overridden'); return new Set<RuleId>(); }),
    shownRules: vi.fn(async () => { calls.push('shown'); return new Set<RuleId>(); }),
    patientKeySecret: async () => 'secret-secret-secret',
    close: vi.fn(async () => { calls.push('close'); }),
  };
  return { store, written, calls };
}

afterEach(() => vi.useRealTimers());

describe('withWriteBehind', () => {
  it('commits queued cards in one batch after flushMs, not per call', async () => {
    vi.useFakeTimers();
    const { store, written } = fakeStore();
    const wb = withWriteBehind(store, { flushMs: 20, maxBatch: 100, onError: () => {} });
    await wb.recordShownCards([card(1)]);
    await wb.recordShownCards([card(2), card(3)]);
    expect(written).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(written.map((b) => b.map((c) => c.cardUuid))).toEqual([['c1', 'c2', 'c3']]);
  });

  it('commits at once when maxBatch cards are waiting', async () => {
    const { store, written } = fakeStore();
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 2, onError: () => {} });
    await wb.recordShownCards([card(1), card(2)]);
    await wb.recordFeedback('s', [], new Date());
    expect(written.map((b) => b.length)).toEqual([2]);
  });

  it('feedback never waits for the queue (it carries a queued card\'s patient and rule); close flushes', async () => {
    const { store, calls } = fakeStore();
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: () => {} });
    await wb.recordShownCards([card(1)]);
    const item = { cardUuid: 'c1', outcome: 'overridden' as const, acceptedSuggestions: [], hadUserComment: false, outcomeTimestamp: 'x' };
    await wb.recordFeedback('s', [item], new Date());
    expect(vi.mocked(store.recordFeedback).mock.calls[0]![1]).toEqual([{ ...item, knownCard: { patientKey: 'k', ruleId: 'COP-R20' } }]);
    await wb.recordShownCards([card(2)]);
    await wb.close();
    expect(calls).toEqual(['feedback', 'write', 'close']);
  });

  it('answers shown-card reads from the store plus the queue, without a commit', async () => {
    const { store, calls } = fakeStore();
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: () => {} });
    await wb.recordShownCards([card(1)]);
    const since = new Date('2026-11-01T00:00:00Z');
    expect(await wb.shownRules('k', ['COP-R20'], since, 'patient-view')).toEqual(new Set(['COP-R20']));
    expect(await wb.shownRules('other-patient', ['COP-R20'], since)).toEqual(new Set());
    expect(await wb.shownRules('k', ['COP-R20'], new Date('2026-12-01T00:00:00Z'))).toEqual(new Set());
    expect(await wb.shownRules('k', ['COP-R20'], since, 'order-select')).toEqual(new Set());
    await wb.overriddenRules('k', ['COP-R20'], since);
    expect(calls).toEqual(['shown', 'shown', 'shown', 'shown', 'overridden']);
  });

  it('does not keep cards recorded after close began, and says so', async () => {
    const { store, written } = fakeStore();
    const errors: unknown[] = [];
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: (e) => errors.push(e) });
    await wb.close();
    await wb.recordShownCards([card(9)]);
    expect(written).toEqual([]);
    expect(String(errors[0])).toMatch(/not kept/);
  });

  it('reports cards recorded after close began to onDiscarded when given, not as an error', async () => {
    const { store, written } = fakeStore();
    const errors: unknown[] = [];
    const discarded: number[] = [];
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: (e) => errors.push(e), onDiscarded: (n) => discarded.push(n) });
    await wb.close();
    await wb.recordShownCards([card(9), card(10)]);
    expect(written).toEqual([]);
    expect(discarded).toEqual([2]);
    expect(errors).toEqual([]);
  });

  it('keeps the cards of a flush the store could not take, and retries them with back-off; feedback is not blocked', async () => {
    vi.useFakeTimers();
    const { store, written } = fakeStore();
    let fail = true;
    let attempts = 0;
    store.recordShownCards = vi.fn(async (cards: ShownCard[]) => {
      attempts += 1;
      if (fail) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      written.push(cards);
    });
    const errors: unknown[] = [];
    const wb = withWriteBehind(store, { flushMs: 100, maxBatch: 10, retryMaxMs: 1000, onError: (e) => errors.push(e) });
    await wb.recordShownCards([card(1)]);
    await vi.advanceTimersByTimeAsync(100);
    expect(attempts).toBe(1);
    // Feedback goes straight to the store while shown cards cannot be written.
    await expect(wb.recordFeedback('s', [], new Date())).resolves.toEqual({ stored: 1, duplicates: 0 });
    // Back-off: 200, 400, 800, then 1000 ms (the cap), not one retry per flushMs.
    await vi.advanceTimersByTimeAsync(200);
    expect(attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(399);
    expect(attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toBe(3);
    await vi.advanceTimersByTimeAsync(800 + 1000);
    expect(attempts).toBe(5);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(attempts).toBe(15);
    await expect(wb.ping()).rejects.toThrow(/writes failing: connection refused/);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(written.flat().map((c) => c.cardUuid)).toEqual(['c1']);
    await expect(wb.ping()).resolves.toBeUndefined();
  });

  it('isolates the rows a batch is refused for (a NUL byte), drops only them, counted, and never retries them', async () => {
    const { store, written } = fakeStore();
    let attempts = 0;
    store.recordShownCards = vi.fn(async (cards: ShownCard[]) => {
      attempts += 1;
      if (cards.some((c) => c.hookInstance.includes('\u0000'))) {
        throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
      }
      written.push(cards);
    });
    const drops: [number, string, string | undefined][] = [];
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: () => {}, onDropped: (n, r, c) => drops.push([n, r, c]) });
    const cards = Array.from({ length: 16 }, (_, i) => ({ ...card(i), hookInstance: i === 5 ? 'x\u0000' : 'h' }));
    await wb.recordShownCards(cards);
    await wb.close();
    expect(written.flat().map((c) => c.cardUuid).sort()).toEqual(cards.filter((_, i) => i !== 5).map((c) => c.cardUuid).sort());
    expect(drops).toEqual([[1, 'invalid-data', '22021']]);
    expect(attempts).toBeLessThanOrEqual(2 * 16);
  });

  it('bounds the queue: the oldest shown-card records are dropped and counted', async () => {
    const { store, written } = fakeStore();
    store.recordShownCards = vi.fn(async () => {
      throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' });
    });
    const drops: [number, string][] = [];
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 1000, maxQueue: 5, onError: () => {}, onDropped: (n, r) => drops.push([n, r]) });
    for (let i = 0; i < 8; i += 1) await wb.recordShownCards([card(i)]);
    expect(wb.queued()).toBe(5);
    expect(drops.reduce((n, [k]) => n + k, 0)).toBe(3);
    expect(drops.every(([, r]) => r === 'queue-full')).toBe(true);
    const since = new Date('2026-11-01T00:00:00Z');
    expect(await wb.ruleIdsOfCards(['c0', 'c7'])).toEqual(new Map([['c7', 'COP-R20']]));
    expect(written).toEqual([]);
    expect(await wb.shownRules('k', ['COP-R20'], since)).toEqual(new Set(['COP-R20']));
  });

  it('on a real store, feedback for a still-queued card carries the card and counts as an override at once', async () => {
    const store = await openSqliteStore(':memory:');
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: () => {} });
    try {
      await wb.recordShownCards([card(1)]);
      const at = new Date('2026-11-25T10:05:00Z');
      await wb.recordFeedback(
        's',
        [{ cardUuid: 'c1', outcome: 'overridden', acceptedSuggestions: [], hadUserComment: false, outcomeTimestamp: at.toISOString() }],
        at,
      );
      expect(await wb.overriddenRules('k', ['COP-R20'], new Date('2026-11-25T00:00:00Z'))).toEqual(new Set(['COP-R20']));
      expect(await wb.overriddenRules('other-patient', ['COP-R20'], new Date('2026-11-25T00:00:00Z'))).toEqual(new Set());
    } finally {
      await wb.close();
    }
  });
});
