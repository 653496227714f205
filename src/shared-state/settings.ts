/** How the service reaches the Redis that the replicas share (REDIS_URL, REDIS_*_TIMEOUT_MS). */
export interface RedisSettings {
  /** redis:// or rediss:// (TLS); user, password and database from the URL. */
  url: string;
  connectTimeoutMs: number;
  /** A command without an answer within this fails (the call gets 503, never a hang). */
  commandTimeoutMs: number;
}
