/**
 * The store contract on SQLite run on a worker thread (ThreadedSqliteStore), plus what the thread
 * adds: open failures, a worker that stops, close, and an event loop the commits do not block.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { SqliteStore, openSqliteStore } from '../../src/store/sqlite-store.js';
import { ThreadedSqliteStore, openThreadedSqliteStore } from '../../src/store/sqlite-thread-store.js';
import type { ShownCard } from '../../src/store/types.js';
import { storeContract, type StoreBackend } from './contract.js';
import { sqliteLocation } from './sqlite-location.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const THREAD_STORE = path.join(ROOT, 'src/store/sqlite-thread-store.ts');

const threadedLocation = () => sqliteLocation(openThreadedSqliteStore, 'cop-store-thread-');

const backend: StoreBackend = { fresh: threadedLocation };
storeContract('SQLite on a worker thread', () => backend);

const T0 = Date.UTC(2025, 10, 20, 12, 0, 0);

function cards(n: number, prefix = 'card'): ShownCard[] {
  return Array.from({ length: n }, (_, i) => ({
    cardUuid: `${prefix}-${i}`,
    ruleId: i % 2 === 0 ? 'COP-R20' : 'COP-R10',
    serviceId: 'cop-patient-view',
    hook: 'patient-view',
    hookInstance: `hi-${i}`,
    patientKey: `key-${i % 50}`,
    indicator: 'info',
    suggestionUuids: [`s-${i}`],
    shownAt: new Date(T0 + i),
  }));
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: unknown };
  }
  throw new Error('expected a rejection');
}

/** A Node child running `script` (ESM, through tsx); its exit code or signal and its output. */
function runChild(script: string, args: string[], onLine?: (line: string, kill: () => void) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script, '--', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      onLine?.(line, () => child.kill('SIGKILL'));
    }
  });
  const exited = new Promise<{ how: NodeJS.Signals | number | null; lines: string[]; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      if (buffered) lines.push(...buffered.split('\n').filter(Boolean));
      resolve({ how: signal ?? code, lines, stderr });
    }),
  );
  return exited;
}

