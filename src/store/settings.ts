/**
 * Store settings the configuration loader builds (no driver imported here, so config.ts stays
 * free of pg and better-sqlite3).
 */

/**
 * PostgreSQL timeouts, so a stopped or frozen server (SIGSTOP) costs a call its deadline, never a
 * hang. connectMs: getting a connection (pool wait and connect; pg `connectionTimeoutMillis`);
 * statementMs: server-side `statement_timeout` (and `lock_timeout`); queryMs: client-side
 * `query_timeout` (a server that does not answer at all).
 */
export interface PostgresTimeouts {
  connectMs?: number;
  statementMs?: number;
  queryMs?: number;
}

/** Below the hook deadline (FHIR_DEADLINE_MS, 3000 ms by default). */
export const DEFAULT_POSTGRES_TIMEOUTS = { connectMs: 1000, statementMs: 1000, queryMs: 1500 } as const;

/** Where shown cards and feedback are kept: PostgreSQL when `databaseUrl` is set, else SQLite at `sqlitePath`. */
export interface StoreSettings {
  sqlitePath: string;
  databaseUrl?: string;
  patientKeySecret?: string;
  /** PostgreSQL only (DATABASE_*_TIMEOUT_MS). */
  postgresTimeouts?: PostgresTimeouts;
}
