/**
 * The settings of `npm run bench`, read once from the environment (see bench/invoke.bench.ts for
 * the list), and the scenarios they select.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchHook } from './payloads.js';
import { startScriptNodeFlags } from './procs.js';
import { JWT_ALGS, type JwtAlg } from './tokens.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function envNumber(name: string, fallback: number, min: number, integer = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min} (got "${raw}")`);
  }
  return value;
}

/**
 * BENCH_QUICK=1: a check that the bench works, in under two minutes: 2 s per run, one round, 1 s
 * warm-up, two scenarios, no FHIR fallback. Each of those can still be set on its own.
 */
export const QUICK = process.env.BENCH_QUICK === '1';
export const DURATION = envNumber('BENCH_DURATION', QUICK ? 2 : 10, 1);
/**
 * Rounds per scenario: each round measures every server (the floors and the service) once, in an
 * order rotated by one each round, so that no server is always measured first or last while the
 * machine's load drifts. With several rounds each reported number is the median over the rounds.
 */
export const ROUNDS = envNumber('BENCH_ROUNDS', QUICK ? 1 : 2, 1, true);
export const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 10, 1);
export const HEAVY_OBSERVATIONS = envNumber('BENCH_HEAVY_OBSERVATIONS', 2000, 0);
export const FHIR_DELAY_MS = envNumber('BENCH_FHIR_DELAY_MS', 20, 0);
export const SOAK_SECONDS = envNumber('BENCH_SOAK_SECONDS', 0, 0);
export const RUN_FHIR = process.env.BENCH_FHIR ? process.env.BENCH_FHIR !== '0' : !QUICK;
/** `off` only to see what authentication costs: the numbers are taken with it on. */
export const AUTH = process.env.BENCH_AUTH ?? 'on';
if (AUTH !== 'on' && AUTH !== 'off') throw new Error(`BENCH_AUTH must be on or off (got "${AUTH}")`);
/**
 * The algorithm of the CDS Client JWTs in every scenario that does not name one (ES384); a row with
 * the other one is added. ES384 verification is ~0.5 ms of P-384 arithmetic, RS384 ~0.03 ms, but
 * jose verifies through WebCrypto on libuv's thread pool, so on two cores the difference mostly
 * lands off the event loop.
 */
export const DEFAULT_ALG = (process.env.BENCH_JWT_ALG ?? 'ES384').toUpperCase() as JwtAlg;
if (!JWT_ALGS.includes(DEFAULT_ALG)) throw new Error(`BENCH_JWT_ALG must be ${JWT_ALGS.join(' or ')} (got "${process.env.BENCH_JWT_ALG}")`);
/** The authenticated floors (bench/baseline-jwt-server.ts), one process per algorithm: BENCH_JWT_FLOORS (ES384,RS384; "none"). */
export const JWT_FLOOR_ALGS: JwtAlg[] = (() => {
  const raw = process.env.BENCH_JWT_FLOORS ?? JWT_ALGS.join(',');
  if (raw.trim().toLowerCase() === 'none' || raw.trim() === '') return [];
  return raw.split(',').map((item) => {
    const alg = item.trim().toUpperCase() as JwtAlg;
    if (!JWT_ALGS.includes(alg)) throw new Error(`BENCH_JWT_FLOORS: "${item}" is not ${JWT_ALGS.join(' or ')}`);
    return alg;
  });
})();
export const CALIBRATE = process.env.BENCH_CALIBRATE === '1';
export const KEEP = process.env.BENCH_KEEP === '1';
export const RUNNER = (process.env.BENCH_RUNNER ?? 'build') as 'build' | 'tsx';
if (RUNNER !== 'build' && RUNNER !== 'tsx') throw new Error(`BENCH_RUNNER must be build or tsx (got "${RUNNER}")`);
/** The warm-up of each server right before its max-rate run, seconds. */
export const WARMUP_SECONDS = 1;
/** The node flags of `npm start` (V8 heap settings): the service runs here as it does in production. */
export const START_NODE_FLAGS = process.env.BENCH_NODE_FLAGS !== undefined
  ? process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean)
  : startScriptNodeFlags(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> });
export const WARMUP_ALL_SECONDS = envNumber('BENCH_WARMUP_SECONDS', QUICK ? 1 : 3, 0);
export const PATIENT_ID = 'bench-patient-1';
export const HOOKS: BenchHook[] = ['order-select', 'order-sign', 'patient-view'];
/**
 * typical: compact resources (~53 KiB); heavy: the same plus BENCH_HEAVY_OBSERVATIONS; ehr: the
 * typical patient as an EHR sends it (~88 KB, bench/ehr-chart.ts).
 */
export const CHARTS = ['typical', 'heavy', 'ehr'] as const;
export type Chart = (typeof CHARTS)[number];

export interface ScenarioSpec {
  chart: Chart;
  hook: BenchHook;
  alg: JwtAlg;
}

/**
 * The fewest cards the check call must see, by chart and hook (else 1): the ehr chart exists to
 * give patient-view several things to say (about seven), and a chart that no longer does would
 * measure something else.
 */
export const MIN_CARDS: Partial<Record<`${Chart}:${BenchHook}`, number>> = { 'ehr:patient-view': 5 };

export function scenarioList(): ScenarioSpec[] {
  const raw = process.env.BENCH_SCENARIOS ?? (QUICK ? 'typical:order-select,ehr:patient-view' : undefined);
  if (!raw) {
    const other = JWT_ALGS.find((a) => a !== DEFAULT_ALG)!;
    return [
      ...(['typical', 'heavy'] as const).flatMap((chart) => HOOKS.map((hook) => ({ chart, hook, alg: DEFAULT_ALG }))),
      { chart: 'typical', hook: 'order-select', alg: other },
      ...HOOKS.map((hook) => ({ chart: 'ehr' as const, hook, alg: DEFAULT_ALG })),
    ];
  }
  return raw.split(',').map((item) => {
    const [chart, hook, alg = DEFAULT_ALG] = item.trim().split(':') as [Chart, BenchHook, string?];
    const upper = alg.toUpperCase() as JwtAlg;
    if (!CHARTS.includes(chart) || !HOOKS.includes(hook) || !JWT_ALGS.includes(upper)) {
      throw new Error(`BENCH_SCENARIOS: "${item}" is not chart:hook[:alg] (${CHARTS.join('|')}:${HOOKS.join('|')}[:${JWT_ALGS.join('|')}])`);
    }
    return { chart, hook, alg: upper };
  });
}