describe('SQLite store on a worker thread', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function location() {
    const l = await threadedLocation();
    cleanups.push(l.dispose);
    return l;
  }

  async function opened(thread: Parameters<typeof openThreadedSqliteStore>[2] = {}) {
    const l = await location();
    let worker: Worker | undefined;
    const store = await openThreadedSqliteStore(l.file, { patientKeySecret: 'thread-test-secret-0123456789' }, {
      ...thread,
      onWorker: (w) => (worker = w),
    });
    cleanups.push(() => store.close());
    return { store, worker: worker!, location: l };
  }

  it('opens in WAL mode with synchronous = FULL, on the worker', async () => {
    const { store } = await opened();
    expect(await store.settings()).toEqual({ journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 5000 });
  });

  it('openStore runs SQLite on a thread, :memory: included (one database per store)', async () => {
    const a = await openStore({ sqlitePath: ':memory:' });
    const b = await openStore({ sqlitePath: ':memory:' });
    try {
      expect(a).toBeInstanceOf(ThreadedSqliteStore);
      await a.recordShownCards(cards(1, 'mem'));
      expect(await a.shownRules('key-0', ['COP-R20'], new Date(T0 - 1))).toEqual(new Set(['COP-R20']));
      expect(await b.shownRules('key-0', ['COP-R20'], new Date(T0 - 1))).toEqual(new Set());
      expect(await a.patientKeySecret()).not.toBe(await b.patientKeySecret());
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers with real Dates, Sets and Maps, and keeps the class, message and code of errors', async () => {
    const { store } = await opened();
    await store.recordShownCards(cards(4));
    const shown = await store.shownRules('key-0', ['COP-R20', 'COP-R10'], new Date(T0 - 1));
    expect(shown).toBeInstanceOf(Set);
    expect(shown).toEqual(new Set(['COP-R20']));
    const rules = await store.ruleIdsOfCards(['card-0', 'card-1', 'unknown']);
    expect(rules).toBeInstanceOf(Map);
    expect(rules).toEqual(new Map([['card-0', 'COP-R20'], ['card-1', 'COP-R10']]));
    // A Date arrives as a Date: the window edge is exact to the millisecond.
    expect(await store.shownRules('key-2', ['COP-R20'], new Date(T0 + 2))).toEqual(new Set(['COP-R20']));
    expect(await store.shownRules('key-2', ['COP-R20'], new Date(T0 + 3))).toEqual(new Set());

    const bad = await rejection(store.recordFeedback('s', [], new Date(Number.NaN)));
    expect(bad).toBeInstanceOf(TypeError);
    expect(bad.message).toBe('receivedAt is not a valid Date');
    // An argument structured clone cannot copy rejects that call only.
    const uncloneable = [{ ...cards(1)[0]!, extra: () => 1 }] as unknown as ShownCard[];
    expect((await rejection(store.recordShownCards(uncloneable))).name).toBe('DataCloneError');
    await store.ping();
  });

  describe('open failures', () => {
    it('reject with the synchronous open’s message and code, and leave no worker', async () => {
      const l = await location();
      const notADirectory = path.join(l.dir, 'a-file');
      await writeFile(notADirectory, 'x');
      const garbage = path.join(l.dir, 'garbage.sqlite');
      await writeFile(garbage, 'this is not a database file, only some text that is long enough '.repeat(200));
      for (const file of [path.join(notADirectory, 'store.sqlite'), garbage]) {
        const sync = await rejection(openSqliteStore(file));
        let worker: Worker | undefined;
        let exited = false;
        const threaded = await rejection(
          openThreadedSqliteStore(file, {}, {
            onWorker: (w) => {
              worker = w;
              w.once('exit', () => (exited = true));
            },
          }),
        );
        expect(threaded.message).toBe(sync.message);
        expect(threaded.code).toBe(sync.code);
        expect(threaded.code).toBeDefined();
        expect(threaded.name).toBe(sync.name);
        expect(worker).toBeDefined();
        // The worker has ended by the time the open rejects.
        expect(exited).toBe(true);
      }
    });
  });

  describe('a worker that stops', () => {
    it('rejects the pending calls and every later one when the thread exits', async () => {
      const { store } = await opened({ testHooks: true });
      await store.recordShownCards(cards(3));
      // Sent before the worker reads the exit: these are pending when it ends, never answered.
      const dying = store.testCall('testExit', 7);
      const pending = [store.recordFeedback('s', [], new Date(T0)), store.shownRules('key-0', ['COP-R20'], new Date(T0))];
      for (const p of [dying, ...pending]) {
        expect((await rejection(p)).message).toBe('store worker stopped (exit code 7)');
      }
      expect((await rejection(store.ping())).message).toBe('store worker stopped (exit code 7)');
      expect((await rejection(store.recordShownCards(cards(1, 'late')))).message).toMatch(/store worker stopped/);
      // The secret was read at open; close is harmless, then calls say the store is closed.
      expect(await store.patientKeySecret()).toBe('thread-test-secret-0123456789');
      await store.close();
      await store.close();
      expect((await rejection(store.ping())).message).toBe('store is closed');
    });

    it('rejects pending calls when the worker is terminated from outside', async () => {
      const { store, worker, location: l } = await opened({ testHooks: true });
      // Block the thread so the calls after it are certainly pending.
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const held = store.testCall('testHold', flag);
      const pending = [store.recordShownCards(cards(2)), store.ping(), held];
      await worker.terminate();
      for (const p of pending) expect((await rejection(p)).message).toMatch(/^store worker stopped \(exit code \d+\)$/);
      expect((await rejection(store.overriddenRules('key-0', ['COP-R20'], new Date(T0)))).message).toMatch(/store worker stopped/);
      await store.close();
      // The cards were never committed, and the file is intact.
      const db = new Database(l.file, { readonly: true });
      try {
        expect(db.prepare('SELECT count(*) AS n FROM shown_card').get()).toEqual({ n: 0 });
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    });

    it('rejects later calls when the thread throws an uncaught error', async () => {
      const { store, worker } = await opened({ testHooks: true });
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      // The error may reach this thread before the hook's own answer does: either is fine.
      const hook = await Promise.allSettled([store.testCall('testThrow', 'boom on the store thread')]);
      await exited;
      if (hook[0]!.status === 'rejected') expect((hook[0].reason as Error).message).toBe('store worker stopped: boom on the store thread');
      expect((await rejection(store.ping())).message).toBe('store worker stopped: boom on the store thread');
      await store.close();
    });

    it('refuses the test hooks unless opened for tests', async () => {
      const { store } = await opened();
      expect((await rejection(store.testCall('testExit', 3))).message).toBe('unknown store call testExit');
      await store.ping();
    });
  });

  describe('close', () => {
    it('is harmless twice; calls after it reject like SqliteStore’s; calls sent before it are answered', async () => {
      const { store, worker } = await opened();
      let exited = false;
      worker.once('exit', () => (exited = true));
      const before = store.recordShownCards(cards(10));
      const closing = store.close();
      const again = store.close();
      await Promise.all([before, closing, again]);
      expect(exited).toBe(true);
      await store.close();
      expect((await rejection(store.shownRules('k', ['COP-R20'], new Date(T0)))).message).toBe('store is closed');
      expect((await rejection(store.recordFeedback('s', [], new Date(T0)))).message).toBe('store is closed');
      expect((await rejection(store.settings())).message).toBe('store is closed');
    });

    it('does not keep the process alive, closed or merely idle', async () => {
      const script = `
        const { openThreadedSqliteStore } = await import(${JSON.stringify(THREAD_STORE)});
        const [file, mode] = process.argv.slice(-2);
        const store = await openThreadedSqliteStore(file, { patientKeySecret: 'child-secret-0123456789' });
        const stored = await store.recordFeedback('s', [{ cardUuid: 'c-' + mode, outcome: 'overridden', acceptedSuggestions: [],
          hadUserComment: false, outcomeTimestamp: '2025-11-20T12:00:00Z' }], new Date('2025-11-20T12:00:01Z'));
        if (mode === 'close') await store.close();
        console.log('stored ' + stored.stored);
      `;
      const l = await location();
      for (const mode of ['close', 'idle']) {
        const result = await runChild(script, [l.file, mode]);
        expect(result.stderr).toBe('');
        expect(result).toMatchObject({ how: 0, lines: ['stored 1'] });
      }
    }, 30_000);
  });

  it('keeps every acknowledged feedback row when the process is killed with SIGKILL', async () => {
    const script = `
      const { openThreadedSqliteStore } = await import(${JSON.stringify(THREAD_STORE)});
      const file = process.argv.at(-1);
      const store = await openThreadedSqliteStore(file, { patientKeySecret: 'durability-test-secret' });
      for (let n = 0; ; n += 1) {
        const cardUuid = 'thr-' + n;
        const at = new Date(Date.UTC(2025, 10, 20, 12) + n);
        await store.recordShownCards([{ cardUuid, ruleId: 'COP-R10', serviceId: 's', hook: 'patient-view', hookInstance: 'h' + n,
          patientKey: 'k', indicator: 'warning', suggestionUuids: [], shownAt: at }]);
        const r = await store.recordFeedback('s', [{ cardUuid, outcome: 'overridden', acceptedSuggestions: [], hadUserComment: false,
          outcomeTimestamp: at.toISOString() }], at);
        if (r.stored !== 1) throw new Error('not stored');
        process.stdout.write('ack ' + cardUuid + '\\n');
      }
    `;
    const l = await location();
    const acked: string[] = [];
    const result = await runChild(script, [l.file], (line, kill) => {
      const m = /^ack (\S+)$/.exec(line);
      if (m) acked.push(m[1]!);
      if (acked.length === 100) kill();
    });
    expect(result.how).toBe('SIGKILL');
    for (const line of result.lines) {
      const m = /^ack (\S+)$/.exec(line);
      if (m && !acked.includes(m[1]!)) acked.push(m[1]!);
    }
    expect(acked.length).toBeGreaterThanOrEqual(100);
    // Reopening recovers from the WAL.
    await (await openThreadedSqliteStore(l.file, { patientKeySecret: 'durability-test-secret' })).close();
    const db = new Database(l.file, { readonly: true });
    try {
      const feedback = new Set((db.prepare('SELECT card_uuid FROM feedback').all() as { card_uuid: string }[]).map((r) => r.card_uuid));
      expect(acked.filter((uuid) => !feedback.has(uuid))).toEqual([]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 60_000);

  describe('the event loop while the store works', () => {
    /**
     * Order of two events: an immediate scheduled right after a large batch is handed to the store,
     * and the batch's promise settling. Ordering only, no durations.
     */
    async function order(store: { recordShownCards(c: ShownCard[]): Promise<void> }, batch: ShownCard[]): Promise<string[]> {
      const events: string[] = [];
      const committed = store.recordShownCards(batch).then(() => events.push('committed'));
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          events.push('immediate');
          resolve();
        }),
      );
      await committed;
      return events;
    }

    it('keeps running callbacks while a large batch commits on the worker (SqliteStore blocks it)', async () => {
      const { store, location: l } = await opened();
      expect(await order(store, cards(20_000, 'threaded'))).toEqual(['immediate', 'committed']);
      expect(await store.ruleIdsOfCards(['threaded-19999'])).toEqual(new Map([['threaded-19999', 'COP-R10']]));

      // The same with the synchronous store: the commit runs before anything else can.
      const sync = await SqliteStore.open(path.join(l.dir, 'sync.sqlite'));
      try {
        expect(await order(sync, cards(20_000, 'sync'))).toEqual(['committed', 'immediate']);
      } finally {
        await sync.close();
      }
    }, 30_000);

    it('a commit held up on the worker leaves timers firing; it resolves once the worker gets to it', async () => {
      const { store } = await opened({ testHooks: true });
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const events: string[] = [];
      const held = store.testCall('testHold', flag).then(() => events.push('released'));
      const feedback = store
        .recordFeedback('s', [{ cardUuid: 'c', outcome: 'overridden', acceptedSuggestions: [], hadUserComment: false, outcomeTimestamp: '2025-11-20T12:00:00Z' }], new Date(T0))
        .then((r) => events.push(`feedback stored ${r.stored}`));
      for (let i = 0; i < 3; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        events.push(`timer ${i}`);
      }
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await Promise.all([held, feedback]);
      expect(events).toEqual(['timer 0', 'timer 1', 'timer 2', 'released', 'feedback stored 1']);
    });
  });
});
