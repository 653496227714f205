/** The shared store (Redis, or PostgreSQL for replay protection) could not be asked: the call is refused, never let through unchecked. */
export class SharedStateUnavailable extends Error {
  constructor(
    readonly check: SharedStateCheck,
    readonly reason: string,
  ) {
    super(`shared ${check} state unavailable: ${reason}`);
    this.name = 'SharedStateUnavailable';
  }
}

export type SharedStateCheck = 'replay' | 'rate-limit' | 'auth-failures';

/** A class and code for the log (ECONNREFUSED, Command timed out, …), never a message that could carry a URL. */
export function sharedStateReason(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string') return e.code;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/timed out/i.test(message)) return 'timeout';
  if (/enableOfflineQueue|Stream isn't writeable|Connection is closed/i.test(message)) return 'not-connected';
  return typeof e?.name === 'string' ? e.name : 'error';
}
