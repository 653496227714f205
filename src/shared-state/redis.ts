/**
 * The Redis connection the replicas share (REDIS_URL): ioredis with a connect and a command timeout,
 * reconnection with capped back-off for as long as the process lives, TLS for rediss:// and the
 * user, password and database from the URL. No offline queue: while Redis is away a command fails at
 * once (the call gets 503) instead of waiting in memory for a reconnection.
 */
import { Redis } from 'ioredis';
import type { RedisSettings } from './settings.js';

export interface SharedRedis {
  readonly client: Redis;
  /** PING within the command timeout; rejects while Redis cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisEvents {
  /** Redis became reachable (first connection, or back after an outage). */
  onReady?(): void;
  /** The connection failed or was lost: once per outage, with an error class and code, never the URL. */
  onDown?(reason: string): void;
}

/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5000;

/** Reconnection back-off: 100 ms, 200 ms, … up to 5 s, forever (an outage must heal without a restart). */
export const reconnectDelayMs = (attempt: number): number => Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(attempt - 1, 6));

export function connectRedis(settings: RedisSettings, events: RedisEvents = {}): SharedRedis {
  const client = new Redis(settings.url, {
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails rather than being replayed later: its
    // caller has answered 503 by then.
    maxRetriesPerRequest: 0,
    retryStrategy: reconnectDelayMs,
    // Never a reconnect storm from READONLY replicas or the like: plain reconnects only.
    reconnectOnError: () => false,
    lazyConnect: false,
    connectionName: 'cop-cds-hooks',
  });
  let down = false;
  client.on('ready', () => {
    down = false;
    events.onReady?.();
  });
  client.on('error', (error: Error & { code?: string }) => {
    if (down) return;
    down = true;
    events.onDown?.(error.code ?? error.name);
  });
  client.on('end', () => {
    down = true;
  });
  return {
    client,
    async ping() {
      await client.ping();
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/** Resolves once Redis answers, or after `ms` (start-up: the first calls need not fail while it connects). */
export async function waitForRedis(redis: SharedRedis, ms: number): Promise<boolean> {
  if (redis.client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.client.off('ready', onReady);
      resolve(false);
    }, ms);
    timer.unref();
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.client.once('ready', onReady);
  });
}
