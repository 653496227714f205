/**
 * Throughput and latency of POST /cds-services/cop-order-select on the real app, next to a bare
 * Fastify baseline that JSON-parses the same body and answers a static body of the same size.
 * The ratio between the two is what the service's own work (validation, prefetch, facts, rules,
 * cards) costs on top of HTTP and JSON parsing.
 *
 *   npm run bench                       # 10 s per run
 *   BENCH_DURATION=3 npm run bench      # quick look
 *
 * Environment: BENCH_DURATION (s, 10), BENCH_CONNECTIONS (10), BENCH_WORKERS (load-generator
 * worker threads, 1; 0 = main thread), BENCH_LARGE_OBSERVATIONS (generated Observations in the
 * large variant, 2000), BENCH_NOW (the service's clock, default 5 days after the example's
 * weight so the example takes the dosing path whatever the date).
 *
 * Results go to stdout and to bench/results/latest.json (git-ignored).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

type Json = Record<string, unknown>;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVICE_PATH = '/cds-services/cop-order-select';

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min} (got "${raw}")`);
  return value;
}

const DURATION = envNumber('BENCH_DURATION', 10, 1);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 10, 1);
const WORKERS = envNumber('BENCH_WORKERS', 1, 0);
const LARGE_OBSERVATIONS = envNumber('BENCH_LARGE_OBSERVATIONS', 2000, 0);
const WARMUP_SECONDS = 1;
const NOW = new Date(process.env.BENCH_NOW ?? '2026-11-25T12:00:00Z');
if (Number.isNaN(NOW.getTime())) throw new Error(`BENCH_NOW is not a date: ${process.env.BENCH_NOW}`);

// ---- request bodies --------------------------------------------------------------------------

const isoDaysBefore = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();

const LABS = [
  { code: '2324-2', display: 'Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma', unit: 'U/L', value: 35, high: 55 },
  { code: '6768-6', display: 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma', unit: 'U/L', value: 90, high: 130 },
  { code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma', unit: 'mg/dL', value: 95, high: 99 },
] as const;

/**
 * A realistically verbose Observation (~1 KB): the weight or lab history a long chart carries.
 * All are older than the example's own observations and consistent with them (weights within
 * 2% of 60 kg, one a day; labs within range), so the advice is the same, only the work grows.
 */
function historyObservation(i: number, patientId: string): Json {
  const isWeight = i % 2 === 0;
  const ageDays = 10 + Math.floor(i / 2);
  const lab = LABS[i % LABS.length]!;
  const common = {
    resourceType: 'Observation',
    id: `bench-${isWeight ? 'weight' : 'lab'}-${i}`,
    meta: { versionId: '1', lastUpdated: isoDaysBefore(ageDays), source: 'urn:bench:generated' },
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5.99999.1', value: `obs-${i.toString().padStart(8, '0')}` }],
    status: 'final',
    subject: { reference: `Patient/${patientId}`, display: 'Synthetic benchmark patient' },
    encounter: { reference: `Encounter/bench-enc-${Math.floor(i / 20)}` },
    effectiveDateTime: isoDaysBefore(ageDays),
    issued: isoDaysBefore(ageDays),
    performer: [{ reference: 'Organization/bench-lab', display: 'Synthetic Hospital Laboratory' }],
  };
  if (isWeight) {
    return {
      ...common,
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }], text: 'Body weight' },
      valueQuantity: { value: 59.5 + (i % 7) * 0.15, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      note: [{ text: 'Measured on the ward scale, light clothing, no shoes.' }],
    };
  }
  return {
    ...common,
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: lab.code, display: lab.display }], text: lab.display },
    valueQuantity: { value: lab.value, unit: lab.unit, system: 'http://unitsofmeasure.org', code: lab.unit },
    interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N', display: 'Normal' }] }],
    referenceRange: [{ high: { value: lab.high, unit: lab.unit, system: 'http://unitsofmeasure.org', code: lab.unit }, text: `<= ${lab.high} ${lab.unit}` }],
  };
}

