/**
 * `npm run bench`: the real service, in a process of its own with production settings (compiled
 * like `npm run build`, NODE_ENV=production, authentication on with a key generated here, logging
 * at info to a file, SQLite store), next to a bare-Fastify baseline (also its own process) that
 * JSON-parses the same body and answers a fixed body of the same size as the service's answer.
 * autocannon drives both over loopback with synthetic charts (bench/payloads.ts): a typical COP
 * patient and a heavy chart (~2,000 extra Observations), for order-select, order-sign and
 * patient-view. A second scenario measures the FHIR fallback (no prefetch) against a loopback FHIR
 * server that adds 20 ms per query. Optional soak at half rate watches RSS.
 *
 * Per scenario: a check call (must be 200 with cards, else the bench stops), the baseline at max
 * rate, the service at max rate, then the service at half its max rate twice: evenly paced
 * (open loop, bench/paced.ts: the number to judge) and with autocannon `overallRate` (bursty).
 *
 *   npm run bench                                 # everything, 10 s per run
 *   BENCH_DURATION=3 npm run bench                # quick look
 *   BENCH_SOAK_SECONDS=300 npm run bench          # + the 5-minute soak
 *   BENCH_SCENARIOS=typical:order-select npm run bench
 *   BENCH_SCENARIOS=typical:order-select:ES384,typical:order-select:RS384 npm run bench
 *
 * Environment: BENCH_DURATION (s per run, 10), BENCH_CONNECTIONS (10), BENCH_SCENARIOS (comma list
 * of chart:hook[:alg], default all six with BENCH_JWT_ALG plus typical:order-select with the other
 * algorithm), BENCH_JWT_ALG (ES384 | RS384: the CDS Client JWT algorithm, ES384),
 * BENCH_AUTH (on; off only to see what authentication costs), BENCH_NODE_FLAGS (node flags for the service
 * instead of those of `npm start`, to try V8 settings; "" for none), BENCH_WARMUP_SECONDS (3: each scenario's request
 * runs this long before anything is measured), BENCH_HEAVY_OBSERVATIONS (2000), BENCH_FHIR_DELAY_MS (20),
 * BENCH_FHIR (1; 0 skips the fallback scenario), BENCH_SOAK_SECONDS (0 = no soak),
 * BENCH_RUNNER (`build`: tsc to bench/.build-*, run with node, as in production; `tsx`: run
 * src/main.ts through tsx), BENCH_CALIBRATE (1: also measure the load generator's token
 * strategies against the baseline), BENCH_KEEP (1: keep the temp dir with the service's log).
 *
 * Results: a table on stdout and bench/results.json (git-ignored: numbers of one machine).
 */
