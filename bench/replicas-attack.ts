/**
 * Replicas attacked as one service (issue 14): REPLICAS service processes (default 3) sharing one
 * PostgreSQL schema and one Redis (through a relay this script stops), trusting one client.
 *   TEST_DATABASE_URL=postgres://… TEST_REDIS_URL=redis://… REPLICAS=3 npx tsx bench/replicas-attack.ts
 * Prints: each of 300 tokens presented twice to every replica at once (accepted exactly once?), 400
 * calls of one issuer spread over the replicas against RATE_LIMIT_MAX=300, 150 calls with Redis
 * stopped (503 only?), 60 calls once it is back, and the count of 500-502 answers in the logs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { makeKey, signToken } from '../test/auth/tokens.js';
import { listeningUrl, spawnService } from '../test/fixtures/service-process.js';
import { startRelay } from '../test/fixtures/tcp-relay.js';
const N = Number(process.env.REPLICAS ?? 3);
const dbUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
if (!dbUrl || !redisUrl) {
  console.error('set TEST_DATABASE_URL (postgres://…) and TEST_REDIS_URL (redis://…) to servers this run may use');
  process.exit(2);
}
const schema = `cop_attack_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: dbUrl }); await admin.connect(); await admin.query(`CREATE SCHEMA ${schema}`);
const redisTarget = new URL(redisUrl);
const relay = await startRelay({ host: redisTarget.hostname, port: Number(redisTarget.port || 6379) });
const key = await makeKey('ES384', 'k');
const ehr = `https://ehr-${randomUUID()}.example.org`, lim = `https://lim-${randomUUID()}.example.org`, rec = `https://rec-${randomUUID()}.example.org`;
const db = new URL(dbUrl); db.searchParams.set('options', `-c search_path=${schema}`);
const env = { DATABASE_URL: db.toString(), REDIS_URL: `redis://127.0.0.1:${relay.port}`, CDS_TRUSTED_CLIENTS: JSON.stringify([ehr, lim, rec].map((iss) => ({ iss, jwks: { keys: [key.publicJwk] } }))), PUBLIC_BASE_URL: 'https://cds.example.org', RATE_LIMIT_MAX: '300', LOG_LEVEL: 'info', PATIENT_KEY_SECRET: randomBytes(24).toString('base64'), CDS_AUTH_FAILURE_LIMIT: '0' };
const svcs = Array.from({ length: N }, () => spawnService(env));
const urls = await Promise.all(svcs.map((s) => listeningUrl(s, 60_000)));
const tok = (iss: string, jti = randomUUID()) => signToken(key, new Date(), { iss, aud: 'https://cds.example.org/cds-services', jti });
const get = (u: string, t: string) => fetch(`${u}/cds-services`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
// 1. replay attack
let accepted = 0, wrong = 0;
for (let i = 0; i < 300; i++) {
  const t = await tok(ehr);
  const st = await Promise.all(urls.flatMap((u) => [get(u, t), get(u, t)]));
  const ok = st.filter((s) => s === 200).length; accepted += ok; if (ok !== 1 || st.some((s) => s !== 200 && s !== 401)) wrong++;
}
console.log(`replay: 300 tokens × ${N * 2} presentations: accepted ${accepted}, tokens not accepted exactly once: ${wrong}`);
// 2. rate limit across replicas
const st2 = await Promise.all(Array.from({ length: 400 }, async (_, i) => get(urls[i % N]!, await tok(lim))));
console.log(`rate limit 300/window, 400 calls spread: 200=${st2.filter((s) => s === 200).length} 429=${st2.filter((s) => s === 429).length} other=${st2.filter((s) => s !== 200 && s !== 429).length}`);
// 3. Redis down
relay.set('stopped');
const st3 = await Promise.all(Array.from({ length: 150 }, async (_, i) => get(urls[i % N]!, await tok(rec))));
const hist = (a: number[]) => JSON.stringify(a.reduce((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {} as Record<number, number>));
console.log(`redis stopped, 150 calls: ${hist(st3)}`);
relay.set('open');
await new Promise((r) => setTimeout(r, 6000));
const st4 = await Promise.all(Array.from({ length: 60 }, async (_, i) => get(urls[i % N]!, await tok(rec))));
console.log(`redis back (6 s later), 60 calls: ${hist(st4)}`);
const fiveHundreds = svcs.flatMap((s) => s.lines).filter((l) => /"statusCode":50[0-2]/.test(l)).length;
console.log(`log lines with statusCode 500-502: ${fiveHundreds}`);
for (const s of svcs) s.child.kill('SIGTERM');
await Promise.all(svcs.map((s) => s.exited));
await admin.query(`DROP SCHEMA ${schema} CASCADE`); await admin.end(); await relay.close();
