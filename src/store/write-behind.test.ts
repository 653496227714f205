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

  it('flushes before every feedback write and on close, so feedback always joins a stored card', async () => {
    const { store, calls } = fakeStore();
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: () => {} });
    await wb.recordShownCards([card(1)]);
    await wb.recordFeedback('s', [], new Date());
    await wb.recordShownCards([card(2)]);
    await wb.close();
    expect(calls).toEqual(['write', 'feedback', 'write', 'close']);
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

  it('keeps the cards of a failed flush and writes them on the next one', async () => {
    const { store, written } = fakeStore();
    let fail = true;
    store.recordShownCards = vi.fn(async (cards: ShownCard[]) => {
      if (fail) throw new Error('disk full');
      written.push(cards);
    });
    const errors: unknown[] = [];
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 1, onError: (e) => errors.push(e) });
    await wb.recordShownCards([card(1)]);
    await expect(wb.recordFeedback('s', [], new Date())).rejects.toThrow('disk full');
    fail = false;
    await wb.recordShownCards([card(2)]);
    await wb.recordFeedback('s', [], new Date());
    expect(written.flat().map((c) => c.cardUuid)).toEqual(['c1', 'c2']);
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