import { openSync, closeSync, statSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import autocannon, { type Options, type Result } from 'autocannon';
import { request as undiciRequest } from 'undici';
import { hookRequest, type BenchHook } from './payloads.js';
import { paced, percentile, type PacedResult } from './paced.js';
import { buildService, freePort, memoryOf, nextMessage, resetPeak, spawnTsxChild, startScriptNodeFlags, stopChild } from './procs.js';
import { JWT_ALGS, makeBenchKey, TokenPool, TokenSigner, trustedClientsJson, type BenchKey, type JwtAlg } from './tokens.js';

type Json = Record<string, unknown>;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min} (got "${raw}")`);
  return value;
}

const DURATION = envNumber('BENCH_DURATION', 10, 1);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 10, 1);
const HEAVY_OBSERVATIONS = envNumber('BENCH_HEAVY_OBSERVATIONS', 2000, 0);
const FHIR_DELAY_MS = envNumber('BENCH_FHIR_DELAY_MS', 20, 0);
const SOAK_SECONDS = envNumber('BENCH_SOAK_SECONDS', 0, 0);
const RUN_FHIR = process.env.BENCH_FHIR !== '0';
/** `off` only to see what authentication costs: the issue's numbers are taken with it on. */
const AUTH = process.env.BENCH_AUTH ?? 'on';
if (AUTH !== 'on' && AUTH !== 'off') throw new Error(`BENCH_AUTH must be on or off (got "${AUTH}")`);
/**
 * The algorithm of the CDS Client JWTs in every scenario that does not name one (ES384); a row with
 * the other one is added. ES384 verification is ~0.5 ms of P-384 arithmetic, RS384 ~0.03 ms, but
 * jose verifies through WebCrypto on libuv's thread pool, so on two cores the difference mostly
 * lands off the event loop.
 */
const DEFAULT_ALG = (process.env.BENCH_JWT_ALG ?? 'ES384').toUpperCase() as JwtAlg;
if (!JWT_ALGS.includes(DEFAULT_ALG)) throw new Error(`BENCH_JWT_ALG must be ${JWT_ALGS.join(' or ')} (got "${process.env.BENCH_JWT_ALG}")`);
const CALIBRATE = process.env.BENCH_CALIBRATE === '1';
const KEEP = process.env.BENCH_KEEP === '1';
const RUNNER = (process.env.BENCH_RUNNER ?? 'build') as 'build' | 'tsx';
if (RUNNER !== 'build' && RUNNER !== 'tsx') throw new Error(`BENCH_RUNNER must be build or tsx (got "${RUNNER}")`);
const WARMUP_SECONDS = 1;
/** The node flags of `npm start` (V8 heap settings): the service runs here as it does in production. */
const START_NODE_FLAGS = process.env.BENCH_NODE_FLAGS !== undefined
  ? process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean)
  : startScriptNodeFlags(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Json);
const WARMUP_ALL_SECONDS = envNumber('BENCH_WARMUP_SECONDS', 3, 0);
const PATIENT_ID = 'bench-patient-1';
const HOOKS: BenchHook[] = ['order-select', 'order-sign', 'patient-view'];
const CHARTS = ['typical', 'heavy'] as const;
type Chart = (typeof CHARTS)[number];

interface ScenarioSpec {
  chart: Chart;
  hook: BenchHook;
  alg: JwtAlg;
}

function scenarioList(): ScenarioSpec[] {
  const raw = process.env.BENCH_SCENARIOS;
  if (!raw) {
    const other = JWT_ALGS.find((a) => a !== DEFAULT_ALG)!;
    return [
      ...CHARTS.flatMap((chart) => HOOKS.map((hook) => ({ chart, hook, alg: DEFAULT_ALG }))),
      { chart: 'typical', hook: 'order-select', alg: other },
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

// ---- formatting ------------------------------------------------------------------------------------

const round1 = (n: number): number => Math.round(n * 10) / 10;
const round2 = (n: number): number => Math.round(n * 100) / 100;
const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
const MIB_PER_MB = 1e6 / 1024 / 1024;

function printTable(headers: string[], rows: string[][], leftColumns = 1): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

// ---- load -------------------------------------------------------------------------------------------

interface LoadRow {
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

const rowOf = (r: Result): LoadRow => ({
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

/** autocannon with a token from `pool` on every request (or a fixed header when pool is a string). */
function cannon(url: string, body: Buffer, tokens: TokenPool | string, duration: number, extra: Partial<Options> = {}): Promise<Result> {
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

// ---- the service ------------------------------------------------------------------------------------

interface Service {
  child: ChildProcess;
  origin: string;
  logFile: string;
  stderrFile: string;
  startupPeakMiB: number;
}

async function startService(opts: { keys: BenchKey[]; tmp: string; buildDir?: string; fhirBase?: string }): Promise<Service> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const logFile = path.join(opts.tmp, 'service.log');
  const stderrFile = path.join(opts.tmp, 'service.stderr');
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Whatever the calling shell has, the service gets exactly this configuration.
  for (const name of Object.keys(env)) if (/^(CDS_|COP_|FHIR_|PRESSURE_|RATE_LIMIT_|DATABASE_URL$|PATIENT_KEY_SECRET$)/.test(name)) delete env[name];
  Object.assign(env, {
    NODE_ENV: 'production',
    CDS_AUTH: AUTH,
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: origin,
    CDS_TRUSTED_CLIENTS: trustedClientsJson(...opts.keys),
    LOG_LEVEL: 'info',
    FEEDBACK_DB_PATH: path.join(opts.tmp, 'store.sqlite'),
    PATIENT_KEY_SECRET: randomBytes(24).toString('base64url'),
    // The per-client limit (600/min by default) would cap a one-client benchmark at 10 req/s; the
    // plugin stays registered (its cost is measured), its limit is out of reach.
    RATE_LIMIT_MAX: '1000000000',
    ...(opts.fhirBase ? { CDS_FHIR_ALLOW_HTTP: opts.fhirBase } : {}),
  });
  const args = opts.buildDir
    ? [...START_NODE_FLAGS, path.join(opts.buildDir, 'src/main.js')]
    : [...START_NODE_FLAGS, '--import', 'tsx', path.join(ROOT, 'src/main.ts')];
  const out = openSync(logFile, 'a');
  const err = openSync(stderrFile, 'a');
  const child = spawn(process.execPath, args, { cwd: opts.tmp, env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited with ${child.exitCode} at start-up:\n${readFileSync(stderrFile, 'utf8')}\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    try {
      const res = await fetch(`${origin}/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the service did not answer /health within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, origin, logFile, stderrFile, startupPeakMiB: memoryOf(child.pid!).peakMiB };
}

interface CardLike {
  indicator?: string;
  source?: { topic?: { code?: string } };
}

/** One real call; stops the benchmark unless the service answers 200 with at least one card. */
async function checkCall(url: string, body: Buffer, token: string, label: string): Promise<{ text: string; cards: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const text = await response.text();
  let cards: CardLike[] | undefined;
  try {
    const parsed = JSON.parse(text) as { cards?: unknown };
    if (Array.isArray(parsed.cards)) cards = parsed.cards as CardLike[];
  } catch {
    // reported below
  }
  if (response.status !== 200 || !cards || cards.length === 0) {
    throw new Error(`check failed for ${label}: HTTP ${response.status}, expected 200 with cards.\nResponse (first 2000 chars):\n${text.slice(0, 2000)}`);
  }
  return { text, cards: cards.map((c) => `${c.source?.topic?.code ?? '?'}:${c.indicator ?? '?'}`).join(' ') };
}

// ---- scenarios --------------------------------------------------------------------------------------

