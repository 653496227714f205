/**
 * CdsStore on PostgreSQL (pg Pool). Same schema and behaviour as the SQLite store. Migrations run
 * in one transaction under a transaction-scoped advisory lock, so instances starting together
 * apply them once; each write is one transaction, committed before the promise resolves.
 */
import pg from 'pg';
import type { RuleId } from '../cop/knowledge.js';
import { SCHEMA_MIGRATIONS_DDL, migrationStatements, pendingMigrations } from './migrations.js';
import { PATIENT_KEY_SECRET_META, generatePatientKeySecret } from './patient-key.js';
import { classifyStoreError } from './errors.js';
import { assertStorableFeedback, assertValidDate, cleanShownCard, outcomeInstant } from './rows.js';
import type { CdsStore, FeedbackItem, FeedbackResult, ShownCard } from './types.js';
import { DEFAULT_POSTGRES_TIMEOUTS, type PostgresTimeouts } from './settings.js';

export { DEFAULT_POSTGRES_TIMEOUTS, type PostgresTimeouts } from './settings.js';

export interface PostgresStoreOptions {
  /** PATIENT_KEY_SECRET; when unset, a secret is generated once and kept in `meta`. */
  patientKeySecret?: string;
  /**
   * Schema holding the tables (created if missing, and set as the connections' search_path).
   * Default: the connection's own search_path (normally `public`). Tests use one per run.
   */
  schema?: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
  /** Errors of idle pooled connections (server restart, network); the pool replaces them. */
  onPoolError?: (error: Error) => void;
  /**
   * Timeouts, so a stopped or frozen server (SIGSTOP) costs an answer its deadline, never a hang.
   * connectMs: getting a connection (pool wait and connect; pg `connectionTimeoutMillis`);
   * statementMs: server-side `statement_timeout` (and `lock_timeout`); queryMs: client-side
   * `query_timeout` (a server that does not answer at all). Defaults 1000 / 1000 / 1500 ms.
   */
  timeouts?: PostgresTimeouts;
}


/** Text key of the advisory lock taken while migrating (hashed to a bigint by PostgreSQL). */
const MIGRATION_LOCK = 'cop-cds-hooks:migrations';

