/**
 * Minimal types for the parts of autocannon (9.x, which ships no types) the benchmark uses.
 * Ambient on purpose: no top-level import or export, so this declares the module.
 */
declare module 'autocannon' {
  /** Percentiles as autocannon reports them (hdr-histogram-percentiles-obj); latency in ms. */
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p2_5: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  interface Result {
    title?: string;
    url: string;
    connections: number;
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    resets: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram & { totalCount: number };
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  /** One entry of `requests`; `setupRequest` may rewrite it before each send. */
  interface RequestSpec {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** A function, or (with `workers`) the absolute path of a module exporting one. */
    setupRequest?: ((request: RequestSpec, context: Record<string, unknown>) => RequestSpec | null | undefined) | string;
  }

  interface Options {
    url: string;
    title?: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    amount?: number;
    /** Worker threads firing requests (0: the calling thread). */
    workers?: number;
    pipelining?: number;
    /** Seconds. */
    timeout?: number;
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: RequestSpec[];
    /** Requests per second over all connections (each connection gets a per-second quota). */
    overallRate?: number;
    connectionRate?: number;
  }

  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
  export type { Options, Result, Histogram, RequestSpec };
}
