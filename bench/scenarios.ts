/**
 * One scenario (a chart, a hook, a token algorithm) measured on the service and on every floor
 * (bench/servers.ts), and the warm-up and load-generator calibration around them.
 *
 * Per scenario: a check call (200 with enough cards, else the bench stops); then BENCH_ROUNDS
 * rounds at max rate, each server once per round (1 s warm-up, then BENCH_DURATION), in an order
 * rotated by one each round; then as many rounds evenly paced (open loop, bench/paced.ts) at half
 * the service's median max rate, every server at that same rate and in the same rotation; then the
 * service once at that rate with autocannon `overallRate` (bursty). Peak RSS (VmHWM) of every
 * process is reset at the start of the scenario and read at its end.
 */
import type { Options } from 'autocannon';
import { cannon, medianPaced, medianRow, rowOf, type LoadRow } from './load.js';
import { formatBytes, median, round2 } from './numbers.js';
import { paced, type PacedResult } from './paced.js';
import { hookRequest } from './payloads.js';
import { cpuTimeOf, memoryOf, resetPeak } from './procs.js';
import { checkCall, setBareResponse, type Floor, type FloorName, type Service } from './servers.js';
import {
  CONNECTIONS, DEFAULT_ALG, DURATION, HEAVY_OBSERVATIONS, MIN_CARDS, PATIENT_ID, ROUNDS, WARMUP_ALL_SECONDS, WARMUP_SECONDS,
  type Chart, type ScenarioSpec,
} from './settings.js';
import { TokenPool, type BenchKey, type JwtAlg, type TokenSigner } from './tokens.js';

type Json = Record<string, unknown>;

export interface Ctx {
  /** The default algorithm's key and signer (fallback, soak, calibration). */
  key: BenchKey;
  signer: TokenSigner;
  keys: Record<JwtAlg, BenchKey>;
  signers: Record<JwtAlg, TokenSigner>;
  service: Service;
  bare: Floor;
  jwtFloors: Floor[];
  now: Date;
}

export interface Memory {
  rssMiB: number;
  peakMiB: number;
  peakIsPerScenario: boolean;
}

/** One floor in one scenario, and the service's numbers as multiples of the floor's. */
export interface FloorResult {
  name: FloorName;
  /** The algorithm the floor verified; null for bare, which verifies nothing. */
  verifies: JwtAlg | null;
  max: LoadRow;
  /** At the service's half rate (the same offered load). */
  paced: PacedResult;
  memory: Memory;
  /**
   * service ÷ floor: max-rate req/s, paced half-rate p99, peak RSS; and floor ÷ service CPU per
   * call at max rate (the throughput the service would reach against the floor if both had the
   * host's CPU to themselves: the ratio a busy host disturbs least).
   */
  ratios: { throughput: number; pacedP99: number; peakRss: number; cpuThroughput: number };
}

type ServerName = 'service' | FloorName;

export interface RoundResult {
  round: number;
  order: ServerName[];
  max: Partial<Record<ServerName, LoadRow>>;
  paced: Partial<Record<ServerName, PacedResult>>;
}

export interface ScenarioResult {
  name: string;
  chart: Chart;
  hook: ScenarioSpec['hook'];
  jwtAlg: JwtAlg;
  requestBytes: number;
  responseBytes: number;
  cards: string;
  cardCount: number;
  /** The bare floor at max rate (the median over the rounds). */
  baseline: LoadRow;
  service: LoadRow;
  /** service ÷ bare, max-rate req/s. */
  ratio: number;
  halfRate: number;
  paced: PacedResult;
  autocannonHalfRate: LoadRow;
  /** Service memory: RSS at the end, peak (VmHWM) during this scenario. */
  memory: Memory;
  tokens: { preSigned: number; inlineSigned: number };
  floors: FloorResult[];
  rounds: RoundResult[];
}

