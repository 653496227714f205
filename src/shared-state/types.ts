/**
 * Security state that must hold across replicas (issue: a token used on one replica must be refused on
 * every other): which token ids were used, and how many authentications failed per client address.
 * Implemented in process (one instance), in PostgreSQL (replay only) and in Redis.
 */

/** `unavailable`: the shared store could not be asked; the caller refuses the call (503), never accepts it unchecked. */
export type ReplayCheck =
  | { ok: true }
  | { ok: false; reason: 'replay' }
  | { ok: false; reason: 'full' | 'unavailable'; retryAfterMs: number; detail?: string };

export interface ReplayStore {
  /** Where the ids are kept, for the start-up log and readiness. */
  readonly kind: 'memory' | 'postgres' | 'redis';
  /**
   * Records `jti` for `iss` until `expiresAtMs`, atomically: exactly one caller (on any replica) gets
   * `ok` for a given pair while it is live. Only call this for a token whose signature and claims were verified.
   */
  check(iss: string, jti: string, expiresAtMs: number, nowMs: number): Promise<ReplayCheck>;
}

/** Failed authentications per client address in fixed windows. */
export interface FailureCounter {
  readonly kind: 'memory' | 'redis';
  /** The wait when `address` has used up its failures in the current window; `first` on the first refusal of the window (log it once). */
  blocked(address: string, nowMs: number): Promise<{ retryAfterSeconds: number; first: boolean } | undefined>;
  record(address: string, nowMs: number): Promise<void>;
}

/** The key of one used token: `iss` and `jti` joined so that no two pairs collide ("ab"+"c" ≠ "a"+"bc"). */
export const tokenKey = (iss: string, jti: string): string => `${iss.length}:${iss}${jti}`;
