/**
 * The schema, as an ordered list of migrations applied at start-up (one transaction, recorded in
 * `schema_migrations`, so applying them again is a no-op). The SQL is written once; the few
 * type names that differ between SQLite and PostgreSQL are placeholders filled in per dialect,
 * so both backends have the same logical schema.
 *
 * Times: PostgreSQL `timestamptz`; SQLite ISO-8601 UTC text from Date.toISOString()
 * (fixed width, so text order is time order). JSON arrays are stored as text in both.
 * Free-text override comments are never stored, only whether one was given.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  version: number;
  name: string;
  /** SQL with `{ts}`, `{bool}` and `{id}` placeholders; statements separated by `;`. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'shown cards, feedback, meta',
    sql: `
      CREATE TABLE shown_card (
        card_uuid        TEXT PRIMARY KEY,
        rule_id          TEXT NOT NULL,
        service_id       TEXT NOT NULL,
        hook             TEXT NOT NULL,
        hook_instance    TEXT NOT NULL,
        patient_key      TEXT NOT NULL,
        indicator        TEXT NOT NULL CHECK (indicator IN ('info', 'warning', 'critical')),
        suggestion_uuids TEXT NOT NULL,
        shown_at         {ts} NOT NULL
      );
      CREATE INDEX shown_card_patient_rule_time ON shown_card (patient_key, rule_id, shown_at);
      CREATE INDEX shown_card_patient_hook_time ON shown_card (patient_key, hook, shown_at);

      CREATE TABLE feedback (
        id                   {id},
        service_id           TEXT NOT NULL,
        card_uuid            TEXT NOT NULL,
        outcome              TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
        accepted_suggestions TEXT NOT NULL,
        override_system      TEXT,
        override_code        TEXT,
        override_display     TEXT,
        had_user_comment     {bool} NOT NULL,
        outcome_timestamp    TEXT NOT NULL,
        outcome_at           {ts} NOT NULL,
        received_at          {ts} NOT NULL,
        CONSTRAINT feedback_idempotency UNIQUE (card_uuid, outcome, outcome_timestamp)
      );
      CREATE INDEX feedback_card_outcome_time ON feedback (card_uuid, outcome, outcome_at);

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // The patient-view override window ("rules overridden for this patient since T") read
    // feedback through shown_card, walking every card ever shown to the patient. The card's
    // patient and rule are now copied onto its feedback when the feedback (or, if it came
    // first, the card) is written, so the window is an index range over that patient's recent
    // overrides only. NULL while the card is unknown to the store. One column per ALTER TABLE
    // (SQLite); scalar subqueries rather than UPDATE … FROM, so the SQL suits both dialects.
    version: 2,
    name: 'feedback carries its card patient and rule',
    sql: `
      ALTER TABLE feedback ADD COLUMN patient_key TEXT;
      ALTER TABLE feedback ADD COLUMN rule_id TEXT;
      UPDATE feedback
         SET patient_key = (SELECT s.patient_key FROM shown_card s WHERE s.card_uuid = feedback.card_uuid),
             rule_id     = (SELECT s.rule_id FROM shown_card s WHERE s.card_uuid = feedback.card_uuid)
       WHERE EXISTS (SELECT 1 FROM shown_card s WHERE s.card_uuid = feedback.card_uuid);
      CREATE INDEX feedback_patient_outcome_time ON feedback (patient_key, outcome, outcome_at, rule_id);
    `,
  },
  {
    // JWT replay protection shared by the replicas when there is no Redis (PostgreSQL only; the
    // SQLite store is one instance and keeps used token ids in process). A token's id is claimed
    // by an insert on the primary key, so exactly one replica wins; expired rows are reused by that
    // insert and removed in the background through the expiry index.
    version: 3,
    name: 'used token ids (JWT replay protection across replicas)',
    sql: `
      CREATE TABLE used_token (
        iss        TEXT NOT NULL,
        jti        TEXT NOT NULL,
        expires_at {ts} NOT NULL,
        PRIMARY KEY (iss, jti)
      );
      CREATE INDEX used_token_expiry ON used_token (expires_at);
    `,
  },
];

const TYPES: Record<Dialect, Record<'ts' | 'bool' | 'id', string>> = {
  sqlite: { ts: 'TEXT', bool: 'INTEGER', id: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { ts: 'TIMESTAMPTZ', bool: 'BOOLEAN', id: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' },
};

/** The statements of one migration for one dialect. */
export function migrationStatements(migration: Migration, dialect: Dialect): string[] {
  const types = TYPES[dialect];
  return migration.sql
    .replace(/\{(ts|bool|id)\}/g, (_, name: 'ts' | 'bool' | 'id') => types[name])
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export const SCHEMA_MIGRATIONS_DDL: Record<Dialect, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
};

/** Migrations not yet applied, in order; refuses a database newer than this code. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  const unknown = [...done].filter((v) => v > latest);
  if (unknown.length > 0) {
    throw new Error(
      `store schema is newer than this service (applied migration ${Math.max(...unknown)}, this code knows up to ${latest})`,
    );
  }
  return MIGRATIONS.filter((m) => !done.has(m.version));
}
