/**
 * What `npm run bench` prints at the end (the results table, the table against the floors, the
 * FHIR fallback, the targets) and writes to bench/results.json (git-ignored: numbers of one machine).
 */
import os from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { FallbackResult } from './fallback.js';
import { formatBytes, MIB_PER_MB, round1 } from './numbers.js';
import type { ScenarioResult } from './scenarios.js';
import type { SoakResult } from './soak.js';
import {
  AUTH, CONNECTIONS, DEFAULT_ALG, DURATION, HEAVY_OBSERVATIONS, JWT_FLOOR_ALGS, KEEP, QUICK, ROOT, ROUNDS, RUNNER,
} from './settings.js';

type Json = Record<string, unknown>;

export interface RunSummary {
  started: number;
  cpu: string;
  results: ScenarioResult[];
  fallback: FallbackResult | undefined;
  soak: SoakResult | undefined;
  calibration: Json | undefined;
  startupPeakMiB: number;
  overallPeakMiB: number;
  serviceExit: number | null;
  logBytes: number;
  logLines: number;
  logFile: string | undefined;
}

function printTable(headers: string[], rows: string[][], leftColumns = 1): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

const times = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '-');

function printScenarios(results: ScenarioResult[]): void {
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
  if (ROUNDS > 1) console.log(`Each number is the median over ${ROUNDS} rounds (servers in a rotated order each round); counts are totals.`);
}

function printFloors(results: ScenarioResult[]): void {
  console.log('\nAgainst the floors (service ÷ floor, same request; bare+ES384/RS384 = bare Fastify verifying the JWT of every request, answering a small fixed body)\n');
  printTable(
    ['scenario', 'floor', 'cards', 'floor req/s', 'svc/floor req/s', 'floor CPU ms/call', 'svc CPU ms/call', 'floor/svc CPU', 'floor ½ p99', 'svc/floor ½ p99', 'floor peak RSS MiB', 'svc/floor RSS', 'floor non-2xx/err'],
    results.flatMap((r) => r.floors.map((f) => [
      r.name,
      f.name,
      String(r.cardCount),
      f.max.reqPerSec.toFixed(0),
      times(f.ratios.throughput),
      f.max.cpuMsPerCall?.toFixed(2) ?? '-',
      r.service.cpuMsPerCall?.toFixed(2) ?? '-',
      times(f.ratios.cpuThroughput),
      f.paced.p99.toFixed(1),
      times(f.ratios.pacedP99),
      f.memory.peakMiB.toFixed(0),
      times(f.ratios.peakRss),
      `${f.max.non2xx + f.paced.non2xx}/${f.max.errors + f.paced.errors}`,
    ])),
    2,
  );
  console.log('CPU ms/call: all threads of the process per answered request at max rate (/proc); floor/svc CPU is the req/s ratio the two would have with the CPU to themselves, and moves far less than req/s with the host\'s load.');
  console.log('Floor ½ p99: the floor evenly paced at the service\'s half rate (the same offered load); peak RSS: VmHWM of each process during the scenario.');
}

