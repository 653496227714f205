/**
 * An open-loop load generator at a fixed rate: requests start evenly spaced (1/rate apart) on a
 * pool of keep-alive connections, whatever the answers do, and each latency is measured from the
 * time the request was due, so queueing in the client counts (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it lets each connection send its quota for the second as
 * fast as it can, then waits for the next second, so the load comes in bursts at the top of each
 * second and the p99 "at half rate" is the p99 of a burst at full rate. Both are reported.
 */
import { Pool } from 'undici';

export interface PacedOptions {
  origin: string;
  path: string;
  body: Buffer;
  /** Headers for the next request (a fresh token each time). */
  headers: () => Record<string, string>;
  rate: number;
  durationSeconds: number;
  connections: number;
  /** Called about once a second with the elapsed seconds (the soak samples memory there). */
  onSecond?: (elapsedSeconds: number) => void;
}

export interface PacedResult {
  targetRate: number;
  achievedRate: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export async function paced(opts: PacedOptions): Promise<PacedResult> {
  const pool = new Pool(opts.origin, { connections: opts.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const total = Math.max(1, Math.round(opts.rate * opts.durationSeconds));
  const latencies = new Float64Array(total);
  const interval = 1000 / opts.rate;
  let sent = 0;
  let done = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let lastSecond = 0;
  const start = performance.now();

  const fire = (i: number): void => {
    const due = start + i * interval;
    pool
      .request({ method: 'POST', path: opts.path, headers: opts.headers(), body: opts.body })
      .then(async (res) => {
        await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        latencies[i] = performance.now() - due;
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else non2xx++;
      })
      .catch(() => {
        latencies[i] = performance.now() - due;
        errors++;
      })
      .finally(() => {
        done++;
      });
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor(elapsed / interval) + 1);
      while (sent < due) fire(sent++);
      const second = Math.floor(elapsed / 1000);
      if (second > lastSecond) {
        lastSecond = second;
        opts.onSecond?.(second);
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, start + sent * interval - performance.now())));
      else resolve();
    };
    tick();
  });
  while (done < total) await new Promise((r) => setTimeout(r, 5));
  const elapsedSeconds = (performance.now() - start) / 1000;
  await pool.close();

  const sorted = latencies.slice(0, total).sort();
  return {
    targetRate: round2(opts.rate),
    achievedRate: round2(total / elapsedSeconds),
    sent: total,
    ok,
    non2xx,
    errors,
    p50: round2(percentile(sorted, 50)),
    p90: round2(percentile(sorted, 90)),
    p99: round2(percentile(sorted, 99)),
    max: round2(sorted[sorted.length - 1]!),
  };
}
