/**
 * `npm run bench:profile`: where the service's CPU goes for one hook and chart. Builds the app in
 * this process with the bench's production settings (auth on with RS384 or ES384 tokens signed beforehand,
 * LOG_LEVEL=info to /dev/null, a SQLite store in a temp dir), warms up, then runs N requests
 * through `app.inject` (no sockets: the service's own work) under the V8 CPU profiler (the same
 * profiler as `node --cpu-prof`, started only around the measured requests), prints the top
 * self-time frames and the time per source file / package, and writes the .cpuprofile (open it in
 * Chrome DevTools → Performance) under bench/profiles/.
 *
 *   npm run bench:profile                                   # typical order-select, 2000 requests
 *   PROFILE_HOOK=patient-view PROFILE_CHART=heavy PROFILE_N=200 npm run bench:profile
 *
 * Environment: PROFILE_HOOK (order-select | order-sign | patient-view), PROFILE_CHART (typical |
 * heavy | ehr), PROFILE_N (requests, 2000; heavy: 200), PROFILE_AUTH (on | off), PROFILE_JWT_ALG (ES384 | RS384), PROFILE_LOG_LEVEL
 * (info), PROFILE_TOP (frames listed, 30), BENCH_HEAVY_OBSERVATIONS (2000).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { hookRequest, type BenchHook } from './payloads.js';
import { JWT_ALGS, makeBenchKey, TokenSigner, trustedClientsJson, type JwtAlg } from './tokens.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOOK = (process.env.PROFILE_HOOK ?? 'order-select') as BenchHook;
const CHART = process.env.PROFILE_CHART ?? 'typical';
const N = Number(process.env.PROFILE_N ?? (CHART === 'heavy' ? 200 : 2000));
const AUTH = (process.env.PROFILE_AUTH ?? 'on') === 'on';
const ALG = (process.env.PROFILE_JWT_ALG ?? 'ES384').toUpperCase() as JwtAlg;
if (!JWT_ALGS.includes(ALG)) throw new Error(`PROFILE_JWT_ALG: ${JWT_ALGS.join(' or ')} (got ${ALG})`);
const LOG_LEVEL = process.env.PROFILE_LOG_LEVEL ?? 'info';
const TOP = Number(process.env.PROFILE_TOP ?? 30);
const HEAVY = Number(process.env.BENCH_HEAVY_OBSERVATIONS ?? 2000);
if (!['order-select', 'order-sign', 'patient-view'].includes(HOOK)) throw new Error(`PROFILE_HOOK: unknown hook ${HOOK}`);
if (!['typical', 'heavy', 'ehr'].includes(CHART)) throw new Error(`PROFILE_CHART: typical, heavy or ehr (got ${CHART})`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** `src/cop/facts.ts`, `fastify`, `node:internal/...`: where a frame's code lives. */
function ownerOf(url: string): string {
  if (!url) return '(native / V8)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (clean.startsWith(ROOT)) return path.relative(ROOT, clean);
  if (clean.startsWith('node:')) return clean.split('/').slice(0, 2).join('/');
  return clean;
}

function summarise(profile: CpuProfile, wallMs: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  /** Native frames (no url) are named after their nearest JavaScript caller: `run ← recordShownCards`. */
  const callerOf = (id: number): string => {
    for (let p = parentOf.get(id); p !== undefined; p = parentOf.get(p)) {
      const f = byId.get(p)!.callFrame;
      if (f.url) return ` ← ${f.functionName || '(anonymous)'} ${ownerOf(f.url)}:${f.lineNumber + 1}`;
    }
    return '';
  };
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const frames = new Map<string, { us: number; owner: string }>();
  const owners = new Map<string, number>();
  for (const [id, us] of self) {
    const { callFrame: f } = byId.get(id)!;
    const owner = ownerOf(f.url);
    const label = `${f.functionName || '(anonymous)'}  ${owner}${f.url ? `:${f.lineNumber + 1}` : callerOf(id)}`;
    const entry = frames.get(label) ?? { us: 0, owner };
    entry.us += us;
    frames.set(label, entry);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const ms = (us: number): string => `${(us / 1000 / N).toFixed(3)} ms/req`;
  console.log(`\nTop ${TOP} frames by self time (${(total / 1000).toFixed(0)} ms sampled over ${N} requests, ${(wallMs / N).toFixed(3)} ms wall per request):`);
  for (const [label, { us }] of [...frames].sort((a, b) => b[1].us - a[1].us).slice(0, TOP)) console.log(`  ${pct(us)}  ${ms(us).padStart(15)}  ${label}`);
  console.log('\nSelf time by source file / package:');
  for (const [owner, us] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(us)}  ${ms(us).padStart(15)}  ${owner}`);
}

async function main(): Promise<void> {
  const now = new Date();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'cop-profile-'));
  const key = makeBenchKey(ALG);
  const base = 'http://127.0.0.1:8080';
  const url = `/cds-services/cop-${HOOK}`;
  const config = loadConfig({
    NODE_ENV: 'production',
    CDS_AUTH: AUTH ? 'on' : 'off',
    PUBLIC_BASE_URL: base,
    CDS_TRUSTED_CLIENTS: trustedClientsJson(key),
    LOG_LEVEL: LOG_LEVEL,
    FEEDBACK_DB_PATH: path.join(tmp, 'store.sqlite'),
    PATIENT_KEY_SECRET: 'profile-secret-0123456789',
    RATE_LIMIT_MAX: '1000000000',
  });
  const app = await buildApp(config, { logStream: pino.destination({ dest: '/dev/null', sync: true }) });
  await app.ready();
  const body = JSON.stringify(hookRequest(HOOK, { now, extraObservations: CHART === 'heavy' ? HEAVY : 0, chart: CHART === 'ehr' ? 'ehr' : 'compact' }));
  const warmup = Math.min(300, N);
  const signer = new TokenSigner(key);
  const tokens = AUTH ? await signer.sign(`${base}${url}`, warmup + N) : [];
  await signer.close();
  let t = 0;
  const one = async (): Promise<void> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (AUTH) headers.authorization = `Bearer ${tokens[t++]}`;
    const r = await app.inject({ method: 'POST', url, headers, payload: body });
    if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${r.body.slice(0, 1000)}`);
  };
  console.log(`profiling ${CHART} ${HOOK} (request ${(body.length / 1024).toFixed(1)} KiB), auth ${AUTH ? 'on' : 'off'}, log ${LOG_LEVEL}, ${N} requests after ${warmup} warm-up`);
  for (let i = 0; i < warmup; i++) await one();

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const started = performance.now();
  for (let i = 0; i < N; i++) await one();
  const wallMs = performance.now() - started;
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  await app.close();
  await rm(tmp, { recursive: true, force: true });

  summarise(profile, wallMs);
  const dir = path.join(ROOT, 'bench/profiles');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${CHART}-${HOOK}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
