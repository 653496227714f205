/**
 * CdsStore on SQLite (better-sqlite3): one file, WAL journal, synchronous = FULL, so a write is on
 * disk when its transaction commits and survives a crash or power loss. better-sqlite3 is
 * synchronous: each call commits before the returned promise resolves.
 */
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RuleId } from '../cop/knowledge.js';
import { SCHEMA_MIGRATIONS_DDL, migrationStatements, pendingMigrations } from './migrations.js';
import { PATIENT_KEY_SECRET_META, generatePatientKeySecret } from './patient-key.js';
import { assertStorableFeedback, assertValidDate, cleanShownCard, outcomeInstant } from './rows.js';
import type { CdsStore, FeedbackItem, FeedbackResult, ShownCard } from './types.js';

export interface SqliteStoreOptions {
  /** PATIENT_KEY_SECRET; when unset, a secret is generated once and kept in `meta`. */
  patientKeySecret?: string;
  /** How long a writer waits for another connection's lock before failing (ms). Default 5000. */
  busyTimeoutMs?: number;
}

/** Less free space than this on the database's file system counts as a full disk (readiness). */
const MIN_FREE_BYTES = 1024 * 1024;

const isMemory = (file: string): boolean => file === ':memory:' || file === '';

/** Applies pending migrations in one IMMEDIATE transaction (a second process waits, then sees them done). */
export function migrateSqlite(db: Database.Database): number[] {
  const run = db.transaction((): number[] => {
    db.exec(SCHEMA_MIGRATIONS_DDL.sqlite);
    const applied = db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    const pending = pendingMigrations(applied.map((r) => r.version));
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of pending) {
      for (const statement of migrationStatements(m, 'sqlite')) db.exec(statement);
      record.run(m.version, m.name, new Date().toISOString());
    }
    return pending.map((m) => m.version);
  });
  return run.immediate();
}

/**
 * overriddenRules for `count` rule ids (parameters: patient key, since, then the rule ids): reads
 * feedback alone, a range of feedback_patient_outcome_time over this patient's overrides since
 * `since`, however many cards the patient was ever shown.
 */
export function overriddenRulesSql(count: number): string {
  return `SELECT DISTINCT rule_id AS ruleId FROM feedback
    WHERE patient_key = ? AND outcome = 'overridden' AND outcome_at >= ?
      AND rule_id IN (${Array.from({ length: count }, () => '?').join(', ')})`;
}

/**
 * shownRules for `count` rule ids (named parameters @patientKey, @since, @hook, @r0…): one
 * existence check per rule, each a seek on shown_card_patient_rule_time that stops at the first
 * card in the window. The unary + on hook keeps the planner off shown_card_patient_hook_time,
 * which it would otherwise pick and then walk every card of the patient on that hook. (`count`
 * is at most the number of distinct RuleIds, far below SQLite's 500-term compound limit.)
 */
export function shownRulesSql(count: number, withHook: boolean): string {
  return Array.from(
    { length: count },
    (_, i) => `SELECT @r${i} AS ruleId WHERE EXISTS (SELECT 1 FROM shown_card
    WHERE patient_key = @patientKey AND rule_id = @r${i} AND shown_at >= @since${withHook ? ' AND +hook = @hook' : ''})`,
  ).join('\nUNION ALL\n');
}

