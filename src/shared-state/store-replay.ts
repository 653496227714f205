/**
 * Replay protection shared through the PostgreSQL store (no Redis configured): each token id is
 * claimed by one insert on `used_token`'s primary key, so exactly one replica accepts it.
 */
import { sharedStateReason } from './errors.js';
import type { ReplayStore } from './types.js';

export type ClaimTokenUse = (iss: string, jti: string, expiresAt: Date, now: Date) => Promise<boolean>;

/** Retry-After when the store cannot be asked. */
const RETRY_AFTER_MS = 5000;

export function storeReplayStore(claim: ClaimTokenUse): ReplayStore {
  return {
    kind: 'postgres',
    async check(iss, jti, expiresAtMs, nowMs) {
      try {
        return (await claim(iss, jti, new Date(expiresAtMs), new Date(nowMs))) ? { ok: true } : { ok: false, reason: 'replay' };
      } catch (error) {
        return { ok: false, reason: 'unavailable', retryAfterMs: RETRY_AFTER_MS, detail: `postgres: ${sharedStateReason(error)}` };
      }
    },
  };
}