interface ScenarioResult {
  name: string;
  chart: Chart;
  hook: BenchHook;
  jwtAlg: JwtAlg;
  requestBytes: number;
  responseBytes: number;
  cards: string;
  baseline: LoadRow;
  service: LoadRow;
  ratio: number;
  halfRate: number;
  paced: PacedResult;
  autocannonHalfRate: LoadRow;
  /** Service memory: RSS at the end, peak (VmHWM) during this scenario. */
  memory: { rssMiB: number; peakMiB: number; peakIsPerScenario: boolean };
  tokens: { preSigned: number; inlineSigned: number };
}

interface Ctx {
  /** The default algorithm's key and signer (fallback, soak, calibration). */
  key: BenchKey;
  signer: TokenSigner;
  keys: Record<JwtAlg, BenchKey>;
  signers: Record<JwtAlg, TokenSigner>;
  service: Service;
  baseline: ChildProcess;
  baselineOrigin: string;
  now: Date;
}

async function setBaselineResponse(ctx: Ctx, body: string): Promise<void> {
  const ack = nextMessage(ctx.baseline, 'response-set');
  ctx.baseline.send({ type: 'set-response', body });
  await ack;
}

/** Tokens for a run expected to make about `expected` requests. */
async function poolFor(ctx: Ctx, aud: string, expected: number, alg: JwtAlg = DEFAULT_ALG): Promise<TokenPool> {
  const pool = new TokenPool(ctx.keys[alg], aud);
  await pool.fill(ctx.signers[alg], Math.ceil(expected * 1.4) + 20 * CONNECTIONS);
  return pool;
}

function requestFor(ctx: Ctx, spec: ScenarioSpec): { servicePath: string; aud: string; body: Buffer } {
  const servicePath = `/cds-services/cop-${spec.hook}`;
  const extraObservations = spec.chart === 'heavy' ? HEAVY_OBSERVATIONS : 0;
  const body = Buffer.from(JSON.stringify(hookRequest(spec.hook, { now: ctx.now, patientId: PATIENT_ID, extraObservations })));
  return { servicePath, aud: `${ctx.service.origin}${servicePath}`, body };
}

/**
 * Before anything is measured, every scenario's request runs for WARMUP_ALL_SECONDS: the service
 * is a long-running process, and without this the first scenario measured V8 still compiling the
 * service's code (its half-rate p99 came out twice that of the same scenario measured second).
 */
async function warmUpService(ctx: Ctx, specs: ScenarioSpec[]): Promise<void> {
  for (const spec of specs) {
    const { aud, body } = requestFor(ctx, spec);
    const pool = await poolFor(ctx, aud, 1000 * WARMUP_ALL_SECONDS, spec.alg);
    const result = await cannon(aud, body, pool, WARMUP_ALL_SECONDS);
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`warm-up of ${spec.chart} ${spec.hook}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
}

async function runScenario(ctx: Ctx, spec: ScenarioSpec): Promise<ScenarioResult> {
  const name = `${spec.chart} ${spec.hook}${spec.alg === DEFAULT_ALG ? '' : ` ${spec.alg}`}`;
  const { servicePath, aud, body } = requestFor(ctx, spec);
  const pid = ctx.service.child.pid!;
  let preSigned = 0;
  let inlineSigned = 0;

  const checkPool = await poolFor(ctx, aud, 1, spec.alg);
  const check = await checkCall(aud, body, checkPool.take(), name);
  console.log(`\n== ${name}: request ${formatBytes(body.length)}, check 200 with cards [${check.cards}], response ${formatBytes(Buffer.byteLength(check.text))}`);
  await setBaselineResponse(ctx, check.text);

  // Baseline: same body, same size of header (the tokens are not verified there, so they cycle).
  const baseUrl = `${ctx.baselineOrigin}${servicePath}`;
  const basePool = new TokenPool(ctx.keys[spec.alg], aud, true);
  await basePool.fill(ctx.signers[spec.alg], 2000);
  await cannon(baseUrl, body, basePool, WARMUP_SECONDS);
  const baseline = rowOf(await cannon(baseUrl, body, basePool, DURATION));
  console.log(`   baseline  max rate: ${baseline.reqPerSec} req/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);

  const peakIsPerScenario = resetPeak(pid);
  // Service at max rate: a warm-up sizes the token pool of the measured run.
  const warmPool = await poolFor(ctx, aud, 3000, spec.alg);
  const warm = await cannon(aud, body, warmPool, WARMUP_SECONDS);
  preSigned += 3000;
  inlineSigned += warmPool.inlineSigned;
  // The warm-up runs cold (JIT), so the measured run may be up to twice as fast.
  const maxPool = await poolFor(ctx, aud, Math.max(warm.requests.average, 50) * 2 * DURATION, spec.alg);
  preSigned += maxPool.remaining;
  const service = rowOf(await cannon(aud, body, maxPool, DURATION));
  inlineSigned += maxPool.inlineSigned;
  const ratio = baseline.reqPerSec > 0 ? round2(service.reqPerSec / baseline.reqPerSec) : NaN;
  console.log(`   service   max rate: ${service.reqPerSec} req/s (${ratio}x baseline), p50 ${service.p50} ms, p99 ${service.p99} ms` +
    `${maxPool.inlineSigned ? ` (token pool ran dry: ${maxPool.inlineSigned} signed inline)` : ''}`);

  // Half the service's max rate: evenly paced (open loop), then autocannon overallRate (bursty).
  const halfRate = Math.max(1, Math.round(service.reqPerSec / 2));
  const pacedPool = await poolFor(ctx, aud, halfRate * DURATION, spec.alg);
  preSigned += pacedPool.remaining;
  const pacedResult = await paced({
    origin: ctx.service.origin,
    path: servicePath,
    body,
    headers: () => ({ 'content-type': 'application/json', authorization: `Bearer ${pacedPool.take()}` }),
    rate: halfRate,
    durationSeconds: DURATION,
    connections: CONNECTIONS,
  });
  inlineSigned += pacedPool.inlineSigned;
  console.log(`   service   ${halfRate} req/s paced: p50 ${pacedResult.p50} ms, p90 ${pacedResult.p90} ms, p99 ${pacedResult.p99} ms, max ${pacedResult.max} ms (achieved ${pacedResult.achievedRate} req/s)`);
  const acPool = await poolFor(ctx, aud, halfRate * DURATION, spec.alg);
  preSigned += acPool.remaining;
  const autocannonHalfRate = rowOf(await cannon(aud, body, acPool, DURATION, { overallRate: halfRate }));
  inlineSigned += acPool.inlineSigned;
  console.log(`   service   ${halfRate} req/s autocannon overallRate: p50 ${autocannonHalfRate.p50} ms, p99 ${autocannonHalfRate.p99} ms`);

  const memory = { ...memoryOf(pid), peakIsPerScenario };
  console.log(`   service memory: rss ${memory.rssMiB} MiB, peak ${memory.peakMiB} MiB${peakIsPerScenario ? ' (this scenario)' : ' (since start)'}`);
  return {
    name,
    chart: spec.chart,
    hook: spec.hook,
    jwtAlg: spec.alg,
    requestBytes: body.length,
    responseBytes: Buffer.byteLength(check.text),
    cards: check.cards,
    baseline,
    service,
    ratio,
    halfRate,
    paced: pacedResult,
    autocannonHalfRate,
    memory,
    tokens: { preSigned, inlineSigned },
  };
}

