/**
 * Counts stored feedback by outcome and the rule of its card. The card may have been shown by
 * another replica whose shown-card record is still queued behind its response (write-behind, 100 ms):
 * such items wait here and are looked up again until the card's record lands, then counted under its
 * rule; only a card the store never learns of within `giveUpMs` is counted as `unknown`.
 */
import type { RuleId } from '../cop/knowledge.js';
import type { CdsObserver } from './observer.js';

type Outcome = 'accepted' | 'overridden';

export interface FeedbackCounterOptions {
  /** The rule of each card uuid the store knows (shown-card records, queued ones included). */
  ruleIdsOfCards?: (cardUuids: string[]) => Promise<Map<string, RuleId>>;
  /** How often waiting items are looked up again. */
  retryMs?: number;
  /** After this long a card still unknown to the store is counted as `unknown`. */
  giveUpMs?: number;
  /** Most items waiting; beyond it the oldest are counted as `unknown` at once (bounded memory). */
  maxWaiting?: number;
  onLookupError?: (error: unknown) => void;
  now?: () => number;
}

export interface FeedbackCounter {
  count(items: readonly { cardUuid: string; outcome: Outcome }[]): Promise<void>;
  /** Items waiting for their card's record. */
  waiting(): number;
  /** Counts what still waits as `unknown` and stops the timer. */
  close(): void;
}

interface Waiting {
  cardUuid: string;
  outcome: Outcome;
  since: number;
}

export function createFeedbackCounter(observer: CdsObserver, options: FeedbackCounterOptions): FeedbackCounter {
  const retryMs = options.retryMs ?? 500;
  const giveUpMs = options.giveUpMs ?? 30_000;
  const maxWaiting = options.maxWaiting ?? 10_000;
  const now = options.now ?? Date.now;
  let waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  let looking = false;

  const countUnknown = (items: readonly Waiting[]) => {
    if (items.length > 0) observer.feedback(items.map((i) => ({ outcome: i.outcome, ruleId: undefined })));
  };

  /** Counts the items whose rule the store knows; returns the rest. */
  const resolve = async <T extends { cardUuid: string; outcome: Outcome }>(items: readonly T[]): Promise<T[]> => {
    if (!options.ruleIdsOfCards || items.length === 0) return [...items];
    let rules: Map<string, RuleId>;
    try {
      rules = await options.ruleIdsOfCards(items.map((i) => i.cardUuid));
    } catch (error) {
      options.onLookupError?.(error);
      return [...items];
    }
    const known = items.filter((i) => rules.has(i.cardUuid));
    if (known.length > 0) observer.feedback(known.map((i) => ({ outcome: i.outcome, ruleId: rules.get(i.cardUuid) })));
    return items.filter((i) => !rules.has(i.cardUuid));
  };

  const retry = async () => {
    if (looking) return;
    looking = true;
    // Items counted while this lookup runs join `waiting` anew and are kept after it.
    const batch = waiting;
    waiting = [];
    try {
      const still = await resolve(batch);
      const t = now();
      countUnknown(still.filter((i) => t - i.since >= giveUpMs));
      waiting = still.filter((i) => t - i.since < giveUpMs).concat(waiting);
    } finally {
      looking = false;
      if (waiting.length === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    }
  };

  return {
    async count(items) {
      const unresolved = await resolve(items);
      if (unresolved.length === 0) return;
      if (!options.ruleIdsOfCards) return countUnknown(unresolved.map((i) => ({ ...i, since: 0 })));
      const t = now();
      waiting.push(...unresolved.map((i) => ({ cardUuid: i.cardUuid, outcome: i.outcome, since: t })));
      if (waiting.length > maxWaiting) countUnknown(waiting.splice(0, waiting.length - maxWaiting));
      if (!timer) {
        timer = setInterval(() => void retry(), retryMs);
        timer.unref();
      }
    },
    waiting: () => waiting.length,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      countUnknown(waiting.splice(0));
    },
  };
}