export class SqliteStore implements CdsStore {
  private readonly insertShown: Database.Statement;
  private readonly insertFeedback: Database.Statement;
  private readonly adoptFeedback: Database.Statement;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly secret: string,
    private readonly file?: string,
  ) {
    this.insertShown = db.prepare(
      `INSERT INTO shown_card (card_uuid, rule_id, service_id, hook, hook_instance, patient_key, indicator, suggestion_uuids, shown_at)
       VALUES (@cardUuid, @ruleId, @serviceId, @hook, @hookInstance, @patientKey, @indicator, @suggestionUuids, @shownAt)
       ON CONFLICT (card_uuid) DO NOTHING`,
    );
    // Feedback carries its card's patient and rule (NULL while the card is unknown), so the
    // override window reads feedback alone.
    this.insertFeedback = db.prepare(
      `INSERT INTO feedback (service_id, card_uuid, outcome, accepted_suggestions, override_system, override_code,
                             override_display, had_user_comment, outcome_timestamp, outcome_at, received_at,
                             patient_key, rule_id)
       VALUES (@serviceId, @cardUuid, @outcome, @acceptedSuggestions, @overrideSystem, @overrideCode,
               @overrideDisplay, @hadUserComment, @outcomeTimestamp, @outcomeAt, @receivedAt,
               COALESCE((SELECT patient_key FROM shown_card WHERE card_uuid = @cardUuid), @knownPatientKey),
               COALESCE((SELECT rule_id FROM shown_card WHERE card_uuid = @cardUuid), @knownRuleId))
       ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING`,
    );
    // Feedback that arrived before its card (another connection's card not yet committed) gets
    // the card's patient and rule when the card is recorded, as the join it replaces would.
    this.adoptFeedback = db.prepare(
      `UPDATE feedback SET patient_key = @patientKey, rule_id = @ruleId
        WHERE card_uuid = @cardUuid AND patient_key IS NULL`,
    );
  }

  /** Opens (creating the file and its directory if needed) and migrates. `:memory:` for tests. */
  static open(file: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (!isMemory(file)) makeDirectories(path.dirname(path.resolve(file)));
    const db = new Database(file);
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      if (!isMemory(file)) {
        const mode = db.pragma('journal_mode = WAL', { simple: true });
        if (String(mode).toLowerCase() !== 'wal') throw new Error(`SQLite refused WAL journal mode (got ${String(mode)})`);
      }
      db.pragma('synchronous = FULL');
      // No temporary files: the container's root file system is read-only.
      db.pragma('temp_store = MEMORY');
      migrateSqlite(db);
      const secret = options.patientKeySecret ?? SqliteStore.storedSecret(db);
      return new SqliteStore(db, secret, isMemory(file) ? undefined : file);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private static storedSecret(db: Database.Database): string {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(
      PATIENT_KEY_SECRET_META,
      generatePatientKeySecret(),
    );
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(PATIENT_KEY_SECRET_META) as { value: string };
    return row.value;
  }

  private check(): void {
    if (this.closed) throw new Error('store is closed');
  }

  async recordShownCards(cards: ShownCard[]): Promise<void> {
    this.check();
    if (cards.length === 0) return;
    const rows = cards.map(cleanShownCard).map((c) => {
      return {
        cardUuid: c.cardUuid,
        ruleId: c.ruleId,
        serviceId: c.serviceId,
        hook: c.hook,
        hookInstance: c.hookInstance,
        patientKey: c.patientKey,
        indicator: c.indicator,
        suggestionUuids: JSON.stringify(c.suggestionUuids),
        shownAt: c.shownAt.toISOString(),
      };
    });
    this.db.transaction(() => {
      for (const row of rows) {
        if (this.insertShown.run(row).changes > 0) {
          this.adoptFeedback.run({ cardUuid: row.cardUuid, patientKey: row.patientKey, ruleId: row.ruleId });
        }
      }
    }).immediate();
  }

  async recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
    this.check();
    assertValidDate(receivedAt, 'receivedAt');
    if (items.length === 0) return { stored: 0, duplicates: 0 };
    assertStorableFeedback(serviceId, items);
    const received = receivedAt.toISOString();
    const rows = items.map((item) => ({
      serviceId,
      cardUuid: item.cardUuid,
      outcome: item.outcome,
      acceptedSuggestions: JSON.stringify(item.acceptedSuggestions),
      overrideSystem: item.overrideReason?.system ?? null,
      overrideCode: item.overrideReason?.code ?? null,
      overrideDisplay: item.overrideReason?.display ?? null,
      hadUserComment: item.hadUserComment ? 1 : 0,
      outcomeTimestamp: item.outcomeTimestamp,
      outcomeAt: outcomeInstant(item, receivedAt).toISOString(),
      receivedAt: received,
      knownPatientKey: item.knownCard?.patientKey ?? null,
      knownRuleId: item.knownCard?.ruleId ?? null,
    }));
    const stored = this.db.transaction((): number => {
      let n = 0;
      for (const row of rows) n += this.insertFeedback.run(row).changes;
      return n;
    }).immediate();
    return { stored, duplicates: items.length - stored };
  }

  /** Prepared once per shape (the IN-lists vary in length), not on every call. */
  private readonly prepared = new Map<string, Database.Statement>();
  private statement(key: string, sql: () => string): Database.Statement {
    let statement = this.prepared.get(key);
    if (!statement) {
      statement = this.db.prepare(sql());
      this.prepared.set(key, statement);
    }
    return statement;
  }

  async overriddenRules(patientKey: string, ruleIds: RuleId[], since: Date): Promise<Set<RuleId>> {
    this.check();
    assertValidDate(since, 'since');
    if (ruleIds.length === 0) return new Set();
    const ids = [...new Set(ruleIds)];
    const rows = this.statement(`overridden:${ids.length}`, () => overriddenRulesSql(ids.length)).all(
      patientKey,
      since.toISOString(),
      ...ids,
    ) as { ruleId: RuleId }[];
    return new Set(rows.map((r) => r.ruleId));
  }

  async shownRules(patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<RuleId>> {
    this.check();
    assertValidDate(since, 'since');
    if (ruleIds.length === 0) return new Set();
    const ids = [...new Set(ruleIds)];
    const params: Record<string, string> = { patientKey, since: since.toISOString() };
    if (hook !== undefined) params.hook = hook;
    ids.forEach((id, i) => (params[`r${i}`] = id));
    const rows = this.statement(`shown:${ids.length}:${hook === undefined ? 'any' : 'hook'}`, () =>
      shownRulesSql(ids.length, hook !== undefined),
    ).all(params) as { ruleId: RuleId }[];
    return new Set(rows.map((r) => r.ruleId));
  }

  async patientKeySecret(): Promise<string> {
    return this.secret;
  }

  async ping(): Promise<void> {
    this.check();
    this.db.prepare('SELECT 1').get();
  }

  async probeWrite(): Promise<void> {
    this.check();
    this.db
      .prepare(`INSERT INTO meta (key, value) VALUES ('write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run(new Date().toISOString());
    // A small update fits in pages the file already has, so also ask whether a new page could be
    // added: the database at its page limit, or its file system (nearly) out of space, is full.
    const full = (): never => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const pages = Number(this.db.pragma('page_count', { simple: true }));
    const freePages = Number(this.db.pragma('freelist_count', { simple: true }));
    if (freePages === 0 && pages >= Number(this.db.pragma('max_page_count', { simple: true }))) full();
    if (this.file !== undefined) {
      const fs = statfsSync(path.dirname(path.resolve(this.file)));
      if (fs.bavail * fs.bsize < MIN_FREE_BYTES) full();
    }
  }

  /** Tests only: a pragma on the connection (e.g. max_page_count, to fill the "disk"). */
  testPragma(pragma: string): unknown {
    this.check();
    return this.db.pragma(pragma, { simple: true });
  }

  async ruleIdsOfCards(cardUuids: string[]): Promise<Map<string, RuleId>> {
    this.check();
    const ids = [...new Set(cardUuids)];
    if (ids.length === 0) return new Map();
    const rows = this.db
      .prepare(`SELECT card_uuid AS cardUuid, rule_id AS ruleId FROM shown_card WHERE card_uuid IN (${ids.map(() => '?').join(', ')})`)
      .all(...ids) as { cardUuid: string; ruleId: RuleId }[];
    return new Map(rows.map((r) => [r.cardUuid, r.ruleId]));
  }

  /** The connection's durability settings, for start-up logs and tests. */
  settings(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'; busyTimeoutMs: number } {
    this.check();
    const sync = Number(this.db.pragma('synchronous', { simple: true }));
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[sync] ?? 'OFF',
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** Opens the SQLite store at `file` (see SqliteStore.open). */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return SqliteStore.open(file, options);
}

/**
 * Creates a directory and its missing parents one level at a time. Not `mkdirSync(…, { recursive:
 * true })`: under /proc that loops for ever (each level answers ENOENT, its parent EEXIST), so a
 * misconfigured FEEDBACK_DB_PATH would hang start-up instead of failing with its name.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (error) {
      // Another store opening the same location at the same moment made it first.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
