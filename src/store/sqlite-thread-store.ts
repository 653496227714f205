/**
 * CdsStore on SQLite with no synchronous I/O on the caller's thread: SqliteStore runs inside a
 * worker thread (sqlite-worker.ts), so its statements, commits, fsyncs and WAL checkpoints never
 * block the event loop. Every call is one message round trip (arguments and results by structured
 * clone, which keeps Date, Set and Map), answered in the order sent: a read sees every write sent
 * before it, and recordFeedback resolves only after the worker's transaction committed
 * (synchronous = FULL), as with SqliteStore itself.
 *
 * If the thread stops unexpectedly, every pending call rejects and later calls reject with
 * "store worker stopped …" (nothing hangs). The thread keeps the process alive only while a call is
 * pending; close() closes the database on the thread and ends it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RuleId } from '../cop/knowledge.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import type {
  SqliteSettings,
  StoreCalls,
  StoreMethod,
  StoreReply,
  StoreRequest,
  StoreStartup,
  StoreWorkerData,
  WorkerError,
} from './sqlite-worker.js';
import type { CdsStore, FeedbackItem, FeedbackResult, ShownCard } from './types.js';

export type { SqliteSettings } from './sqlite-worker.js';

/** Tests only. */
export interface ThreadOptions {
  /** Let the worker answer the test* calls (ThreadedSqliteStore.testCall). */
  testHooks?: boolean;
  /** Called with the worker as soon as it is created (e.g. to terminate it from a test). */
  onWorker?: (worker: Worker) => void;
}

/**
 * Compiled (dist/, `.js`): sqlite-worker.js next to this module, under plain node. From the `.ts`
 * sources (vitest, tsx): sqlite-worker.ts, through a bootstrap that registers tsx on the thread
 * first. (`execArgv: ['--import', 'tsx']` is not enough: on Node 20, tsx's `--import` entry
 * registers its loader on the main thread only, and the thread then refuses the `.ts` file.)
 */
function workerEntry(): { filename: string | URL; eval: boolean; execArgv?: string[]; bootstrap?: { tsx: string; entry: string } } {
  if (!import.meta.url.endsWith('.ts')) return { filename: new URL('./sqlite-worker.js', import.meta.url), eval: false };
  return {
    filename: TS_BOOTSTRAP,
    eval: true,
    execArgv: [],
    bootstrap: { tsx: tsxEsmApiUrl(), entry: new URL('./sqlite-worker.ts', import.meta.url).href },
  };
}

