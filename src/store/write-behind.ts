/**
 * Shown-card records written behind the response: a hook call enqueues its cards and returns; the
 * queue is committed in one transaction every few milliseconds (or when it grows), so the hot
 * path pays no fsync. Feedback is never queued: it is committed before its 200.
 *
 * Reads and feedback writes flush the queue first, so the store behaves exactly as if every card
 * had been written synchronously (suppression and feedback joins see every card answered before
 * them). What a crash can lose is at most the last `flushMs` of shown-card records, never feedback.
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

  return {
    async recordShownCards(cards: ShownCard[]): Promise<void> {
      if (cards.length === 0) return;
      queue.push(...cards);
      if (queue.length >= options.maxBatch) backgroundFlush();
      else timer ??= setTimeout(backgroundFlush, options.flushMs);
    },
    async recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
      await flush();
      return store.recordFeedback(serviceId, items, receivedAt);
    },
    async overriddenRules(patientKey: string, ruleIds: RuleId[], since: Date): Promise<Set<RuleId>> {
      await flush();
      return store.overriddenRules(patientKey, ruleIds, since);
    },
    async shownRules(patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<RuleId>> {
      await flush();
      return store.shownRules(patientKey, ruleIds, since, hook);
    },
    patientKeySecret: () => store.patientKeySecret(),
    async close(): Promise<void> {
      await flush();
      await store.close();
    },
  };
}
