/**
 * The feedback store: PostgreSQL when DATABASE_URL is set, otherwise the SQLite file at
 * FEEDBACK_DB_PATH (run on a worker thread). Both migrate their schema on open.
 */
import type { StoreSettings } from './settings.js';
// pg is loaded only when DATABASE_URL names PostgreSQL (an instance on SQLite never needs it).
import type { PostgresStoreOptions } from './postgres-store.js';
import { openThreadedSqliteStore } from './sqlite-thread-store.js';
import type { CdsStore } from './types.js';

export type StoreConfig = StoreSettings;

export interface OpenStoreOptions {
  /** PostgreSQL only: errors of idle pooled connections (log them; the pool recovers). */
  onPoolError?: PostgresStoreOptions['onPoolError'];
}

/** Which backend a configuration selects. */
export function storeKind(config: StoreConfig): 'postgres' | 'sqlite' {
  return config.databaseUrl ? 'postgres' : 'sqlite';
}

/** Opens and migrates the configured store. Close it on shutdown (`await store.close()`). */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<CdsStore> {
  const secret = config.patientKeySecret ? { patientKeySecret: config.patientKeySecret } : {};
  if (config.databaseUrl) {
    const { openPostgresStore } = await import('./postgres-store.js');
    return openPostgresStore(config.databaseUrl, {
      ...secret,
      ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
      ...(config.postgresTimeouts ? { timeouts: config.postgresTimeouts } : {}),
    });
  }
  // SQLite on its own thread: no commit, fsync or checkpoint on the event loop. (`:memory:` is one
  // database per store, on that thread.)
  return openThreadedSqliteStore(config.sqlitePath, secret);
}

export type { CdsStore, FeedbackItem, FeedbackResult, ShownCard } from './types.js';
export { patientKey, patientKeyer, type PatientKeyer } from './patient-key.js';
export type { PostgresStoreOptions } from './postgres-store.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { openThreadedSqliteStore, ThreadedSqliteStore, type SqliteSettings } from './sqlite-thread-store.js';
