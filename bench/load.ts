/**
 * Closed-loop load with autocannon (max rate, or `overallRate`) and the row the report keeps of a
 * run; a fresh token per request from a pre-signed pool (bench/tokens.ts).
 */
import autocannon, { type Options, type Result } from 'autocannon';
import { median, round1 } from './numbers.js';
import type { PacedResult } from './paced.js';
import type { CpuTime } from './procs.js';
import { CONNECTIONS } from './settings.js';
import type { TokenPool } from './tokens.js';

export interface LoadRow {
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /**
   * CPU the server used per answered request during the run, ms: all its threads, and its main
   * thread alone (bench/procs.ts cpuTimeOf). Unlike req/s, this hardly moves with what else the
   * host is doing, so its ratio between two servers is the steadier measure of the work each does.
   */
  cpuMsPerCall?: number;
  mainCpuMsPerCall?: number;
}

/** A run's row, with the server's CPU per call when its CPU time before and after is given. */
export const rowOf = (r: Result, cpu?: { before: CpuTime; after: CpuTime }): LoadRow => ({
  ...rowOfResult(r),
  ...(cpu && r.latency.totalCount > 0
    ? {
        cpuMsPerCall: round3((cpu.after.totalMs - cpu.before.totalMs) / r.latency.totalCount),
        mainCpuMsPerCall: round3((cpu.after.mainMs - cpu.before.mainMs) / r.latency.totalCount),
      }
    : {}),
});

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

const rowOfResult = (r: Result): LoadRow => ({
  reqPerSec: round1(r.requests.average),
  p50: r.latency.p50,
  p90: r.latency.p90,
  p99: r.latency.p99,
  max: r.latency.max,
  completed: r.latency.totalCount,
  errors: r.errors,
  timeouts: r.timeouts,
  non2xx: r.non2xx,
});

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Several rounds of one server as one row: each rate and latency the median, each count the total. */
export function medianRow(rows: LoadRow[]): LoadRow {
  if (rows.length === 1) return rows[0]!;
  const m = (f: (r: LoadRow) => number): number => round1(median(rows.map(f)));
  const s = (f: (r: LoadRow) => number): number => sum(rows.map(f));
  const cpu = (f: (r: LoadRow) => number | undefined): number | undefined => {
    const values = rows.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    return values.length === rows.length ? round3(median(values)) : undefined;
  };
  const cpuMsPerCall = cpu((r) => r.cpuMsPerCall);
  const mainCpuMsPerCall = cpu((r) => r.mainCpuMsPerCall);
  return {
    reqPerSec: m((r) => r.reqPerSec), p50: m((r) => r.p50), p90: m((r) => r.p90), p99: m((r) => r.p99), max: m((r) => r.max),
    completed: s((r) => r.completed), errors: s((r) => r.errors), timeouts: s((r) => r.timeouts), non2xx: s((r) => r.non2xx),
    ...(cpuMsPerCall !== undefined ? { cpuMsPerCall } : {}),
    ...(mainCpuMsPerCall !== undefined ? { mainCpuMsPerCall } : {}),
  };
}

/** The same for paced runs (bench/paced.ts). */
export function medianPaced(runs: PacedResult[]): PacedResult {
  if (runs.length === 1) return runs[0]!;
  const m = (f: (r: PacedResult) => number): number => Math.round(median(runs.map(f)) * 100) / 100;
  const s = (f: (r: PacedResult) => number): number => sum(runs.map(f));
  return {
    targetRate: m((r) => r.targetRate), achievedRate: m((r) => r.achievedRate),
    sent: s((r) => r.sent), ok: s((r) => r.ok), non2xx: s((r) => r.non2xx), errors: s((r) => r.errors),
    p50: m((r) => r.p50), p90: m((r) => r.p90), p99: m((r) => r.p99), max: m((r) => r.max),
  };
}

/** autocannon with a token from `pool` on every request (or a fixed header when pool is a string). */
export function cannon(url: string, body: Buffer, tokens: TokenPool | string, duration: number, extra: Partial<Options> = {}): Promise<Result> {
  const headers = { 'content-type': 'application/json' };
  const base: Options = { url, method: 'POST', body, connections: CONNECTIONS, duration, timeout: 30, ...extra };
  if (typeof tokens === 'string') return autocannon({ ...base, headers: { ...headers, authorization: `Bearer ${tokens}` } });
  return autocannon({
    ...base,
    headers,
    requests: [
      {
        method: 'POST',
        path: new URL(url).pathname,
        setupRequest: (req) => {
          req.headers = { ...req.headers, authorization: `Bearer ${tokens.take()}` };
          return req;
        },
      },
    ],
  });
}
