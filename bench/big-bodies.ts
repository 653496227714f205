/**
 * Memory under big bodies (issue 12 #10): 16 clients each posting an order-select with a ~8 MiB
 * prefetch (a long chart: thousands of Observations) back to back for DURATION_S seconds, against
 * the service with MAX_LARGE_BODIES=0 (no gate, the baseline) and with the default gate, in the
 * same run. Reports peak RSS (VmHWM), answers by status, and the slowest /health/live while loaded:
 * the numbers the Kubernetes memory limit and probe timeouts (docker/k8s/deployment.yaml) rest on.
 *
 *   npx tsx bench/big-bodies.ts            (BIG_BODY_CLIENTS=16 BIG_BODY_DURATION_S=20)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { hookRequest } from './payloads.js';
import { freePort, memoryOf, stopChild } from './procs.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLIENTS = Number(process.env.BIG_BODY_CLIENTS ?? 16);
const DURATION_S = Number(process.env.BIG_BODY_DURATION_S ?? 20);
const NOW = new Date('2026-11-25T12:00:00Z');

// ~8 MiB: as large as BODY_LIMIT_BYTES lets a chart be, with headroom.
let extra = 16_000;
let body = JSON.stringify(hookRequest('order-select', { now: NOW, extraObservations: extra }));
while (body.length > 7.8 * 1024 * 1024) body = JSON.stringify(hookRequest('order-select', { now: NOW, extraObservations: (extra = Math.floor(extra * 0.9)) }));

async function run(label: string, env: Record<string, string>) {
  const port = await freePort();
  const tmp = mkdtempSync(path.join(tmpdir(), 'cop-big-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'development', CDS_AUTH: 'off', DEMO_FHIR: 'off', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000', FEEDBACK_DB_PATH: path.join(tmp, 'store.sqlite'), ...env },
    stdio: 'ignore',
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try { if ((await fetch(`${origin}/health`)).ok) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const statuses = new Map<number, number>();
  const end = Date.now() + DURATION_S * 1000;
  let slowestLiveMs = 0;
  const probe = (async () => {
    while (Date.now() < end) {
      const t = performance.now();
      try { await (await fetch(`${origin}/health/live`, { signal: AbortSignal.timeout(10_000) })).arrayBuffer(); } catch { /* counted as slow */ }
      slowestLiveMs = Math.max(slowestLiveMs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < end) {
      try {
        const res = await request(`${origin}/cds-services/cop-order-select`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 503) await new Promise((r) => setTimeout(r, 200)); // a client honouring Retry-After, briefly
      } catch {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
      }
    }
  }));
  await probe;
  const peak = memoryOf(child.pid!).peakMiB;
  await stopChild(child);
  rmSync(tmp, { recursive: true, force: true });
  return { label, peakRssMiB: peak, answers: Object.fromEntries(statuses), slowestLiveMs: Math.round(slowestLiveMs) };
}

console.log(`body ${(body.length / 1024 / 1024).toFixed(1)} MiB, ${CLIENTS} clients, ${DURATION_S} s each run`);
const runs = [
  await run('no gate, V8 default heap (baseline)', { MAX_LARGE_BODIES: '0' }),
  await run('no gate, --max-old-space-size=320', { MAX_LARGE_BODIES: '0', NODE_OPTIONS: '--max-old-space-size=320' }),
  await run('default gate, V8 default heap', {}),
  await run('default gate, --max-old-space-size=320 (the Deployment: 5/8 of 512Mi)', { NODE_OPTIONS: '--max-old-space-size=320' }),
];
console.table(runs.map((r) => ({ ...r, answers: JSON.stringify(r.answers), peakVsBaseline: (r.peakRssMiB / runs[0]!.peakRssMiB).toFixed(2) })));
