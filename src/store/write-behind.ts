/**
 * Shown-card records written behind the response: a hook call enqueues its cards and returns; the
 * queue is committed in batches every few milliseconds (or when it grows), so the hot path pays no
 * fsync. Feedback is never queued and never waits for the queue: it is committed before its 200,
 * carrying the patient and rule of a card still queued (FeedbackItem.knownCard), and the stores
 * give feedback that arrived before its card that card's patient and rule when the card is written.
 *
 * Failures (issue 12): a batch the store refuses for its data (a NUL byte, a constraint) is split in
 * halves until the bad rows stand alone; those are dropped with a log line (codes only, no data)
 * and `onDropped(n, 'invalid-data')`, the others written. A batch the store cannot take now (down,
 * timeout, disk full) goes back to the head of the queue and is retried after an exponential
 * back-off (flushMs doubling up to retryMaxMs). The queue holds at most maxQueue records: past it
 * the oldest are dropped (`onDropped(n, 'queue-full')`). While writes fail, ping() rejects with
 * the reason (readiness), and succeeds again once a write (or a write probe) succeeds.
 */
import type { RuleId } from '../cop/knowledge.js';
import { classifyStoreError, storeErrorReason } from './errors.js';
import type { CdsStore, FeedbackItem, FeedbackResult, ShownCard } from './types.js';

export type DropReason = 'invalid-data' | 'queue-full';

export interface WriteBehindOptions {
  /** Longest a shown card waits before it is committed; also the first retry delay. */
  flushMs: number;
  /** Most cards committed in one transaction (a flush starts at once when this many wait). */
  maxBatch: number;
  /** Most cards waiting; the oldest beyond it are dropped. Default 10,000. */
  maxQueue?: number;
  /** Longest wait between two retries of a failing store. Default 30 s. */
  retryMaxMs?: number;
  /** Called when a background flush fails for the store (the cards are kept and retried). */
  onError: (error: unknown) => void;
  /** Called with records dropped: refused for their data (with the error's code) or the queue full. */
  onDropped?: (count: number, reason: DropReason, code?: string) => void;
  /** Called with the number of cards recorded after close began, which are not kept. */
  onDiscarded?: (count: number) => void;
}

export interface WriteBehindStore extends CdsStore {
  /** Cards waiting (queued and in flight). */
  queued(): number;
  ping(): Promise<void>;
  probeWrite(): Promise<void>;
  ruleIdsOfCards(cardUuids: string[]): Promise<Map<string, RuleId>>;
}

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
};

