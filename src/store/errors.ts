/**
 * What a store failure means for its caller. `data`: the store refused these values (PostgreSQL
 * class 22/23, SQLite constraint or type errors, our own validation); retrying the same rows can
 * never succeed, so they are isolated and dropped. `unavailable`: the store cannot take writes now
 * (connection refused, timeout, disk full, worker stopped); retry later, with back-off. `unknown`:
 * anything else (the write-behind queue then asks the store whether it answers at all).
 *
 * Reasons are short fixed texts and SQLSTATE / SQLite codes, never the driver's message: a
 * PostgreSQL data error quotes the value it refused, and values may carry patient data.
 */

/** The store refused a value (e.g. a NUL byte, which PostgreSQL text cannot hold). Never retried. */
export class StoreDataError extends Error {
  readonly code = 'STORE_INVALID_DATA';
  constructor(message: string) {
    super(message);
    this.name = 'StoreDataError';
  }
}

export type StoreErrorKind = 'data' | 'unavailable' | 'unknown';

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};
const messageOf = (error: unknown): string => String((error as { message?: unknown } | null)?.message ?? '');

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** pg's own errors (no SQLSTATE): timeouts and lost connections. */
const PG_UNAVAILABLE_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end|store is clos|store worker stopped|no answer within/i;

export function classifyStoreError(error: unknown): StoreErrorKind {
  if (error instanceof StoreDataError || error instanceof TypeError || error instanceof RangeError) return 'data';
  const code = codeOf(error);
  if (code === 'STORE_INVALID_DATA') return 'data';
  if (code !== undefined) {
    if (NETWORK_CODES.has(code)) return 'unavailable';
    if (/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)) return 'data';
    if (/^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|NOMEM|PROTOCOL|CORRUPT|NOTADB|INTERRUPT|ABORT)/.test(code)) return 'unavailable';
    // SQLSTATE: 22 data exception (22021: the NUL byte), 23 integrity constraint violation.
    if (/^2[23][0-9A-Z]{3}$/.test(code)) return 'data';
    // 08 connection, 53 insufficient resources (disk full), 57 operator intervention (shutdown,
    // statement timeout 57014), 40 transaction rollback, 55P03 lock not available, 58 system error.
    if (/^(08|53|57|40|58)[0-9A-Z]{3}$/.test(code) || code === '55P03' || code === '25P03') return 'unavailable';
  }
  if (PG_UNAVAILABLE_MESSAGES.test(messageOf(error))) return 'unavailable';
  return 'unknown';
}

/** A short reason for logs, probes and answers: a fixed text and the error's code, no driver message. */
export function storeErrorReason(error: unknown): string {
  const code = codeOf(error);
  const message = messageOf(error);
  let what: string;
  if (code === 'SQLITE_FULL' || code === '53100') what = 'disk full';
  else if (code?.startsWith('SQLITE_READONLY')) what = 'read-only';
  else if (code?.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED' || code === '55P03') what = 'locked';
  else if (code === 'ECONNREFUSED') what = 'connection refused';
  else if (code !== undefined && NETWORK_CODES.has(code)) what = 'network error';
  else if (code === '57014' || /timeout|no answer within/i.test(message)) what = 'timeout';
  else if (code === '57P01' || code === '57P02' || code === '57P03') what = 'server shutting down or starting';
  else if (/Connection terminated/i.test(message)) what = 'connection lost';
  else if (/store worker stopped/i.test(message)) what = 'store worker stopped';
  else if (/store is clos/i.test(message)) what = 'store closed';
  else if (classifyStoreError(error) === 'data') what = 'invalid data';
  else what = 'store error';
  return code && !NETWORK_CODES.has(code) ? `${what} (${code})` : what;
}

/** U+0000: PostgreSQL text cannot hold it ("invalid byte sequence for encoding UTF8: 0x00"). */
export const hasNul = (s: string): boolean => s.includes('\u0000');
export const stripNul = (s: string): string => (s.includes('\u0000') ? s.replace(/\u0000/g, '') : s);