function printFallback(fallback: FallbackResult): void {
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

type Target = { target: string; measured: string; met: boolean | null };

function targetsOf(s: RunSummary): Target[] {
  const { results, fallback, soak, overallPeakMiB, startupPeakMiB } = s;
  const typicalSelect = results.find((r) => r.chart === 'typical' && r.hook === 'order-select');
  const typical = results.filter((r) => r.chart === 'typical');
  const heavy = results.filter((r) => r.chart === 'heavy');
  const limitMiB = round1(150 * MIB_PER_MB);
  const againstFloor = (chart: 'typical' | 'heavy', minimum: number): Target[] => {
    const rows = results.filter((r) => r.chart === chart).flatMap((r) => r.floors.filter((f) => f.verifies === 'ES384').map((f) => ({ r, f })));
    const list = (text: (x: { r: ScenarioResult; f: ScenarioResult['floors'][number] }) => string): string => (rows.length ? rows.map(text).join('; ') : 'not run (BENCH_JWT_FLOORS=ES384)');
    const all = (ok: (x: { r: ScenarioResult; f: ScenarioResult['floors'][number] }) => boolean): boolean | null => (rows.length ? rows.every(ok) : null);
    return [
      {
        target: `${chart} req/s >= ${minimum}x bare+ES384 (also shown: the same by CPU per call)`,
        measured: list(({ r, f }) => `${r.hook} ${times(f.ratios.throughput)} (by CPU ${times(f.ratios.cpuThroughput)})`),
        met: all(({ f }) => f.ratios.throughput >= minimum),
      },
      {
        target: `${chart} paced ½-rate p99 <= 1.5x bare+ES384's`,
        measured: list(({ r, f }) => `${r.hook} ${r.paced.p99} vs ${f.paced.p99} ms = ${times(f.ratios.pacedP99)}`),
        met: all(({ f }) => f.ratios.pacedP99 <= 1.5),
      },
      {
        target: `${chart} peak RSS <= 1.6x bare+ES384's`,
        measured: list(({ r, f }) => `${r.hook} ${times(f.ratios.peakRss)}`),
        met: all(({ f }) => f.ratios.peakRss <= 1.6),
      },
    ];
  };
  return [
    ...againstFloor('typical', 0.55),
    ...againstFloor('heavy', 0.75),
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
}

/** Prints the tables and writes bench/results.json; sets a failing exit code when a service run had errors. */
export async function report(s: RunSummary): Promise<void> {
  const { results, fallback, soak } = s;
  printScenarios(results);
  if (results.some((r) => r.floors.length > 0)) printFloors(results);
  if (fallback) printFallback(fallback);

  const targets = targetsOf(s);
  console.log('');
  printTable(['target', 'measured', 'met'], targets.map((t) => [t.target, t.measured, t.met === null ? '-' : t.met ? 'yes' : 'NO']), 2);
  const inline = results.reduce((n, r) => n + r.tokens.inlineSigned, 0);
  console.log(`\ntokens: pre-signed in worker threads before each run, handed out by autocannon setupRequest; ${inline} signed inline (pool ran dry).`);
  console.log(`service log: ${s.logLines} lines, ${formatBytes(s.logBytes)}${KEEP ? ` at ${s.logFile}` : ' (deleted; BENCH_KEEP=1 keeps it)'}; service exit code after SIGTERM: ${s.serviceExit}`);

  const json = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: s.cpu,
    runner: RUNNER,
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    heavyObservations: HEAVY_OBSERVATIONS,
    rounds: ROUNDS,
    quick: QUICK,
    floors: ['bare', ...JWT_FLOOR_ALGS.map((a) => `bare+${a}`)],
    settings: {
      NODE_ENV: 'production',
      CDS_AUTH: AUTH === 'off' ? 'off (BENCH_AUTH=off: not the production setting)' : `on (inline JWKS with an ES384 and an RS384 key; scenarios use ${DEFAULT_ALG} unless named)`,
      LOG_LEVEL: 'info (to a file)',
      store: 'SQLite (FEEDBACK_DB_PATH in a temp dir)',
      RATE_LIMIT_MAX: '1000000000 (plugin on, limit out of reach)',
    },
    tokenStrategy: 'pre-signed pool (worker threads) taken in autocannon setupRequest; fresh jti per request',
    startupPeakMiB: s.startupPeakMiB,
    overallPeakMiB: s.overallPeakMiB,
    scenarios: results,
    fhirFallback: fallback ?? null,
    soak: soak ?? null,
    calibration: s.calibration ?? null,
    targets,
    log: { lines: s.logLines, bytes: s.logBytes },
    wallSeconds: Math.round((Date.now() - s.started) / 1000),
  };
  const out = path.join(ROOT, 'bench/results.json');
  await writeFile(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, out)} (${json.wallSeconds} s)`);

  const failed = results.filter((r) => r.service.errors + r.service.non2xx + r.paced.errors + r.paced.non2xx + r.autocannonHalfRate.errors + r.autocannonHalfRate.non2xx > 0);
  const floorsFailed = results.flatMap((r) => r.floors.filter((f) => f.max.errors + f.max.non2xx + f.paced.errors + f.paced.non2xx > 0).map((f) => `${r.name} (${f.name})`));
  if (failed.length > 0 || (fallback && fallback.sequential.non2xx + fallback.sequential.errors > 0)) {
    console.error(`service runs with errors or non-2xx answers: ${[...failed.map((r) => r.name), ...(fallback && fallback.sequential.non2xx ? ['fhir fallback'] : [])].join(', ')}`);
    process.exitCode = 1;
  }
  // A floor that refuses its requests (a token it does not accept) measured nothing.
  if (floorsFailed.length > 0) {
    console.error(`floor runs with errors or non-2xx answers: ${floorsFailed.join(', ')}`);
    process.exitCode = 1;
  }
}
