/**
 * The FHIR-fallback scenario: the request carries no prefetch and names a loopback FHIR server
 * (bench/slow-fhir-server.ts) that answers each query after BENCH_FHIR_DELAY_MS; the wall time of
 * a call is compared with the slowest single query, since the service sends its queries at once.
 */
import type { ChildProcess } from 'node:child_process';
import { request as undiciRequest } from 'undici';
import { cannon, rowOf, type LoadRow } from './load.js';
import { round2 } from './numbers.js';
import { percentile } from './paced.js';
import { hookRequest, type BenchHook } from './payloads.js';
import { nextMessage } from './procs.js';
import { checkCall } from './servers.js';
import { poolFor, type Ctx } from './scenarios.js';
import { CONNECTIONS, DURATION, FHIR_DELAY_MS, PATIENT_ID, WARMUP_SECONDS } from './settings.js';

type Json = Record<string, unknown>;

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

export interface FallbackResult {
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

export async function runFallback(ctx: Ctx, fhir: ChildProcess, fhirBase: string, hook: BenchHook): Promise<FallbackResult> {
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
