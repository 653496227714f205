/**
 * The soak (BENCH_SOAK_SECONDS): typical order-select evenly paced at half rate for minutes, with
 * the service's RSS every 5 s and the live-heap floor (the lowest heapUsed /health reports) per
 * minute, which is where a leak would show.
 */
import { round1 } from './numbers.js';
import { paced, type PacedResult } from './paced.js';
import { hookRequest } from './payloads.js';
import { memoryOf } from './procs.js';
import type { Ctx } from './scenarios.js';
import { CONNECTIONS, PATIENT_ID, SOAK_SECONDS } from './settings.js';
import { TokenPool } from './tokens.js';

export interface SoakResult {
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

export async function runSoak(ctx: Ctx, rate: number): Promise<SoakResult> {
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
