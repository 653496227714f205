/**
 * The authenticated floor, in a process of its own: bare Fastify (no plugins, no logging) with the
 * service's body limit that, before the body is read (an `onRequest` hook, where the service checks
 * its token too), verifies the CDS Client JWT of every request the way a minimal CDS client
 * authentication would: signature with jose against the same inline JWKS the service trusts in the
 * bench, the one algorithm BENCH_JWT_ALG (ES384 or RS384), `iss` the trusted client, `aud` this
 * endpoint's URL under the service's PUBLIC_BASE_URL (so the tokens signed for the service pass),
 * `exp` not passed, `iat` and `jti` present. No replay store: a `jti` may come back. Then Fastify's
 * JSON parser reads the body (the same parser, with the same prototype-poisoning checks, as the
 * service's), and the answer is a small fixed JSON body.
 *
 * Environment (set by bench/servers.ts): BENCH_JWT_ALG, BENCH_TRUSTED_CLIENTS (CDS_TRUSTED_CLIENTS'
 * JSON), BENCH_PUBLIC_BASE_URL, BENCH_BODY_LIMIT. Sends {type:'listening', port} over IPC. Run by
 * bench/invoke.bench.ts; not meant to be started by hand.
 */
import Fastify from 'fastify';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

const alg = process.env.BENCH_JWT_ALG;
if (alg !== 'ES384' && alg !== 'RS384') throw new Error(`BENCH_JWT_ALG must be ES384 or RS384 (got "${alg}")`);
const baseUrl = (process.env.BENCH_PUBLIC_BASE_URL ?? '').replace(/\/+$/, '');
if (!baseUrl) throw new Error('BENCH_PUBLIC_BASE_URL is required');
const [client] = JSON.parse(process.env.BENCH_TRUSTED_CLIENTS ?? '[]') as { iss: string; jwks: JSONWebKeySet }[];
if (!client) throw new Error('BENCH_TRUSTED_CLIENTS names no client');
const keys = createLocalJWKSet(client.jwks);
const bodyLimit = Number(process.env.BENCH_BODY_LIMIT ?? 8 * 1024 * 1024);
/** Clock skew allowed on `exp`: the service's default (CDS_AUTH_CLOCK_SKEW_SECONDS). */
const CLOCK_TOLERANCE_SECONDS = 60;
const ANSWER = '{"cards":[]}';

const app = Fastify({ logger: false, bodyLimit });

app.addHook('onRequest', async (request, reply) => {
  const header = request.headers.authorization;
  const token = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  const id = (request.params as { id?: unknown }).id;
  try {
    if (!token || typeof id !== 'string') throw new Error('no token');
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [alg],
      issuer: client.iss,
      audience: `${baseUrl}/cds-services/${encodeURIComponent(id)}`,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
    });
    if (typeof payload.jti !== 'string' || payload.jti.length === 0) throw new Error('jti must be a non-empty string');
  } catch {
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
  }
  return undefined;
});

app.post('/cds-services/:id', async (request, reply) => {
  if (typeof request.body !== 'object' || request.body === null) return reply.code(400).send({ error: 'no body' });
  return reply.type('application/json; charset=utf-8').send(ANSWER);
});

process.on('disconnect', () => process.exit(0));

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
