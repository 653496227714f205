/**
 * The thread the SQLite store runs on (started by sqlite-thread-store.ts, never run directly):
 * opens and migrates SqliteStore here, reports `ready` (or the error that stopped it), then answers
 * the main thread's calls one at a time, in the order they were sent. Every statement, commit,
 * fsync and WAL checkpoint happens on this thread; the main thread's event loop only posts and
 * receives messages. After `close` the database is closed, the port too, and the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RuleId } from '../cop/knowledge.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { FeedbackItem, FeedbackResult, ShownCard } from './types.js';

/** What SqliteStore.settings() answers. */
export type SqliteSettings = ReturnType<SqliteStore['settings']>;

/** The calls the thread answers: the CdsStore methods, settings(), and (only when enabled) test hooks. */
export interface StoreCalls {
  recordShownCards(cards: ShownCard[]): Promise<void>;
  recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult>;
  overriddenRules(patientKey: string, ruleIds: RuleId[], since: Date): Promise<Set<RuleId>>;
  shownRules(patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<RuleId>>;
  patientKeySecret(): Promise<string>;
  ping(): Promise<void>;
  probeWrite(): Promise<void>;
  ruleIdsOfCards(cardUuids: string[]): Promise<Map<string, RuleId>>;
  settings(): Promise<SqliteSettings>;
  close(): Promise<void>;
  /** Test hook: the thread ends at once with this exit code, as if it had crashed. */
  testExit(code: number): Promise<never>;
  /** Test hook: an uncaught exception on the thread (the Worker's `error` event). */
  testThrow(message: string): Promise<void>;
  /** Test hook: blocks the thread until `flag[0]` is no longer 0 (Atomics.notify wakes it). */
  testHold(flag: Int32Array): Promise<void>;
  /** Test hook: a pragma on the thread's connection (e.g. max_page_count, a full "disk"). */
  testPragma(pragma: string): Promise<unknown>;
}

export type StoreMethod = keyof StoreCalls;

export interface StoreWorkerData {
  file: string;
  options: SqliteStoreOptions;
  /** Answer the test* calls (tests only); otherwise they are refused like unknown methods. */
  testHooks: boolean;
}

export interface StoreRequest {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

/** An error as it crosses the thread boundary (structured clone keeps neither `code` nor subclasses). */
export interface WorkerError {
  name: string;
  message: string;
  code?: string | number;
  stack?: string;
}

export type StoreReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WorkerError };

export type StoreStartup = { type: 'ready'; patientKeySecret: string } | { type: 'failed'; error: WorkerError };

export function toWorkerError(error: unknown): WorkerError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(error.stack ? { stack: error.stack } : {}),
  };
}

async function serve(port: NonNullable<typeof parentPort>, data: StoreWorkerData): Promise<void> {
  let store: SqliteStore;
  let secret: string;
  try {
    store = SqliteStore.open(data.file, data.options);
    secret = await store.patientKeySecret();
  } catch (error) {
    // Nothing listens on the port any more, so the thread ends once this is sent.
    port.postMessage({ type: 'failed', error: toWorkerError(error) } satisfies StoreStartup);
    port.close();
    return;
  }

  const calls: { [M in StoreMethod]: (...args: Parameters<StoreCalls[M]>) => ReturnType<StoreCalls[M]> | Awaited<ReturnType<StoreCalls[M]>> } = {
    recordShownCards: (cards) => store.recordShownCards(cards),
    recordFeedback: (serviceId, items, receivedAt) => store.recordFeedback(serviceId, items, receivedAt),
    overriddenRules: (patientKey, ruleIds, since) => store.overriddenRules(patientKey, ruleIds, since),
    shownRules: (patientKey, ruleIds, since, hook) => store.shownRules(patientKey, ruleIds, since, hook),
    patientKeySecret: () => store.patientKeySecret(),
    ping: () => store.ping(),
    probeWrite: () => store.probeWrite(),
    ruleIdsOfCards: (cardUuids) => store.ruleIdsOfCards(cardUuids),
    settings: () => store.settings(),
    close: () => store.close(),
    testExit: (code) => process.exit(code),
    testThrow: async (message) => {
      setImmediate(() => {
        throw new Error(message);
      });
    },
    testPragma: async (pragma) => store.testPragma(pragma),
    testHold: async (flag) => {
      while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0);
    },
  };

  port.on('message', (request: StoreRequest) => {
    void answer(request);
  });

  async function answer({ id, method, args }: StoreRequest): Promise<void> {
    let reply: StoreReply;
    try {
      if (!Object.hasOwn(calls, method) || (method.startsWith('test') && !data.testHooks)) {
        throw new Error(`unknown store call ${String(method)}`);
      }
      // SqliteStore does all of a call's work synchronously before its promise settles, so calls
      // run one after another in arrival order (a read sees every write sent before it).
      const value: unknown = await (calls[method] as (...a: unknown[]) => unknown)(...args);
      reply = { id, ok: true, value };
    } catch (error) {
      reply = { id, ok: false, error: toWorkerError(error) };
    }
    port.postMessage(reply);
    if (method === 'close' && reply.ok) port.close();
  }

  port.postMessage({ type: 'ready', patientKeySecret: secret } satisfies StoreStartup);
}

if (!parentPort) throw new Error('sqlite-worker runs as a worker thread started by sqlite-thread-store');
await serve(parentPort, workerData as StoreWorkerData);