/** CommonJS, as eval'd workers are: registers tsx's ESM hooks on this thread, then loads the entry. */
const TS_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.bootstrap.tsx).then((tsx) => {
  tsx.register();
  return import(workerData.bootstrap.entry);
});
`;

/** `tsx/esm/api` as an ESM file URL (the package's own exports map; tsx is a devDependency). */
function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = require('tsx/package.json') as { exports?: Record<string, unknown> };
  const api = exports?.['./esm/api'];
  const target =
    typeof api === 'string'
      ? api
      : ((api as { import?: string | { default?: string } } | undefined)?.import as { default?: string } | string | undefined);
  const file = typeof target === 'string' ? target : target?.default;
  if (!file) throw new Error('cannot find tsx/esm/api to run the store worker from TypeScript sources; run the compiled build');
  return pathToFileURL(path.join(path.dirname(manifest), file)).href;
}

const ERROR_TYPES: Record<string, new (message: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** The worker's error on this thread: same class (when built in), name, message and code. */
function fromWorkerError(e: WorkerError): Error {
  const error = new (ERROR_TYPES[e.name] ?? Error)(e.message);
  if (error.name !== e.name) Object.defineProperty(error, 'name', { value: e.name, configurable: true, writable: true });
  if (e.code !== undefined) (error as Error & { code?: string | number }).code = e.code;
  if (e.stack) error.stack = e.stack;
  return error;
}

type Result<M extends StoreMethod> = Awaited<ReturnType<StoreCalls[M]>>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ThreadedSqliteStore implements CdsStore {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set once the worker stopped unexpectedly; every later call rejects with it. */
  private stopped: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly secret: string,
  ) {
    worker.on('message', (reply: StoreReply) => this.settle(reply));
    worker.on('error', (error: Error) => this.stop(`store worker stopped: ${error.message}`));
    worker.on('messageerror', (error: Error) => {
      // A reply that cannot be read leaves its caller waiting for ever: stop instead.
      this.stop(`store worker stopped: unreadable message (${error.message})`);
      void worker.terminate();
    });
    worker.on('exit', (code) => this.stop(`store worker stopped (exit code ${code})`));
    // Idle, the worker does not keep the process alive (as SqliteStore holds no handle); a
    // pending call does.
    worker.unref();
  }

  /** Starts the worker, which opens and migrates the database; rejects with the open's own error. */
  static async open(file: string, options: SqliteStoreOptions = {}, thread: ThreadOptions = {}): Promise<ThreadedSqliteStore> {
    const entry = workerEntry();
    const workerData: StoreWorkerData & { bootstrap?: { tsx: string; entry: string } } = {
      file,
      options,
      testHooks: thread.testHooks === true,
      ...(entry.bootstrap ? { bootstrap: entry.bootstrap } : {}),
    };
    const worker = new Worker(entry.filename, {
      eval: entry.eval,
      workerData,
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    });
    thread.onWorker?.(worker);
    let startup: StoreStartup;
    try {
      startup = await new Promise<StoreStartup>((resolve, reject) => {
        const cleanup = (): void => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        const onMessage = (message: StoreStartup): void => {
          cleanup();
          resolve(message);
        };
        const onError = (error: Error): void => {
          cleanup();
          reject(error);
        };
        const onExit = (code: number): void => {
          cleanup();
          reject(new Error(`store worker stopped (exit code ${code}) before opening ${file}`));
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
      });
    } catch (error) {
      worker.on('error', () => undefined); // already reported; only the thread's end is awaited now
      await worker.terminate();
      throw error;
    }
    if (startup.type === 'failed') {
      worker.on('error', () => undefined);
      await worker.terminate();
      throw fromWorkerError(startup.error);
    }
    return new ThreadedSqliteStore(worker, startup.patientKeySecret);
  }

  /** One round trip. Posted synchronously, so calls reach the worker in the order they were made. */
  private call<M extends StoreMethod>(method: M, ...args: Parameters<StoreCalls[M]>): Promise<Result<M>> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.send(method, args);
  }

  private send<M extends StoreMethod>(method: M, args: unknown[]): Promise<Result<M>> {
    if (this.stopped) return Promise.reject(new Error(this.stopped.message));
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      try {
        this.worker.postMessage({ id, method, args } satisfies StoreRequest);
      } catch (error) {
        // E.g. an argument structured clone cannot copy (a function).
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private settle(reply: StoreReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(fromWorkerError(reply.error));
  }

  private stop(reason: string): void {
    this.stopped ??= new Error(reason);
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(new Error(this.stopped.message));
  }

  recordShownCards(cards: ShownCard[]): Promise<void> {
    return this.call('recordShownCards', cards);
  }

  /** Resolves once the worker's transaction committed (synchronous = FULL): durably stored. */
  recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
    return this.call('recordFeedback', serviceId, items, receivedAt);
  }

  overriddenRules(patientKey: string, ruleIds: RuleId[], since: Date): Promise<Set<RuleId>> {
    return this.call('overriddenRules', patientKey, ruleIds, since);
  }

  shownRules(patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<RuleId>> {
    return this.call('shownRules', patientKey, ruleIds, since, hook);
  }

  /** Read once, when the worker opened the store (it never changes while open). */
  async patientKeySecret(): Promise<string> {
    return this.secret;
  }

  ping(): Promise<void> {
    return this.call('ping');
  }

  probeWrite(): Promise<void> {
    return this.call('probeWrite');
  }

  ruleIdsOfCards(cardUuids: string[]): Promise<Map<string, RuleId>> {
    return this.call('ruleIdsOfCards', cardUuids);
  }

  /** The connection's durability settings (SqliteStore.settings(), read on the worker). */
  settings(): Promise<SqliteSettings> {
    return this.call('settings');
  }

  /** Tests only: a test hook of the worker (the store must be opened with `testHooks`). */
  testCall<M extends 'testExit' | 'testThrow' | 'testHold' | 'testPragma'>(method: M, ...args: Parameters<StoreCalls[M]>): Promise<Result<M>> {
    return this.call(method, ...args);
  }

  /**
   * Closes the database on the worker (after the calls already sent), then ends the worker.
   * Harmless twice, and after the worker stopped.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      try {
        if (!this.stopped) await this.send('close', []);
      } catch (error) {
        // The worker stopped meanwhile: the thread, and its connection, are gone.
        if (!this.stopped) throw error;
      } finally {
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }
}

/** Opens the SQLite store at `file` on its own thread (see ThreadedSqliteStore). */
export function openThreadedSqliteStore(
  file: string,
  options: SqliteStoreOptions = {},
  thread: ThreadOptions = {},
): Promise<ThreadedSqliteStore> {
  return ThreadedSqliteStore.open(file, options, thread);
}
