import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RuleId } from '../cop/knowledge.js';
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
    await wb.shownRules('k', ['COP-R20'], new Date());
    expect(written.map((b) => b.length)).toEqual([2]);
  });

  it('flushes before every read, every feedback write and on close, so nothing answered is invisible', async () => {
    const { store, calls } = fakeStore();
    const wb = withWriteBehind(store, { flushMs: 60_000, maxBatch: 100, onError: () => {} });
    await wb.recordShownCards([card(1)]);
    await wb.overriddenRules('k', ['COP-R20'], new Date());
    await wb.recordShownCards([card(2)]);
    await wb.recordFeedback('s', [], new Date());
    await wb.recordShownCards([card(3)]);
    await wb.close();
    expect(calls).toEqual(['write', 'overridden', 'write', 'feedback', 'write', 'close']);
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
    await expect(wb.shownRules('k', [], new Date())).rejects.toThrow('disk full');
    fail = false;
    await wb.recordShownCards([card(2)]);
    await wb.shownRules('k', [], new Date());
    expect(written.flat().map((c) => c.cardUuid)).toEqual(['c1', 'c2']);
  });
});