export function withWriteBehind(store: CdsStore, options: WriteBehindOptions): WriteBehindStore {
  const maxQueue = Math.max(1, options.maxQueue ?? 10_000);
  const retryMaxMs = Math.max(options.flushMs, options.retryMaxMs ?? 30_000);
  let queue: ShownCard[] = [];
  let inFlightCards: ShownCard[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let failures = 0;
  /** Why writes fail, while they do (readiness). */
  let writeFailure: string | undefined;
  let closed = false;

  const dropped = (count: number, reason: DropReason, code?: string): void => {
    if (count > 0) options.onDropped?.(count, reason, code);
  };

  const storeAnswers = async (): Promise<boolean> => {
    try {
      if (store.probeWrite) await store.probeWrite();
      else if (store.ping) await store.ping();
      else return false;
      return true;
    } catch {
      return false;
    }
  };

  /** Writes `batch`; answers the cards not written when the store is unavailable (with its error). */
  const writeBatch = async (batch: ShownCard[]): Promise<{ error: unknown; rest: ShownCard[] } | undefined> => {
    try {
      await store.recordShownCards(batch);
      return undefined;
    } catch (error) {
      const kind = classifyStoreError(error);
      if (kind === 'unavailable') return { error, rest: batch };
      if (batch.length === 1) {
        // An error we cannot place: the row is at fault if the store otherwise takes writes.
        if (kind === 'unknown' && !(await storeAnswers())) return { error, rest: batch };
        dropped(1, 'invalid-data', codeOf(error));
        return undefined;
      }
      const half = Math.ceil(batch.length / 2);
      const parts = [batch.slice(0, half), batch.slice(half)];
      for (let i = 0; i < parts.length; i += 1) {
        const failed = await writeBatch(parts[i]!);
        if (failed) return { error: failed.error, rest: [...failed.rest, ...parts.slice(i + 1).flat()] };
      }
      return undefined;
    }
  };

  const schedule = (ms: number): void => {
    if (closed || timer) return;
    timer = setTimeout(backgroundFlush, ms);
  };

  const flushOnce = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, options.maxBatch);
      queue = queue.slice(batch.length);
      inFlightCards = batch;
      const failed = await writeBatch(batch);
      inFlightCards = [];
      if (failed) {
        queue = [...failed.rest, ...queue];
        trim();
        failures += 1;
        writeFailure = storeErrorReason(failed.error);
        throw failed.error;
      }
      failures = 0;
      writeFailure = undefined;
    }
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    inFlight = inFlight.catch(() => undefined).then(flushOnce);
    return inFlight;
  };

  function backgroundFlush(): void {
    timer = undefined;
    flush().then(
      () => undefined,
      (error: unknown) => {
        options.onError(error);
        // Exponential back-off with a cap; new cards do not hurry a failing store.
        schedule(Math.min(retryMaxMs, options.flushMs * 2 ** Math.min(failures, 20)));
      },
    );
  }

  const trim = (): void => {
    const excess = queue.length + inFlightCards.length - maxQueue;
    if (excess > 0) {
      const n = Math.min(excess, queue.length);
      queue = queue.slice(n);
      dropped(n, 'queue-full');
    }
  };

  const waiting = (): ShownCard[] => (inFlightCards.length > 0 ? [...inFlightCards, ...queue] : queue);

  /** Queued cards for one patient, in the shape the store's own query would answer. */
  const queuedRules = (patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): RuleId[] =>
    waiting()
      .filter((c) => c.patientKey === patientKey && ruleIds.includes(c.ruleId) && c.shownAt >= since && (hook === undefined || c.hook === hook))
      .map((c) => c.ruleId);

  return {
    queued: () => queue.length + inFlightCards.length,
    async recordShownCards(cards: ShownCard[]): Promise<void> {
      if (cards.length === 0) return;
      if (closed) {
        // A call that finished after shutdown began: nothing will flush it any more.
        if (options.onDiscarded) options.onDiscarded(cards.length);
        else options.onError(new Error(`store closing: ${cards.length} shown-card record(s) not kept`));
        return;
      }
      queue.push(...cards);
      trim();
      if (failures > 0) schedule(options.flushMs); // a retry is already scheduled; no hurry
      else if (queue.length >= options.maxBatch) backgroundFlush();
      else schedule(options.flushMs);
    },
    async recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
      // No flush: feedback never waits for (or fails with) shown-card records. A card still queued
      // lends its patient and rule, so the override window sees this feedback at once.
      const byUuid = new Map(waiting().map((c) => [c.cardUuid, c] as const));
      const withCards = items.map((item) => {
        const c = byUuid.get(item.cardUuid);
        return c && !item.knownCard ? { ...item, knownCard: { patientKey: c.patientKey, ruleId: c.ruleId } } : item;
      });
      try {
        const result = await store.recordFeedback(serviceId, withCards, receivedAt);
        if (queue.length === 0) writeFailure = undefined;
        return result;
      } catch (error) {
        if (classifyStoreError(error) !== 'data') writeFailure = storeErrorReason(error);
        throw error;
      }
    },
    overriddenRules: (patientKey, ruleIds, since) => store.overriddenRules(patientKey, ruleIds, since),
    // The store's answer plus what is still queued: the read costs no commit and still sees every
    // card answered before it.
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
      if (writeFailure !== undefined) {
        // Writes failed last time: a full disk still answers SELECT 1, so ask for a write.
        if (store.probeWrite) {
          try {
            await store.probeWrite();
          } catch (error) {
            writeFailure = storeErrorReason(error);
            throw new Error(`store writes failing: ${writeFailure}`);
          }
          // The store takes writes again: retry what waits now rather than at the back-off's end.
          writeFailure = undefined;
          if (queue.length > 0) backgroundFlush();
        } else {
          throw new Error(`store writes failing: ${writeFailure}`);
        }
      }
    },
    async probeWrite(): Promise<void> {
      if (store.probeWrite) await store.probeWrite();
    },
    async ruleIdsOfCards(cardUuids: string[]): Promise<Map<string, RuleId>> {
      const found = new Map(waiting().filter((c) => cardUuids.includes(c.cardUuid)).map((c) => [c.cardUuid, c.ruleId] as const));
      const missing = cardUuids.filter((u) => !found.has(u));
      if (missing.length > 0 && store.ruleIdsOfCards) {
        for (const [uuid, ruleId] of await store.ruleIdsOfCards(missing)) found.set(uuid, ruleId);
      }
      return found;
    },
    async close(): Promise<void> {
      closed = true;
      try {
        await flush();
      } catch (error) {
        // The store is down at shutdown: the cards cannot be kept; say so, and still close.
        options.onError(error);
      } finally {
        await store.close();
      }
    },
  };
}
