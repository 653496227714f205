/**
 * Failed authentications per client address in fixed windows (CDS_AUTH_FAILURE_LIMIT per
 * CDS_AUTH_FAILURE_WINDOW_SECONDS). Checked before a token is decoded or a signature checked, so
 * that a flood of forged tokens costs one map lookup each and gets 429. Bounded: at most
 * `maxAddresses` windows are kept, the oldest going first.
 */
import type { FailureCounter } from '../shared-state/types.js';

export interface FailureLimiter {
  /** The wait when `address` has used up its failures in the current window; `first` on the first refusal of the window (log it once). */
  blocked(address: string, nowMs: number): { retryAfterSeconds: number; first: boolean } | undefined;
  record(address: string, nowMs: number): void;
  readonly size: number;
}

interface Window {
  startedAt: number;
  failures: number;
  refused: number;
}

export function createFailureLimiter(options: { limit: number; windowMs: number; maxAddresses?: number }): FailureLimiter {
  const { limit, windowMs } = options;
  const maxAddresses = options.maxAddresses ?? 50_000;
  // Insertion order = window start order: expired windows leave from the front.
  const windows = new Map<string, Window>();

  const current = (address: string, nowMs: number): Window | undefined => {
    const window = windows.get(address);
    if (window && nowMs - window.startedAt >= windowMs) {
      windows.delete(address);
      return undefined;
    }
    return window;
  };

  return {
    blocked(address, nowMs) {
      if (limit <= 0) return undefined;
      const window = current(address, nowMs);
      if (!window || window.failures < limit) return undefined;
      window.refused += 1;
      return { retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + windowMs - nowMs) / 1000)), first: window.refused === 1 };
    },
    record(address, nowMs) {
      if (limit <= 0) return;
      const window = current(address, nowMs);
      if (window) {
        window.failures += 1;
        return;
      }
      for (const [key, w] of windows) {
        if (nowMs - w.startedAt < windowMs && windows.size < maxAddresses) break;
        windows.delete(key);
      }
      windows.set(address, { startedAt: nowMs, failures: 1, refused: 0 });
    },
    get size() {
      return windows.size;
    },
  };
}

/** The in-process limiter as a FailureCounter (one instance, or a replica's fallback while Redis is away). */
export function memoryFailureCounter(limiter: FailureLimiter): FailureCounter {
  return {
    kind: 'memory',
    blocked: async (address, nowMs) => limiter.blocked(address, nowMs),
    record: async (address, nowMs) => limiter.record(address, nowMs),
  };
}