export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A checked-out client has no pool listener: a connection lost between two statements would
  // otherwise be an unhandled 'error' event, which ends the process. The statement in flight fails too.
  const onLost = (): void => {
    broken = true;
  };
  client.on('error', onLost);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that timed out or was lost is discarded at once (a ROLLBACK on a frozen server
    // would wait a second query timeout); one that cannot even roll back is discarded too.
    if (classifyStoreError(error) === 'unavailable') broken = true;
    else await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.removeListener('error', onLost);
    client.release(broken);
  }
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migratePostgres(pool: pg.Pool, schema?: string): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${MIGRATION_LOCK}:${schema ?? ''}`]);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    await client.query(SCHEMA_MIGRATIONS_DDL.postgres);
    const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const pending = pendingMigrations(applied.rows.map((r) => r.version));
    for (const m of pending) {
      for (const statement of migrationStatements(m, 'postgres')) await client.query(statement);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
        m.version,
        m.name,
      ]);
    }
    return pending.map((m) => m.version);
  });
}

/**
 * overriddenRules ($1 patient key, $2 since, $3 rule ids): reads feedback alone, a range of
 * feedback_patient_outcome_time over this patient's overrides since `since`, however many cards
 * the patient was ever shown.
 */
export const OVERRIDDEN_RULES_SQL = `SELECT DISTINCT rule_id FROM feedback
  WHERE patient_key = $1 AND outcome = 'overridden' AND outcome_at >= $2 AND rule_id = ANY($3::text[])`;

/**
 * shownRules ($1 patient key, $2 rule ids, $3 since[, $4 hook]): per rule, one index scan on
 * shown_card_patient_rule_time that stops at the first card in the window (LIMIT 1 in a LATERAL
 * subquery), rather than reading every card of the window.
 */
export const SHOWN_RULES_SQL = {
  any: `SELECT r.rule_id FROM unnest($2::text[]) AS r(rule_id)
         CROSS JOIN LATERAL (SELECT 1 FROM shown_card s
                              WHERE s.patient_key = $1 AND s.rule_id = r.rule_id AND s.shown_at >= $3
                              LIMIT 1) AS hit`,
  hook: `SELECT r.rule_id FROM unnest($2::text[]) AS r(rule_id)
          CROSS JOIN LATERAL (SELECT 1 FROM shown_card s
                               WHERE s.patient_key = $1 AND s.rule_id = r.rule_id AND s.shown_at >= $3 AND s.hook = $4
                               LIMIT 1) AS hit`,
} as const;

/** How often expired rows of used_token are removed (they are harmless meanwhile: an expired row is taken over). */
const TOKEN_SWEEP_INTERVAL_MS = 60_000;

export class PostgresStore implements CdsStore {
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly secret: string,
  ) {}

  /** Connects, migrates and loads (or creates) the patient-key secret. */
  static async open(connectionString: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const t = { ...DEFAULT_POSTGRES_TIMEOUTS, ...options.timeouts };
    const config: pg.PoolConfig = {
      connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: t.connectMs,
      statement_timeout: t.statementMs,
      lock_timeout: t.statementMs,
      query_timeout: t.queryMs,
      // A transaction left open by a lost client never holds locks for long.
      idle_in_transaction_session_timeout: Math.max(t.queryMs * 4, 10_000),
      keepAlive: true,
    };
    if (options.schema !== undefined) {
      if (options.schema.length === 0) throw new Error('schema must not be empty');
      config.options = `-c search_path=${quoteIdentifier(options.schema).replace(/ /g, '\\ ')}`;
    }
    const pool = new pg.Pool(config);
    pool.on('error', (error) => options.onPoolError?.(error));
    try {
      await migratePostgres(pool, options.schema);
      const secret = options.patientKeySecret ?? (await PostgresStore.storedSecret(pool));
      return new PostgresStore(pool, secret);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  private static async storedSecret(pool: pg.Pool): Promise<string> {
    await pool.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
      PATIENT_KEY_SECRET_META,
      generatePatientKeySecret(),
    ]);
    const { rows } = await pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [
      PATIENT_KEY_SECRET_META,
    ]);
    const value = rows[0]?.value;
    if (value === undefined) throw new Error('patient key secret missing from meta');
    return value;
  }

  private check(): void {
    if (this.closed) throw new Error('store is closed');
  }

  async recordShownCards(cards: ShownCard[]): Promise<void> {
    this.check();
    if (cards.length === 0) return;
    cards = cards.map(cleanShownCard);
    await inTransaction(this.pool, async (client) => {
      const inserted: string[] = [];
      for (const c of cards) {
        const result = await client.query(
          `INSERT INTO shown_card (card_uuid, rule_id, service_id, hook, hook_instance, patient_key, indicator, suggestion_uuids, shown_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (card_uuid) DO NOTHING`,
          [c.cardUuid, c.ruleId, c.serviceId, c.hook, c.hookInstance, c.patientKey, c.indicator,
            JSON.stringify(c.suggestionUuids), c.shownAt],
        );
        if ((result.rowCount ?? 0) > 0) inserted.push(c.cardUuid);
      }
      // Feedback that arrived before its card (another instance's card not yet committed) gets
      // the card's patient and rule now, as the join it replaces would.
      if (inserted.length > 0) {
        await client.query(
          `UPDATE feedback f SET patient_key = s.patient_key, rule_id = s.rule_id
             FROM shown_card s
            WHERE s.card_uuid = ANY($1::text[]) AND f.card_uuid = s.card_uuid AND f.patient_key IS NULL`,
          [inserted],
        );
      }
    });
  }

  async recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
    this.check();
    assertValidDate(receivedAt, 'receivedAt');
    if (items.length === 0) return { stored: 0, duplicates: 0 };
    assertStorableFeedback(serviceId, items);
    const stored = await inTransaction(this.pool, async (client) => {
      let n = 0;
      for (const item of items) {
        const result = await client.query(
          `INSERT INTO feedback (service_id, card_uuid, outcome, accepted_suggestions, override_system, override_code,
                                 override_display, had_user_comment, outcome_timestamp, outcome_at, received_at,
                                 patient_key, rule_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                   COALESCE((SELECT patient_key FROM shown_card WHERE card_uuid = $2), $12::text),
                   COALESCE((SELECT rule_id FROM shown_card WHERE card_uuid = $2), $13::text))
           ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING`,
          [serviceId, item.cardUuid, item.outcome, JSON.stringify(item.acceptedSuggestions),
            item.overrideReason?.system ?? null, item.overrideReason?.code ?? null,
            item.overrideReason?.display ?? null, item.hadUserComment, item.outcomeTimestamp,
            outcomeInstant(item, receivedAt), receivedAt, item.knownCard?.patientKey ?? null, item.knownCard?.ruleId ?? null],
        );
        n += result.rowCount ?? 0;
      }
      return n;
    });
    return { stored, duplicates: items.length - stored };
  }

  async overriddenRules(patientKey: string, ruleIds: RuleId[], since: Date): Promise<Set<RuleId>> {
    this.check();
    assertValidDate(since, 'since');
    if (ruleIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ rule_id: RuleId }>(OVERRIDDEN_RULES_SQL, [
      patientKey,
      since,
      [...new Set(ruleIds)],
    ]);
    return new Set(rows.map((r) => r.rule_id));
  }

  async shownRules(patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<RuleId>> {
    this.check();
    assertValidDate(since, 'since');
    if (ruleIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ rule_id: RuleId }>(SHOWN_RULES_SQL[hook === undefined ? 'any' : 'hook'], [
      patientKey,
      [...new Set(ruleIds)],
      since,
      ...(hook === undefined ? [] : [hook]),
    ]);
    return new Set(rows.map((r) => r.rule_id));
  }

  async patientKeySecret(): Promise<string> {
    return this.secret;
  }

  async ping(): Promise<void> {
    this.check();
    await this.pool.query('SELECT 1');
  }

  async probeWrite(): Promise<void> {
    this.check();
    await this.pool.query(
      `INSERT INTO meta (key, value) VALUES ('write_probe', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [new Date().toISOString()],
    );
  }

  async claimTokenUse(iss: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    this.check();
    assertValidDate(expiresAt, 'expiresAt');
    assertValidDate(now, 'now');
    this.startTokenSweep();
    // A live row makes the conflict update match nothing (0 rows: a replay); an expired one is taken over.
    const result = await this.pool.query(
      `INSERT INTO used_token (iss, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (iss, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE used_token.expires_at <= $4
       RETURNING 1`,
      [iss, jti, expiresAt, now],
    );
    return (result.rowCount ?? 0) === 1;
  }

  private sweepTimer: NodeJS.Timeout | undefined;

  /** Removes expired token ids once a minute (through the expiry index), from the first claim on. */
  private startTokenSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => {
      this.pool.query('DELETE FROM used_token WHERE expires_at < now()').catch(() => undefined);
    }, TOKEN_SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  async ruleIdsOfCards(cardUuids: string[]): Promise<Map<string, RuleId>> {
    this.check();
    const ids = [...new Set(cardUuids)];
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{ card_uuid: string; rule_id: RuleId }>(
      'SELECT card_uuid, rule_id FROM shown_card WHERE card_uuid = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.card_uuid, r.rule_id]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    await this.pool.end();
  }
}

/** Opens the PostgreSQL store (see PostgresStore.open). */
export async function openPostgresStore(connectionString: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  return PostgresStore.open(connectionString, options);
}
