/**
 * The servers a scenario measures, each in a process of its own: the real service (production
 * settings), and the floors it is compared with:
 *  - `bare` (bench/baseline-server.ts): bare Fastify that JSON-parses the same body and answers the
 *    service's real answer for the scenario (same size); it verifies no token;
 *  - `bare+ES384`, `bare+RS384` (bench/baseline-jwt-server.ts): bare Fastify that also verifies
 *    the CDS Client JWT of every request as a minimal client authentication would (one algorithm
 *    each, against the JWKS the service trusts), then parses the body and answers a small fixed body.
 * Also the check call that must succeed before a scenario is measured.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, memoryOf, nextMessage, spawnNodeChild, spawnTsxChild } from './procs.js';
import { AUTH, ROOT, START_NODE_FLAGS } from './settings.js';
import { trustedClientsJson, type BenchKey, type JwtAlg } from './tokens.js';

/** The service's body limit (BODY_LIMIT_BYTES' default, 8 MiB): the floors read what it reads. */
const FLOOR_BODY_LIMIT = 8 * 1024 * 1024;

export interface Service {
  child: ChildProcess;
  origin: string;
  logFile: string;
  stderrFile: string;
  startupPeakMiB: number;
}

export async function startService(opts: { keys: BenchKey[]; tmp: string; buildDir?: string; fhirBase?: string }): Promise<Service> {
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
    // The heavy chart's body (1.4 MB) is over LARGE_BODY_BYTES. The gate (4 large bodies read at
    // once by default) bounds a pod's memory by answering 503 at once; a closed-loop run would then
    // measure those 503s (and the reconnections they cause), which the floors never answer. Off, as
    // the floors have none; bench/big-bodies.ts measures the gate itself.
    MAX_LARGE_BODIES: '0',
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

export type FloorName = 'bare' | 'bare+ES384' | 'bare+RS384';

export interface Floor {
  name: FloorName;
  child: ChildProcess;
  origin: string;
  /** The algorithm this floor verifies; null for the bare floor, which gets the scenario's tokens unverified. */
  verifies: JwtAlg | null;
}

async function listening(name: FloorName, child: ChildProcess, verifies: JwtAlg | null): Promise<Floor> {
  const { port } = await nextMessage<{ type: string; port: number }>(child, 'listening');
  return { name, child, origin: `http://127.0.0.1:${port}`, verifies };
}

/** A floor runs as the service does: compiled (`buildDir`, procs.ts buildFloors) with plain node, else through tsx. */
function spawnFloor(script: 'baseline-server' | 'baseline-jwt-server', env: NodeJS.ProcessEnv, buildDir: string | undefined): ChildProcess {
  return buildDir ? spawnNodeChild(ROOT, path.join(buildDir, 'bench', `${script}.js`), env) : spawnTsxChild(ROOT, `bench/${script}.ts`, env);
}

/** The bare floor: it answers what `setBareResponse` last gave it. */
export function startBareFloor(buildDir?: string): Promise<Floor> {
  return listening('bare', spawnFloor('baseline-server', { BENCH_BODY_LIMIT: String(FLOOR_BODY_LIMIT) }, buildDir), null);
}

/** One authenticated floor per algorithm; `serviceOrigin` is the PUBLIC_BASE_URL the tokens' `aud` names. */
export function startJwtFloors(algs: JwtAlg[], keys: BenchKey[], serviceOrigin: string, buildDir?: string): Promise<Floor[]> {
  return Promise.all(algs.map((alg) => listening(`bare+${alg}`, spawnFloor('baseline-jwt-server', {
    BENCH_JWT_ALG: alg,
    BENCH_TRUSTED_CLIENTS: trustedClientsJson(...keys),
    BENCH_PUBLIC_BASE_URL: serviceOrigin,
    BENCH_BODY_LIMIT: String(FLOOR_BODY_LIMIT),
  }, buildDir), alg)));
}

export async function setBareResponse(bare: Floor, body: string): Promise<void> {
  const ack = nextMessage(bare.child, 'response-set');
  bare.child.send({ type: 'set-response', body });
  await ack;
}

interface CardLike {
  indicator?: string;
  source?: { topic?: { code?: string } };
}

/** One real call; stops the benchmark unless the answer is 200 with at least `minCards` cards. */
export async function checkCall(url: string, body: Buffer, token: string, label: string, minCards = 1): Promise<{ text: string; cards: string; count: number }> {
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
  if (response.status !== 200 || !cards || cards.length < minCards) {
    throw new Error(`check failed for ${label}: HTTP ${response.status}, expected 200 with ${minCards === 1 ? 'cards' : `at least ${minCards} cards (got ${cards?.length ?? 0})`}.\nResponse (first 2000 chars):\n${text.slice(0, 2000)}`);
  }
  return { text, cards: cards.map((c) => `${c.source?.topic?.code ?? '?'}:${c.indicator ?? '?'}`).join(' '), count: cards.length };
}