/** Tokens for a run expected to make about `expected` requests. */
export async function poolFor(ctx: Ctx, aud: string, expected: number, alg: JwtAlg = DEFAULT_ALG): Promise<TokenPool> {
  const pool = new TokenPool(ctx.keys[alg], aud);
  await pool.fill(ctx.signers[alg], Math.ceil(expected * 1.4) + 20 * CONNECTIONS);
  return pool;
}

/**
 * Tokens for a floor: 500 fresh ones, cycled (no floor keeps a replay store, and verifying a token
 * costs the same the second time), signed right before each run so that none nears its expiry.
 * The bare floor gets the scenario's algorithm (a header of the same size), an authenticated floor
 * its own.
 */
async function floorPool(ctx: Ctx, floor: Floor, aud: string, alg: JwtAlg): Promise<TokenPool> {
  const use = floor.verifies ?? alg;
  const pool = new TokenPool(ctx.keys[use], aud, true);
  await pool.fill(ctx.signers[use], 500);
  return pool;
}

export function requestFor(ctx: Ctx, spec: Pick<ScenarioSpec, 'chart' | 'hook'>): { servicePath: string; aud: string; body: Buffer } {
  const servicePath = `/cds-services/cop-${spec.hook}`;
  const extraObservations = spec.chart === 'heavy' ? HEAVY_OBSERVATIONS : 0;
  const chart = spec.chart === 'ehr' ? 'ehr' : 'compact';
  const body = Buffer.from(JSON.stringify(hookRequest(spec.hook, { now: ctx.now, patientId: PATIENT_ID, extraObservations, chart })));
  return { servicePath, aud: `${ctx.service.origin}${servicePath}`, body };
}

/**
 * Before anything is measured, every scenario's request runs for WARMUP_ALL_SECONDS: the service
 * is a long-running process, and without this the first scenario measured V8 still compiling the
 * service's code (its half-rate p99 came out twice that of the same scenario measured second).
 */
