/**
 * `npm run bench`: the real service, in a process of its own with production settings (compiled
 * like `npm run build`, NODE_ENV=production, authentication on with a key generated here, logging
 * at info to a file, SQLite store), against floors in processes of their own (bench/servers.ts):
 * bare Fastify that JSON-parses the same body and answers a body of the same size as the
 * service's answer (`bare`), and bare Fastify that also verifies the same JWT per request
 * (`bare+ES384`, `bare+RS384`). autocannon drives them over loopback with synthetic charts
 * (bench/payloads.ts): a typical COP patient in compact resources, a heavy chart (~2,000 extra
 * Observations) and the typical patient as an EHR sends it (~88 KB, bench/ehr-chart.ts), for
 * order-select, order-sign and patient-view. A second scenario measures the FHIR fallback (no
 * prefetch) against a loopback FHIR server that adds 20 ms per query. Optional soak at half rate
 * watches RSS. How one scenario runs: bench/scenarios.ts.
 *
 *   npm run bench                                 # everything, 10 s per run, 2 rounds
 *   BENCH_QUICK=1 npm run bench                   # a check that it works, under 2 minutes
 *   BENCH_DURATION=3 BENCH_ROUNDS=1 npm run bench # quick look
 *   BENCH_SOAK_SECONDS=300 npm run bench          # + the 5-minute soak
 *   BENCH_SCENARIOS=typical:order-select npm run bench
 *   BENCH_SCENARIOS=typical:order-select:ES384,typical:order-select:RS384 npm run bench
 *
 * Environment: BENCH_DURATION (s per run, 10), BENCH_ROUNDS (2), BENCH_QUICK (1: 2 s runs, 1
 * round, 1 s warm-up, typical order-select and ehr patient-view, no FHIR fallback),
 * BENCH_CONNECTIONS (10), BENCH_SCENARIOS (comma list of chart:hook[:alg], chart typical | heavy |
 * ehr; default the six typical and heavy ones with BENCH_JWT_ALG, typical:order-select with the
 * other algorithm, and the three ehr ones), BENCH_JWT_ALG (ES384 | RS384: the CDS Client JWT
 * algorithm, ES384), BENCH_JWT_FLOORS (ES384,RS384: the authenticated floors; none), BENCH_AUTH
 * (on; off only to see what authentication costs), BENCH_NODE_FLAGS (node flags for the service
 * instead of those of `npm start`, to try V8 settings; "" for none), BENCH_WARMUP_SECONDS (3: each
 * scenario's request runs this long before anything is measured), BENCH_HEAVY_OBSERVATIONS (2000),
 * BENCH_FHIR_DELAY_MS (20), BENCH_FHIR (1; 0 skips the fallback scenario), BENCH_SOAK_SECONDS (0 =
 * no soak), BENCH_RUNNER (`build`: tsc to bench/.build-*, run with node, as in production; `tsx`:
 * run src/main.ts through tsx), BENCH_CALIBRATE (1: also measure the load generator's token
 * strategies against the baseline), BENCH_KEEP (1: keep the temp dir with the service's log).
 *
 * Results: tables on stdout and bench/results.json (git-ignored: numbers of one machine), bench/report.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runFallback, type FallbackResult } from './fallback.js';
import { buildFloors, buildService, memoryOf, nextMessage, resetPeak, spawnTsxChild, stopChild } from './procs.js';
import { report } from './report.js';
import { calibrate, runScenario, warmUpService, type Ctx, type ScenarioResult } from './scenarios.js';
import { startBareFloor, startJwtFloors, startService, type Floor, type Service } from './servers.js';
import {
  AUTH, CALIBRATE, CONNECTIONS, DEFAULT_ALG, DURATION, FHIR_DELAY_MS, JWT_FLOOR_ALGS, KEEP, PATIENT_ID, QUICK, ROOT, ROUNDS, RUN_FHIR, RUNNER,
  SOAK_SECONDS, WARMUP_ALL_SECONDS, scenarioList,
} from './settings.js';
import { runSoak, type SoakResult } from './soak.js';
import { makeBenchKey, TokenSigner } from './tokens.js';

async function main(): Promise<void> {
  const started = Date.now();
  const now = new Date();
  const scenarios = scenarioList();
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  console.log(
    `COP CDS benchmark: node ${process.version}, ${os.cpus().length} CPU(s) (${cpu}), ${CONNECTIONS} connections, ${DURATION} s per run, ${ROUNDS} round(s)${QUICK ? ' (BENCH_QUICK)' : ''}, ` +
      `service ${RUNNER === 'build' ? 'compiled (tsc) and run with node' : 'run through tsx'}, NODE_ENV=production, auth ${AUTH} (${DEFAULT_ALG} unless a scenario names its algorithm), LOG_LEVEL=info to a file`,
  );

  const keys = { ES384: makeBenchKey('ES384'), RS384: makeBenchKey('RS384') };
  const threads = Math.max(1, os.cpus().length);
  const signers = { ES384: new TokenSigner(keys.ES384, threads), RS384: new TokenSigner(keys.RS384, threads) };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'cop-bench-'));
  let build: Awaited<ReturnType<typeof buildService>> | undefined;
  let service: Service | undefined;
  let bare: Floor | undefined;
  let jwtFloors: Floor[] = [];
  let fhir: ChildProcess | undefined;
  const results: ScenarioResult[] = [];
  let fallback: FallbackResult | undefined;
  let soak: SoakResult | undefined;
  let calibration: Record<string, unknown> | undefined;
  let serviceExit: number | null = null;
  let logBytes = 0;
  let logLines = 0;
  let overallPeakMiB = 0;
  let startupPeakMiB = 0;

  try {
    if (RUNNER === 'build') {
      const t = performance.now();
      build = await buildService(ROOT);
      await buildFloors(ROOT, build.dir);
      console.log(`built the service and the floors in ${((performance.now() - t) / 1000).toFixed(1)} s${build.typeErrors ? ' (with type errors)' : ''}`);
    }
    fhir = spawnTsxChild(ROOT, 'bench/slow-fhir-server.ts', {
      BENCH_NOW: now.toISOString(),
      BENCH_PATIENT_ID: PATIENT_ID,
      BENCH_FHIR_DELAY_MS: String(FHIR_DELAY_MS),
    });
    const fhirBase = (await nextMessage<{ type: string; base: string }>(fhir, 'listening')).base;
    bare = await startBareFloor(build?.dir);
    service = await startService({ keys: Object.values(keys), tmp, ...(build ? { buildDir: build.dir } : {}), fhirBase });
    startupPeakMiB = service.startupPeakMiB;
    overallPeakMiB = startupPeakMiB;
    console.log(`service pid ${service.child.pid} at ${service.origin} (rss at start ${memoryOf(service.child.pid!).rssMiB} MiB), log ${service.logFile}`);
    jwtFloors = await startJwtFloors(JWT_FLOOR_ALGS, Object.values(keys), service.origin, build?.dir);
    for (const f of [bare, ...jwtFloors]) console.log(`floor ${f.name}: pid ${f.child.pid} at ${f.origin} (rss at start ${memoryOf(f.child.pid!).rssMiB} MiB)`);

    const ctx: Ctx = { key: keys[DEFAULT_ALG], signer: signers[DEFAULT_ALG], keys, signers, service, bare, jwtFloors, now };
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
    await Promise.allSettled([stopChild(bare?.child), ...jwtFloors.map((f) => stopChild(f.child)), stopChild(fhir), ...Object.values(signers).map((s) => s.close())]);
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

  await report({ started, cpu, results, fallback, soak, calibration, startupPeakMiB, overallPeakMiB, serviceExit, logBytes, logLines, logFile: service?.logFile });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