function entriesOf(bundle: unknown): Json[] {
  const entry = (bundle as { entry?: Json[] } | null)?.entry;
  return Array.isArray(entry) ? entry : [];
}

/** The example with ~n extra weight and lab Observations appended to its weight and labs prefetch. */
function largeVariant(example: Json, n: number): Json {
  const copy = structuredClone(example) as Json & { context: { patientId: string }; prefetch: Record<string, unknown> };
  const patientId = copy.context.patientId;
  const generated = Array.from({ length: n }, (_, i) => historyObservation(i, patientId));
  const weights = generated.filter((o) => String(o.id).startsWith('bench-weight'));
  const labs = generated.filter((o) => String(o.id).startsWith('bench-lab'));
  const bundle = (existing: unknown, extra: Json[]): Json => ({
    resourceType: 'Bundle',
    type: 'searchset',
    total: entriesOf(existing).length + extra.length,
    entry: [...entriesOf(existing), ...extra.map((resource) => ({ fullUrl: `urn:uuid:${String(resource.id)}`, resource }))],
  });
  copy.prefetch.weight = bundle(copy.prefetch.weight, weights);
  copy.prefetch.labs = bundle(copy.prefetch.labs, labs);
  return copy;
}

// ---- servers -----------------------------------------------------------------------------------

const urlOf = (app: FastifyInstance): string => {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
};

