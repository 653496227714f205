/**
 * Shown-card records written behind the response: a hook call enqueues its cards and returns; the
 * queue is committed in one transaction every few milliseconds (or when it grows), so the hot
 * path pays no fsync. Feedback is never queued: it is committed before its 200.
 *
 * Feedback writes flush the queue first, and reads of shown cards add what is still queued, so the
 * store behaves exactly as if every card had been written synchronously (suppression and feedback
 * joins see every card answered before them) without a commit on the read path. What a crash can
 * lose is at most the last `flushMs` of shown-card records, never feedback.
 */
import type { RuleId } from '../cop/knowledge.js';
import type { CdsStore, FeedbackItem, FeedbackResult, ShownCard } from './types.js';

export interface WriteBehindOptions {
  /** Longest a shown card waits before it is committed. */
  flushMs: number;
  /** Commit at once when this many cards are waiting. */
  maxBatch: number;
  /** Called when a background flush fails (the cards are kept and retried on the next flush). */
  onError: (error: unknown) => void;
  /**
   * Called with the number of cards recorded after close began, which are not kept. The server
   * closes the store only once its connected clients are answered, so such a call's client had
   * hung up: nobody saw those cards. Without it, onError is told.
   */
  onDiscarded?: (count: number) => void;
}

export function withWriteBehind(store: CdsStore, options: WriteBehindOptions): CdsStore {
  let queue: ShownCard[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    // Chained, so flushes commit in order and a reader waits for the one under way; an earlier
    // failure (already reported to its caller) must not block later flushes.
    inFlight = inFlight.catch(() => undefined).then(async () => {
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      try {
        await store.recordShownCards(batch);
      } catch (error) {
        queue = [...batch, ...queue];
        throw error;
      }
    });
    return inFlight;
  };

  const backgroundFlush = (): void => {
    flush().catch(options.onError);
  };

  let closed = false;

  /** Queued cards for one patient, in the shape the store's own query would answer. */
  const queuedRules = (patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): RuleId[] =>
    queue
      .filter((c) => c.patientKey === patientKey && ruleIds.includes(c.ruleId) && c.shownAt >= since && (hook === undefined || c.hook === hook))
      .map((c) => c.ruleId);

  return {
    async recordShownCards(cards: ShownCard[]): Promise<void> {
      if (cards.length === 0) return;
      if (closed) {
        // A call that finished after shutdown began: nothing will flush it any more.
        if (options.onDiscarded) options.onDiscarded(cards.length);
        else options.onError(new Error(`store closing: ${cards.length} shown-card record(s) not kept`));
        return;
      }
      queue.push(...cards);
      if (queue.length >= options.maxBatch) backgroundFlush();
      else timer ??= setTimeout(backgroundFlush, options.flushMs);
    },
    async recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
      // The cards first: the store copies each card's patient and rule onto its feedback as it
      // inserts it, and overriddenRules reads feedback alone.
      await flush();
      return store.recordFeedback(serviceId, items, receivedAt);
    },
    // No flush needed: feedback is only ever written after a flush, so every card that has
    // feedback is already in the store.
    overriddenRules: (patientKey, ruleIds, since) => store.overriddenRules(patientKey, ruleIds, since),
    // The store's answer plus what is still queued: the read costs no commit (no fsync on a
    // patient-view call) and still sees every card answered before it.
    async shownRules(patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<RuleId>> {
      const queued = queuedRules(patientKey, ruleIds, since, hook);
      const stored = await store.shownRules(patientKey, ruleIds, since, hook);
      for (const ruleId of queued) stored.add(ruleId);
      return stored;
    },
    patientKeySecret: () => store.patientKeySecret(),
    async ping(): Promise<void> {
      if (closed) throw new Error('store is closing');
      // A store without its own ping answers a query that reads nothing.
      if (store.ping) await store.ping();
      else await store.shownRules('readiness-probe', ['COP-R01'], new Date(0));
    },
    // Queued cards first (none once feedback has flushed the queue), then the store.
    async ruleIdsOfCards(cardUuids: string[]): Promise<Map<string, RuleId>> {
      const found = new Map(queue.filter((c) => cardUuids.includes(c.cardUuid)).map((c) => [c.cardUuid, c.ruleId] as const));
      const missing = cardUuids.filter((u) => !found.has(u));
      if (missing.length > 0 && store.ruleIdsOfCards) {
        for (const [uuid, ruleId] of await store.ruleIdsOfCards(missing)) found.set(uuid, ruleId);
      }
      return found;
    },
    async close(): Promise<void> {
      closed = true;
      await flush();
      await store.close();
    },
  };
}
