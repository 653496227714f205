/**
 * A loopback FHIR server for the FHIR-fallback scenario, in a process of its own: it answers the
 * service's prefetch queries (the templates of hooks/prefetch-templates.ts filled for the bench
 * patient) with the same synthetic chart as bench/payloads.ts, each after BENCH_FHIR_DELAY_MS
 * (20 ms). Bundles are serialised once at start, so the server's own time per query is tiny.
 * Any other path gets 404 and is counted: the parent fails the run when there is any.
 *
 * Environment (set by bench/invoke.bench.ts): BENCH_NOW, BENCH_PATIENT_ID, BENCH_EXTRA_OBS,
 * BENCH_FHIR_DELAY_MS. IPC: sends {type:'listening', base}; answers {type:'stats'} with the
 * paths served and misses, and {type:'reset'}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { templates } from '../hooks/prefetch-templates.js';
import { chartPrefetch } from './payloads.js';

const now = new Date(process.env.BENCH_NOW ?? Date.now());
const patientId = process.env.BENCH_PATIENT_ID ?? 'bench-patient-1';
const delayMs = Number(process.env.BENCH_FHIR_DELAY_MS ?? 20);
const prefetch = chartPrefetch({ now, patientId, extraObservations: Number(process.env.BENCH_EXTRA_OBS ?? 0) }) as Record<string, unknown>;

const emptySearchset = { resourceType: 'Bundle', type: 'searchset', total: 0 };
const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Decoded relative URL → serialised answer. */
const answers = new Map<string, string>();
for (const [key, t] of Object.entries(templates)) {
  if (!t.template.includes('{{context.patientId}}') || t.template.includes('{{context.encounterId}}')) continue;
  const url = decode(t.template.replaceAll('{{context.patientId}}', encodeURIComponent(patientId)));
  answers.set(url, JSON.stringify(prefetch[key] ?? emptySearchset));
}

const served = new Map<string, number>();
const misses: string[] = [];

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const relative = decode(url.replace(/^\/fhir\//, ''));
  const body = url.startsWith('/fhir/') ? answers.get(relative) : undefined;
  if (body === undefined) misses.push(relative.slice(0, 300));
  else served.set(relative, (served.get(relative) ?? 0) + 1);
  setTimeout(() => {
    if (res.destroyed) return;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/fhir+json' });
      res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/fhir+json' });
    res.end(body);
  }, delayMs);
});
server.keepAliveTimeout = 60_000;

process.on('message', (message: { type?: string }) => {
  if (message.type === 'stats') process.send?.({ type: 'stats', served: Object.fromEntries(served), misses: misses.slice(0, 20), missCount: misses.length });
  if (message.type === 'reset') {
    served.clear();
    misses.length = 0;
    process.send?.({ type: 'reset-done' });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'listening', base: `http://127.0.0.1:${port}/fhir`, paths: [...answers.keys()] });
});