// ---- FHIR fallback ----------------------------------------------------------------------------------

interface FhirStats {
  type: 'stats';
  served: Record<string, number>;
  misses: string[];
  missCount: number;
}

async function fhirStats(fhir: ChildProcess): Promise<FhirStats> {
  const reply = nextMessage<FhirStats>(fhir, 'stats');
  fhir.send({ type: 'stats' });
  return reply;
}

interface FallbackResult {
  hook: BenchHook;
  delayMs: number;
  queriesPerCall: number;
  queries: { path: string; p50: number; p99: number }[];
  slowestQueryP50: number;
  slowestQueryP99: number;
  sequential: LoadRow;
  concurrent: LoadRow;
  ratioP50: number;
  ratioP99: number;
}

async function runFallback(ctx: Ctx, fhir: ChildProcess, fhirBase: string, hook: BenchHook): Promise<FallbackResult> {
  const servicePath = `/cds-services/cop-${hook}`;
  const aud = `${ctx.service.origin}${servicePath}`;
  const request = hookRequest(hook, { now: ctx.now, patientId: PATIENT_ID }) as Json;
  delete request.prefetch;
  request.fhirServer = fhirBase;
  request.fhirAuthorization = { access_token: 'bench-access-token', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cop-cds-bench' };
  const body = Buffer.from(JSON.stringify(request));

  fhir.send({ type: 'reset' });
  await nextMessage(fhir, 'reset-done');
  const checkPool = await poolFor(ctx, aud, 1);
  const check = await checkCall(aud, body, checkPool.take(), `FHIR fallback ${hook}`);
  const stats = await fhirStats(fhir);
  if (stats.missCount > 0) throw new Error(`the slow FHIR server got ${stats.missCount} query(ies) it has no answer for: ${stats.misses.join(' | ')}`);
  const paths = Object.keys(stats.served);
  console.log(`\n== FHIR fallback ${hook}: no prefetch, ${paths.length} queries per call, ${FHIR_DELAY_MS} ms each; check 200 with cards [${check.cards}]`);

  // The slowest single query as the service would see it: each path alone, sequentially, on a warm connection.
  const queries: FallbackResult['queries'] = [];
  for (const p of paths) {
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const t = performance.now();
      const res = await undiciRequest(`${fhirBase}/${p}`, { headers: { accept: 'application/fhir+json', authorization: 'Bearer bench-access-token' } });
      await res.body.text();
      if (i > 0) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    queries.push({ path: p, p50: round2(percentile(times, 50)), p99: round2(percentile(times, 99)) });
  }
  const slowestQueryP50 = Math.max(...queries.map((q) => q.p50));
  const slowestQueryP99 = Math.max(...queries.map((q) => q.p99));

  const seqPool = await poolFor(ctx, aud, (DURATION * 1000) / FHIR_DELAY_MS + 100);
  await cannon(aud, body, seqPool, WARMUP_SECONDS, { connections: 1 });
  const sequential = rowOf(await cannon(aud, body, seqPool, DURATION, { connections: 1 }));
  const concPool = await poolFor(ctx, aud, ((DURATION * 1000) / FHIR_DELAY_MS) * CONNECTIONS + 100);
  const concurrent = rowOf(await cannon(aud, body, concPool, DURATION));
  const after = await fhirStats(fhir);
  if (after.missCount > 0) throw new Error(`the slow FHIR server got unknown queries under load: ${after.misses.join(' | ')}`);
  const ratioP50 = round2(sequential.p50 / slowestQueryP50);
  const ratioP99 = round2(sequential.p99 / slowestQueryP99);
  console.log(`   slowest single query: p50 ${slowestQueryP50} ms, p99 ${slowestQueryP99} ms`);
  console.log(`   service, 1 connection: ${sequential.reqPerSec} req/s, wall p50 ${sequential.p50} ms (${ratioP50}x), p99 ${sequential.p99} ms (${ratioP99}x)`);
  console.log(`   service, ${CONNECTIONS} connections: ${concurrent.reqPerSec} req/s, p50 ${concurrent.p50} ms, p99 ${concurrent.p99} ms, non-2xx ${concurrent.non2xx}`);
  return { hook, delayMs: FHIR_DELAY_MS, queriesPerCall: paths.length, queries, slowestQueryP50, slowestQueryP99, sequential, concurrent, ratioP50, ratioP99 };
}

// ---- soak -------------------------------------------------------------------------------------------

interface SoakResult {
  seconds: number;
  rate: number;
  samples: { second: number; rssMiB: number }[];
  firstMiB: number;
  lastMiB: number;
  maxMiB: number;
  /** Last sample against the first after the warm-up minute: two points of a GC sawtooth. */
  growthPercent: number;
  /** Least-squares trend over every sample after the warm-up minute, over that span, against their mean. */
  trendGrowthPercent: number;
  /**
   * The live-heap floor: the lowest V8 heapUsed the service's /health reported (sampled each second)
   * in each minute, in MiB. Right after a major GC, heapUsed is the live heap, so a leak shows as
   * rising floors however the RSS sawtooth falls.
   */
  heapFloorsMiB: number[];
  heapFloorGrowthPercent: number;
  paced: PacedResult;
}

/**
 * RSS under a steady load is a sawtooth (V8 lets old-space garbage build up to a few times the live
 * heap, then collects it), so two samples can differ by ±30% with no leak. A leak is a trend: the
 * least-squares slope over all samples, times the span, as a share of the mean.
 */
function trendGrowthPercent(samples: { second: number; rssMiB: number }[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanX = samples.reduce((a, s) => a + s.second, 0) / n;
  const meanY = samples.reduce((a, s) => a + s.rssMiB, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const s of samples) {
    sxy += (s.second - meanX) * (s.rssMiB - meanY);
    sxx += (s.second - meanX) ** 2;
  }
  if (sxx === 0 || meanY === 0) return 0;
  const span = samples[n - 1]!.second - samples[0]!.second;
  return round1((((sxy / sxx) * span) / meanY) * 100);
}

async function runSoak(ctx: Ctx, rate: number): Promise<SoakResult> {
  const servicePath = '/cds-services/cop-order-select';
  const aud = `${ctx.service.origin}${servicePath}`;
  const body = Buffer.from(JSON.stringify(hookRequest('order-select', { now: ctx.now, patientId: PATIENT_ID })));
  const pid = ctx.service.child.pid!;
  // Tokens expire after 5 minutes, so the soak's are signed as it goes, ~10 s ahead, on one worker thread.
  const pool = new TokenPool(ctx.key, aud);
  await pool.fill(ctx.signer, rate * 15);
  let refilling = false;
  const samples: SoakResult['samples'] = [{ second: 0, rssMiB: memoryOf(pid).rssMiB }];
  const heapFloors: number[] = [];
  const sampleHeap = (second: number): void => {
    void fetch(`${ctx.service.origin}/health`)
      .then((r) => r.json() as Promise<{ pressure?: { heapUsedBytes?: number } }>)
      .then((health) => {
        const used = health.pressure?.heapUsedBytes;
        if (typeof used !== 'number') return;
        const minute = Math.floor(second / 60);
        heapFloors[minute] = Math.min(heapFloors[minute] ?? Infinity, used / 1024 / 1024);
      })
      .catch(() => undefined);
  };
  console.log(`\n== soak: typical order-select at ${rate} req/s for ${SOAK_SECONDS} s, RSS every 5 s`);
  const result = await paced({
    origin: ctx.service.origin,
    path: servicePath,
    body,
    headers: () => ({ 'content-type': 'application/json', authorization: `Bearer ${pool.take()}` }),
    rate,
    durationSeconds: SOAK_SECONDS,
    connections: CONNECTIONS,
    onSecond: (second) => {
      sampleHeap(second);
      if (!refilling && pool.remaining < rate * 10) {
        refilling = true;
        void ctx.signer.sign(aud, rate * 5, 1).then((tokens) => {
          pool.append(tokens);
          refilling = false;
        });
      }
      if (second % 5 === 0) {
        const rssMiB = memoryOf(pid).rssMiB;
        samples.push({ second, rssMiB });
        if (second % 30 === 0) console.log(`   t=${second}s rss ${rssMiB} MiB`);
      }
    },
  });
  samples.push({ second: SOAK_SECONDS, rssMiB: memoryOf(pid).rssMiB });
  // Growth from the first sample after the warm-up minute (or 10 s for short soaks) to the end.
  const startAt = SOAK_SECONDS >= 120 ? 60 : 10;
  const first = samples.find((s) => s.second >= startAt)?.rssMiB ?? samples[0]!.rssMiB;
  const last = samples[samples.length - 1]!.rssMiB;
  const growthPercent = round1(((last - first) / first) * 100);
  const trend = trendGrowthPercent(samples.filter((s) => s.second >= startAt));
  // Whole minutes only, after the first (warm-up) one.
  const floors = heapFloors.slice(1, Math.floor(SOAK_SECONDS / 60)).map(round1);
  const heapFloorGrowthPercent = floors.length >= 2 ? round1(((floors[floors.length - 1]! - floors[0]!) / floors[0]!) * 100) : 0;
  console.log(`   live-heap floor per minute (min heapUsed from /health): ${floors.join(', ')} MiB (${heapFloorGrowthPercent}%)`);
  console.log(`   rss ${first} → ${last} MiB (${growthPercent}%), trend ${trend}% over the soak, p99 ${result.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}, inline-signed ${pool.inlineSigned}`);
  return {
    seconds: SOAK_SECONDS, rate, samples, firstMiB: first, lastMiB: last, maxMiB: Math.max(...samples.map((s) => s.rssMiB)),
    growthPercent, trendGrowthPercent: trend, heapFloorsMiB: floors, heapFloorGrowthPercent, paced: result,
  };
}

// ---- calibration of the load generator -----------------------------------------------------------

async function calibrate(ctx: Ctx): Promise<Json> {
  const servicePath = '/cds-services/cop-order-select';
  const aud = `${ctx.service.origin}${servicePath}`;
  const body = Buffer.from(JSON.stringify(hookRequest('order-select', { now: ctx.now, patientId: PATIENT_ID })));
  const check = await checkCall(aud, body, (await poolFor(ctx, aud, 1)).take(), 'calibration');
  await setBaselineResponse(ctx, check.text);
  const url = `${ctx.baselineOrigin}${servicePath}`;
  const pool = new TokenPool(ctx.key, aud, true);
  await pool.fill(ctx.signer, 2000);
  const fixed = pool.take();
  console.log('\n== load-generator calibration (against the baseline, typical order-select)');
  const out: Json = {};
  const run = async (label: string, tokens: TokenPool | string, extra: Partial<Options> = {}): Promise<void> => {
    await cannon(url, body, tokens, WARMUP_SECONDS, extra);
    const r = rowOf(await cannon(url, body, tokens, DURATION, extra));
    out[label] = r;
    console.log(`   ${label.padEnd(44)} ${String(r.reqPerSec).padStart(9)} req/s, p99 ${r.p99} ms`);
  };
  await run('fixed header, main thread', fixed);
  await run('fixed header, 2 worker threads', fixed, { workers: 2, body: body.toString() });
  await run('pre-signed pool via setupRequest', pool);
  await run('signed inline in setupRequest (node:crypto)', new TokenPool(ctx.key, aud));
  return out;
}

// ---- main -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const now = new Date();
  const scenarios = scenarioList();
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  console.log(
    `COP CDS benchmark: node ${process.version}, ${os.cpus().length} CPU(s) (${cpu}), ${CONNECTIONS} connections, ${DURATION} s per run, ` +
      `service ${RUNNER === 'build' ? 'compiled (tsc) and run with node' : 'run through tsx'}, NODE_ENV=production, auth ${AUTH} (${DEFAULT_ALG} unless a scenario names its algorithm), LOG_LEVEL=info to a file`,
  );

  const keys = { ES384: makeBenchKey('ES384'), RS384: makeBenchKey('RS384') };
  const threads = Math.max(1, os.cpus().length);
  const signers = { ES384: new TokenSigner(keys.ES384, threads), RS384: new TokenSigner(keys.RS384, threads) };
  const key = keys[DEFAULT_ALG];
  const signer = signers[DEFAULT_ALG];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'cop-bench-'));
  let build: Awaited<ReturnType<typeof buildService>> | undefined;
  let service: Service | undefined;
  let baseline: ChildProcess | undefined;
  let fhir: ChildProcess | undefined;
  const results: ScenarioResult[] = [];
  let fallback: FallbackResult | undefined;
  let soak: SoakResult | undefined;
  let calibration: Json | undefined;
  let serviceExit: number | null = null;
  let logBytes = 0;
  let logLines = 0;
  let overallPeakMiB = 0;
  let startupPeakMiB = 0;

  try {
    if (RUNNER === 'build') {
      build = await buildService(ROOT);
      console.log(`built the service in ${build.seconds.toFixed(1)} s${build.typeErrors ? ' (with type errors)' : ''}`);
    }
    fhir = spawnTsxChild(ROOT, 'bench/slow-fhir-server.ts', {
      BENCH_NOW: now.toISOString(),
      BENCH_PATIENT_ID: PATIENT_ID,
      BENCH_FHIR_DELAY_MS: String(FHIR_DELAY_MS),
    });
    const fhirBase = (await nextMessage<{ type: string; base: string }>(fhir, 'listening')).base;
    baseline = spawnTsxChild(ROOT, 'bench/baseline-server.ts', { BENCH_BODY_LIMIT: String(8 * 1024 * 1024) });
    const baselinePort = (await nextMessage<{ type: string; port: number }>(baseline, 'listening')).port;
    service = await startService({ keys: Object.values(keys), tmp, ...(build ? { buildDir: build.dir } : {}), fhirBase });
    startupPeakMiB = service.startupPeakMiB;
    overallPeakMiB = startupPeakMiB;
    console.log(`service pid ${service.child.pid} at ${service.origin} (rss at start ${memoryOf(service.child.pid!).rssMiB} MiB), log ${service.logFile}`);

    const ctx: Ctx = { key, signer, keys, signers, service, baseline, baselineOrigin: `http://127.0.0.1:${baselinePort}`, now };
    if (CALIBRATE) calibration = await calibrate(ctx);
    if (WARMUP_ALL_SECONDS > 0) {
      console.log(`warming the service up: ${WARMUP_ALL_SECONDS} s per scenario, not measured`);
      await warmUpService(ctx, scenarios);
    }
    for (const spec of scenarios) {
      const r = await runScenario(ctx, spec);
      results.push(r);
      overallPeakMiB = Math.max(overallPeakMiB, r.memory.peakMiB);
    }
    if (RUN_FHIR) {
      resetPeak(service.child.pid!);
      fallback = await runFallback(ctx, fhir, fhirBase, 'order-select');
      overallPeakMiB = Math.max(overallPeakMiB, memoryOf(service.child.pid!).peakMiB);
    }
    if (SOAK_SECONDS > 0) {
      const typical = results.find((r) => r.chart === 'typical' && r.hook === 'order-select');
      const rate = typical?.halfRate ?? 200;
      soak = await runSoak(ctx, rate);
      overallPeakMiB = Math.max(overallPeakMiB, memoryOf(service.child.pid!).peakMiB);
    }
  } finally {
    serviceExit = await stopChild(service?.child);
    await Promise.allSettled([stopChild(baseline), stopChild(fhir), ...Object.values(signers).map((s) => s.close())]);
    if (service) {
      try {
        const log = readFileSync(service.logFile, 'utf8');
        logBytes = statSync(service.logFile).size;
        logLines = log.split('\n').filter(Boolean).length;
        const errorLines = log.split('\n').filter((l) => /"level":(50|60)/.test(l));
        if (errorLines.length > 0) console.warn(`the service logged ${errorLines.length} error line(s), e.g.: ${errorLines[0]!.slice(0, 500)}`);
      } catch {
        // no log
      }
    }
    if (build) await rm(build.dir, { recursive: true, force: true });
    if (!KEEP) await rm(tmp, { recursive: true, force: true });
  }

  // ---- report ----
  console.log('\nResults (latency in ms; service = the real app, base = bare Fastify with the same body and a same-size answer)\n');
  printTable(
    ['scenario', 'request', 'answer', 'base req/s', 'svc req/s', 'svc/base', 'svc p50', 'svc p99', 'base p50', 'base p99', '½ rate', '½ p50', '½ p99', '½ p99 (ac)', 'peak RSS MiB', 'non-2xx/err'],
    results.map((r) => [
      r.name,
      formatBytes(r.requestBytes),
      formatBytes(r.responseBytes),
      r.baseline.reqPerSec.toFixed(0),
      r.service.reqPerSec.toFixed(0),
      `${r.ratio.toFixed(2)}x`,
      String(r.service.p50),
      String(r.service.p99),
      String(r.baseline.p50),
      String(r.baseline.p99),
      String(r.halfRate),
      r.paced.p50.toFixed(1),
      r.paced.p99.toFixed(1),
      String(r.autocannonHalfRate.p99),
      r.memory.peakMiB.toFixed(0),
      `${r.service.non2xx + r.paced.non2xx + r.autocannonHalfRate.non2xx}/${r.service.errors + r.paced.errors + r.autocannonHalfRate.errors}`,
    ]),
  );
  console.log('½ p50/p99: open-loop, evenly paced at half the service\'s max rate (bench/paced.ts); ½ p99 (ac): autocannon overallRate, which sends in bursts.');
  if (fallback) {
    console.log('');
    printTable(
      ['FHIR fallback', 'queries', 'slowest query p50', 'p99', 'wall p50 (1 conn)', 'p99', 'p50 ratio', 'p99 ratio', 'req/s (1 conn)', `req/s (${CONNECTIONS} conn)`, `p99 (${CONNECTIONS} conn)`],
      [[
        `${fallback.hook}, +${fallback.delayMs} ms/query`,
        String(fallback.queriesPerCall),
        fallback.slowestQueryP50.toFixed(1),
        fallback.slowestQueryP99.toFixed(1),
        String(fallback.sequential.p50),
        String(fallback.sequential.p99),
        `${fallback.ratioP50.toFixed(2)}x`,
        `${fallback.ratioP99.toFixed(2)}x`,
        fallback.sequential.reqPerSec.toFixed(0),
        fallback.concurrent.reqPerSec.toFixed(0),
        String(fallback.concurrent.p99),
      ]],
    );
  }

  const typicalSelect = results.find((r) => r.chart === 'typical' && r.hook === 'order-select');
  const typical = results.filter((r) => r.chart === 'typical');
  const heavy = results.filter((r) => r.chart === 'heavy');
  const limitMiB = round1(150 * MIB_PER_MB);
  type Target = { target: string; measured: string; met: boolean | null };
  const targets: Target[] = [
    {
      target: 'typical order-select req/s >= 60% of baseline',
      measured: typicalSelect ? `${Math.round(typicalSelect.ratio * 100)}% (${typicalSelect.service.reqPerSec} vs ${typicalSelect.baseline.reqPerSec} req/s)` : 'not run',
      met: typicalSelect ? typicalSelect.ratio >= 0.6 : null,
    },
    {
      target: 'p99 <= 10 ms at half max rate (typical, paced)',
      measured: typical.length ? typical.map((r) => `${r.hook} ${r.paced.p99} ms @${r.halfRate}/s`).join('; ') : 'not run',
      met: typical.length ? typical.every((r) => r.paced.p99 <= 10) : null,
    },
    {
      target: 'heavy chart p99 <= 50 ms (at half its max rate, paced; max-rate p99 in the table)',
      measured: heavy.length ? heavy.map((r) => `${r.hook} ${r.paced.p99} ms @${r.halfRate}/s (max rate: ${r.service.p99} ms)`).join('; ') : 'not run',
      met: heavy.length ? heavy.every((r) => r.paced.p99 <= 50) : null,
    },
    {
      target: 'FHIR fallback wall <= 1.3x slowest single query',
      measured: fallback ? `p50 ${fallback.sequential.p50} / ${fallback.slowestQueryP50} ms = ${fallback.ratioP50}x; p99 ${fallback.sequential.p99} / ${fallback.slowestQueryP99} ms = ${fallback.ratioP99}x` : 'not run',
      met: fallback ? fallback.ratioP50 <= 1.3 : null,
    },
    {
      target: `peak RSS <= 150 MB (${limitMiB} MiB)`,
      measured: `${overallPeakMiB} MiB (${Math.round(overallPeakMiB / MIB_PER_MB)} MB) over the run; at start-up ${startupPeakMiB} MiB`,
      met: overallPeakMiB <= limitMiB,
    },
    {
      target: 'RSS growth < 10% over the soak at half rate',
      measured: soak
        ? `live-heap floor ${soak.heapFloorGrowthPercent}% (${soak.heapFloorsMiB.join(' → ')} MiB, minutes 2–${soak.heapFloorsMiB.length + 1}); RSS trend ${soak.trendGrowthPercent}% (least squares after minute 1); RSS end points ${soak.firstMiB} → ${soak.lastMiB} MiB (${soak.growthPercent}%), max ${soak.maxMiB} MiB, ${soak.seconds} s at ${soak.rate} req/s`
        : 'not run (BENCH_SOAK_SECONDS=300)',
      met: soak ? soak.trendGrowthPercent < 10 && soak.growthPercent < 10 && soak.heapFloorGrowthPercent < 10 : null,
    },
  ];
  console.log('');
  printTable(['target', 'measured', 'met'], targets.map((t) => [t.target, t.measured, t.met === null ? '-' : t.met ? 'yes' : 'NO']), 2);
  const inline = results.reduce((n, r) => n + r.tokens.inlineSigned, 0);
  console.log(`\ntokens: pre-signed in worker threads before each run, handed out by autocannon setupRequest; ${inline} signed inline (pool ran dry).`);
  console.log(`service log: ${logLines} lines, ${formatBytes(logBytes)}${KEEP ? ` at ${service?.logFile}` : ' (deleted; BENCH_KEEP=1 keeps it)'}; service exit code after SIGTERM: ${serviceExit}`);

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: cpu,
    runner: RUNNER,
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    heavyObservations: HEAVY_OBSERVATIONS,
    settings: {
      NODE_ENV: 'production',
      CDS_AUTH: AUTH === 'off' ? 'off (BENCH_AUTH=off: not the production setting)' : `on (inline JWKS with an ES384 and an RS384 key; scenarios use ${DEFAULT_ALG} unless named)`,
      LOG_LEVEL: 'info (to a file)',
      store: 'SQLite (FEEDBACK_DB_PATH in a temp dir)',
      RATE_LIMIT_MAX: '1000000000 (plugin on, limit out of reach)',
    },
    tokenStrategy: 'pre-signed pool (worker threads) taken in autocannon setupRequest; fresh jti per request',
    startupPeakMiB,
    overallPeakMiB,
    scenarios: results,
    fhirFallback: fallback ?? null,
    soak: soak ?? null,
    calibration: calibration ?? null,
    targets,
    log: { lines: logLines, bytes: logBytes },
    wallSeconds: Math.round((Date.now() - started) / 1000),
  };
  const out = path.join(ROOT, 'bench/results.json');
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, out)} (${report.wallSeconds} s)`);

  const failed = results.filter((r) => r.service.errors + r.service.non2xx + r.paced.errors + r.paced.non2xx + r.autocannonHalfRate.errors + r.autocannonHalfRate.non2xx > 0);
  if (failed.length > 0 || (fallback && fallback.sequential.non2xx + fallback.sequential.errors > 0)) {
    console.error(`service runs with errors or non-2xx answers: ${[...failed.map((r) => r.name), ...(fallback && fallback.sequential.non2xx ? ['fhir fallback'] : [])].join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