async function startService(): Promise<FastifyInstance> {
  // A real store file (WAL, synchronous FULL), as in production, in a directory of its own.
  const storeFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'cop-bench-')), 'store.sqlite');
  const config = loadConfig({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', FEEDBACK_DB_PATH: storeFile });
  const app = await buildApp(config, { clock: () => NOW });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

/** Bare Fastify: parses the same JSON (same body limit), answers whatever `respond()` holds. */
async function startBaseline(bodyLimit: number, respond: () => string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit });
  app.post('/cds-services/:id', async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) return reply.code(400).send({ error: 'no body' });
    return reply.type('application/json; charset=utf-8').send(respond());
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

// ---- checks and runs -----------------------------------------------------------------------

interface CardLike {
  summary?: string;
  indicator?: string;
  source?: { topic?: { code?: string } };
}

/** One real call; stops the benchmark unless the service answers 200 with at least one card. */
async function checkService(baseUrl: string, label: string, body: string): Promise<string> {
  const response = await fetch(`${baseUrl}${SERVICE_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
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
    throw new Error(
      `Sanity check failed for the ${label} request: HTTP ${response.status}, expected 200 with cards.\n` +
        `Response (first 2000 chars):\n${text.slice(0, 2000)}`,
    );
  }
  const summary = cards.map((c) => `${c.source?.topic?.code ?? '?'}:${c.indicator ?? '?'}`).join(', ');
  console.log(`check ${label}: 200, ${cards.length} card(s) [${summary}], response ${formatBytes(Buffer.byteLength(text))}`);
  return text;
}

async function load(url: string, body: string, duration: number, title: string): Promise<Result> {
  return autocannon({
    url,
    title,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration,
    workers: WORKERS,
    timeout: 30,
  });
}

interface Row {
  variant: string;
  server: 'service' | 'baseline';
  requestBytes: number;
  reqPerSec: number;
  p50: number;
  p97_5: number;
  p99: number;
  max: number;
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  memory?: { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number };
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

function rowOf(variant: string, server: Row['server'], requestBytes: number, r: Result): Row {
  return {
    variant,
    server,
    requestBytes,
    reqPerSec: Math.round(r.requests.average * 10) / 10,
    p50: r.latency.p50,
    p97_5: r.latency.p97_5,
    p99: r.latency.p99,
    max: r.latency.max,
    completed: r.latency.totalCount,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  };
}

function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const exampleText = await readFile(path.join(ROOT, 'examples/order-select-request.json'), 'utf8');
  const example = JSON.parse(exampleText) as Json;
  const variants = [
    { name: 'example', body: JSON.stringify(example) },
    { name: `large (+${LARGE_OBSERVATIONS} obs)`, body: JSON.stringify(largeVariant(example, LARGE_OBSERVATIONS)) },
  ];

  const service = await startService();
  const serviceUrl = urlOf(service);
  let staticResponse = '';
  const baseline = await startBaseline(loadConfig({}).bodyLimitBytes, () => staticResponse);
  const baselineUrl = urlOf(baseline);

  console.log(
    `COP CDS benchmark: node ${process.version}, ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), ` +
      `${CONNECTIONS} connections, ${DURATION} s per run, ${WORKERS} load worker thread(s), clock ${NOW.toISOString()}`,
  );

  const rows: Row[] = [];
  try {
    const responses = new Map<string, string>();
    for (const v of variants) responses.set(v.name, await checkService(serviceUrl, v.name, v.body));

    for (const v of variants) {
      const bytes = Buffer.byteLength(v.body);
      staticResponse = responses.get(v.name)!;
      console.log(`\nrunning ${v.name} (request ${formatBytes(bytes)}) ...`);

      await load(`${baselineUrl}${SERVICE_PATH}`, v.body, WARMUP_SECONDS, 'warm-up');
      rows.push(rowOf(v.name, 'baseline', bytes, await load(`${baselineUrl}${SERVICE_PATH}`, v.body, DURATION, `baseline ${v.name}`)));

      await load(`${serviceUrl}${SERVICE_PATH}`, v.body, WARMUP_SECONDS, 'warm-up');
      const result = rowOf(v.name, 'service', bytes, await load(`${serviceUrl}${SERVICE_PATH}`, v.body, DURATION, `service ${v.name}`));
      const m = process.memoryUsage();
      result.memory = { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal) };
      rows.push(result);
    }
  } finally {
    await Promise.allSettled([service.close(), baseline.close()]);
  }

  console.log('');
  const baselineOf = (variant: string): Row | undefined => rows.find((r) => r.variant === variant && r.server === 'baseline');
  printTable(
    ['variant', 'server', 'request', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'req/s vs base', 'p50 vs base'],
    rows.map((r) => {
      const base = baselineOf(r.variant);
      const ratio = (a: number, b: number | undefined): string => {
        if (r.server !== 'service' || b === undefined) return '';
        return b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a (base 0)';
      };
      return [
        r.variant,
        r.server,
        formatBytes(r.requestBytes),
        r.reqPerSec.toFixed(1),
        String(r.p50),
        String(r.p97_5),
        String(r.p99),
        String(r.max),
        `${r.errors}${r.timeouts ? ` (${r.timeouts} timeouts)` : ''}`,
        String(r.non2xx),
        ratio(r.reqPerSec, base?.reqPerSec),
        ratio(r.p50, base?.p50),
      ];
    }),
  );

  const m = process.memoryUsage();
  const peakRssMiB = mib(process.resourceUsage().maxRSS * 1024);
  console.log('');
  for (const r of rows.filter((x) => x.memory)) {
    console.log(`memory after service run "${r.variant}": rss ${r.memory!.rssMiB} MiB, heap used ${r.memory!.heapUsedMiB} / total ${r.memory!.heapTotalMiB} MiB`);
  }
  console.log(`memory at end: rss ${mib(m.rss)} MiB, heap used ${mib(m.heapUsed)} MiB, peak rss ${peakRssMiB} MiB`);
  console.log('(one process holds the service, the baseline and the load generator, so RSS is an upper bound for the service)');

  const outDir = path.join(ROOT, 'bench/results');
  await mkdir(outDir, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    connections: CONNECTIONS,
    durationSeconds: DURATION,
    workers: WORKERS,
    clock: NOW.toISOString(),
    rows,
    memoryAtEnd: { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), peakRssMiB },
  };
  await writeFile(path.join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(ROOT, path.join(outDir, 'latest.json'))}`);

  const failed = rows.filter((r) => r.server === 'service' && (r.errors > 0 || r.non2xx > 0));
  if (failed.length > 0) {
    console.error(`service runs with errors or non-2xx responses: ${failed.map((r) => r.variant).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