export async function warmUpService(ctx: Ctx, specs: ScenarioSpec[]): Promise<void> {
  for (const spec of specs) {
    const { aud, body } = requestFor(ctx, spec);
    const pool = await poolFor(ctx, aud, 1000 * WARMUP_ALL_SECONDS, spec.alg);
    const result = await cannon(aud, body, pool, WARMUP_ALL_SECONDS);
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`warm-up of ${spec.chart} ${spec.hook}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
}

/** `names` starting at position `round` (mod its length). */
const rotate = <T>(names: readonly T[], round: number): T[] => names.map((_, i) => names[(i + round) % names.length]!);

const ratioOf = (a: number, b: number): number => (b > 0 ? round2(a / b) : NaN);

export async function runScenario(ctx: Ctx, spec: ScenarioSpec): Promise<ScenarioResult> {
  const name = `${spec.chart} ${spec.hook}${spec.alg === DEFAULT_ALG ? '' : ` ${spec.alg}`}`;
  const { servicePath, aud, body } = requestFor(ctx, spec);
  const pid = ctx.service.child.pid!;
  const floors = [ctx.bare, ...ctx.jwtFloors];
  const floorByName = new Map(floors.map((f) => [f.name, f]));
  let preSigned = 0;
  let inlineSigned = 0;

  const checkPool = await poolFor(ctx, aud, 1, spec.alg);
  const check = await checkCall(aud, body, checkPool.take(), name, MIN_CARDS[`${spec.chart}:${spec.hook}`] ?? 1);
  console.log(`\n== ${name}: request ${formatBytes(body.length)}, check 200 with ${check.count} card(s) [${check.cards}], response ${formatBytes(Buffer.byteLength(check.text))}`);
  await setBareResponse(ctx.bare, check.text);

  const peakIsPerScenario = resetPeak(pid);
  const floorPeakReset = new Map(floors.map((f) => [f.name, resetPeak(f.child.pid!)]));
  const names: ServerName[] = [...floors.map((f) => f.name), 'service'];
  const rounds: RoundResult[] = Array.from({ length: ROUNDS }, (_, r) => ({ round: r + 1, order: rotate(names, r), max: {}, paced: {} }));
  const tag = (r: RoundResult): string => (ROUNDS > 1 ? `[${r.round}/${ROUNDS}] ` : '');
  const label = (server: ServerName): string => (server === 'bare' ? 'baseline' : server).padEnd(10);

  const serviceMax = async (): Promise<LoadRow> => {
    // A warm-up sizes the token pool of the measured run.
    const warmPool = await poolFor(ctx, aud, 3000, spec.alg);
    const warm = await cannon(aud, body, warmPool, WARMUP_SECONDS);
    preSigned += 3000;
    inlineSigned += warmPool.inlineSigned;
    // The warm-up runs cold (JIT), so the measured run may be up to twice as fast.
    const maxPool = await poolFor(ctx, aud, Math.max(warm.requests.average, 50) * 2 * DURATION, spec.alg);
    preSigned += maxPool.remaining;
    const before = cpuTimeOf(pid);
    const result = await cannon(aud, body, maxPool, DURATION);
    const row = rowOf(result, { before, after: cpuTimeOf(pid) });
    inlineSigned += maxPool.inlineSigned;
    if (maxPool.inlineSigned) console.log(`   (token pool ran dry: ${maxPool.inlineSigned} signed inline)`);
    return row;
  };
  const floorMax = async (floor: Floor): Promise<LoadRow> => {
    const url = `${floor.origin}${servicePath}`;
    const pool = await floorPool(ctx, floor, aud, spec.alg);
    await cannon(url, body, pool, WARMUP_SECONDS);
    const before = cpuTimeOf(floor.child.pid!);
    const result = await cannon(url, body, pool, DURATION);
    return rowOf(result, { before, after: cpuTimeOf(floor.child.pid!) });
  };

  for (const round of rounds) {
    for (const server of round.order) {
      const row = server === 'service' ? await serviceMax() : await floorMax(floorByName.get(server)!);
      round.max[server] = row;
      const cpu = row.cpuMsPerCall !== undefined ? `, CPU ${row.cpuMsPerCall} ms/call (main thread ${row.mainCpuMsPerCall})` : '';
      console.log(`   ${tag(round)}${label(server)} max rate: ${row.reqPerSec} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms${cpu}`);
    }
  }
  const service = medianRow(rounds.map((r) => r.max.service!));
  const baseline = medianRow(rounds.map((r) => r.max.bare!));
  const ratio = ratioOf(service.reqPerSec, baseline.reqPerSec);
  console.log(`   service   max rate${ROUNDS > 1 ? ` (median of ${ROUNDS})` : ''}: ${service.reqPerSec} req/s (${ratio}x baseline)`);

  // Half the service's max rate, evenly paced (open loop), on every server at that same rate.
  const halfRate = Math.max(1, Math.round(median(rounds.map((r) => r.max.service!.reqPerSec)) / 2));
  for (const round of rounds) {
    for (const server of round.order) {
      const floor = server === 'service' ? undefined : floorByName.get(server)!;
      const pool = floor ? await floorPool(ctx, floor, aud, spec.alg) : await poolFor(ctx, aud, halfRate * DURATION, spec.alg);
      if (!floor) preSigned += pool.remaining;
      const result = await paced({
        origin: floor ? floor.origin : ctx.service.origin,
        path: servicePath,
        body,
        headers: () => ({ 'content-type': 'application/json', authorization: `Bearer ${pool.take()}` }),
        rate: halfRate,
        durationSeconds: DURATION,
        connections: CONNECTIONS,
      });
      if (!floor) inlineSigned += pool.inlineSigned;
      round.paced[server] = result;
      console.log(`   ${tag(round)}${label(server)} ${halfRate} req/s paced: p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, max ${result.max} ms (achieved ${result.achievedRate} req/s)`);
    }
  }
  const pacedResult = medianPaced(rounds.map((r) => r.paced.service!));

  // Then autocannon overallRate (bursty), the service only.
  const acPool = await poolFor(ctx, aud, halfRate * DURATION, spec.alg);
  preSigned += acPool.remaining;
  const autocannonHalfRate = rowOf(await cannon(aud, body, acPool, DURATION, { overallRate: halfRate }));
  inlineSigned += acPool.inlineSigned;
  console.log(`   service   ${halfRate} req/s autocannon overallRate: p50 ${autocannonHalfRate.p50} ms, p99 ${autocannonHalfRate.p99} ms`);

  const memory = { ...memoryOf(pid), peakIsPerScenario };
  console.log(`   service memory: rss ${memory.rssMiB} MiB, peak ${memory.peakMiB} MiB${peakIsPerScenario ? ' (this scenario)' : ' (since start)'}`);
  const floorResults = floors.map((floor): FloorResult => {
    const max = medianRow(rounds.map((r) => r.max[floor.name]!));
    const floorPaced = medianPaced(rounds.map((r) => r.paced[floor.name]!));
    const floorMemory = { ...memoryOf(floor.child.pid!), peakIsPerScenario: floorPeakReset.get(floor.name)! };
    return {
      name: floor.name,
      verifies: floor.verifies,
      max,
      paced: floorPaced,
      memory: floorMemory,
      ratios: {
        throughput: ratioOf(service.reqPerSec, max.reqPerSec),
        pacedP99: ratioOf(pacedResult.p99, floorPaced.p99),
        peakRss: ratioOf(memory.peakMiB, floorMemory.peakMiB),
        cpuThroughput: ratioOf(max.cpuMsPerCall ?? NaN, service.cpuMsPerCall ?? NaN),
      },
    };
  });
  for (const f of floorResults) {
    console.log(`   service vs ${f.name.padEnd(10)} req/s ${f.ratios.throughput}x, by CPU per call ${f.ratios.cpuThroughput}x, paced p99 ${f.ratios.pacedP99}x, peak RSS ${f.ratios.peakRss}x (${memory.peakMiB} vs ${f.memory.peakMiB} MiB)`);
  }
  return {
    name,
    chart: spec.chart,
    hook: spec.hook,
    jwtAlg: spec.alg,
    requestBytes: body.length,
    responseBytes: Buffer.byteLength(check.text),
    cards: check.cards,
    cardCount: check.count,
    baseline,
    service,
    ratio,
    halfRate,
    paced: pacedResult,
    autocannonHalfRate,
    memory,
    tokens: { preSigned, inlineSigned },
    floors: floorResults,
    rounds,
  };
}

/** How the load generator's token strategies compare, against the bare floor (BENCH_CALIBRATE=1). */
export async function calibrate(ctx: Ctx): Promise<Json> {
  const servicePath = '/cds-services/cop-order-select';
  const aud = `${ctx.service.origin}${servicePath}`;
  const body = Buffer.from(JSON.stringify(hookRequest('order-select', { now: ctx.now, patientId: PATIENT_ID })));
  const check = await checkCall(aud, body, (await poolFor(ctx, aud, 1)).take(), 'calibration');
  await setBareResponse(ctx.bare, check.text);
  const url = `${ctx.bare.origin}${servicePath}`;
  const pool = new TokenPool(ctx.key, aud, true);
  await pool.fill(ctx.signer, 2000);
  const fixed = pool.take();
  console.log('\n== load-generator calibration (against the baseline, typical order-select)');
  const out: Json = {};
  const one = async (label: string, tokens: TokenPool | string, extra: Partial<Options> = {}): Promise<void> => {
    await cannon(url, body, tokens, WARMUP_SECONDS, extra);
    const r = rowOf(await cannon(url, body, tokens, DURATION, extra));
    out[label] = r;
    console.log(`   ${label.padEnd(44)} ${String(r.reqPerSec).padStart(9)} req/s, p99 ${r.p99} ms`);
  };
  await one('fixed header, main thread', fixed);
  await one('fixed header, 2 worker threads', fixed, { workers: 2, body: body.toString() });
  await one('pre-signed pool via setupRequest', pool);
  await one('signed inline in setupRequest (node:crypto)', new TokenPool(ctx.key, aud));
  return out;
}
