/**
 * CDS Client JWTs for the benchmark: keys generated per run (ES384 on P-384 and RS384 on RSA-2048,
 * the two algorithms CDS Hooks allows), their public JWKs inlined in CDS_TRUSTED_CLIENTS under one
 * issuer, and a token per request (the service keeps a replay cache, so a `jti` is never reused on
 * the service; the baseline ignores the header but gets one of the same size).
 *
 * Verifying costs the service ~0.5 ms of P-384 arithmetic per ES384 token and ~0.03 ms per RS384
 * token (RSA verification is cheap, signing is not), so the algorithm is part of what a run measures
 * and is printed with it.
 *
 * Signing one token costs ~0.5 ms (ES384) to ~1.5 ms (RS384) of CPU. Done inside autocannon's
 * `setupRequest` that would make the load generator the bottleneck, so tokens are signed ahead of
 * each run, in worker threads (all cores, while nothing else runs), into a `TokenPool`; the load
 * generator only takes the next string. When a pool runs dry it signs inline (synchronously, with
 * node:crypto) and counts it, so a run whose pool was too small says so.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export const BENCH_ISS = 'https://ehr.bench.invalid';
export type JwtAlg = 'ES384' | 'RS384';
export const JWT_ALGS: readonly JwtAlg[] = ['ES384', 'RS384'];
/** Token lifetime: CDS Hooks recommends at most 5 minutes. */
export const TOKEN_LIFETIME_SECONDS = 300;

export interface BenchKey {
  alg: JwtAlg;
  iss: string;
  kid: string;
  privateKey: KeyObject;
  privatePem: string;
  publicJwk: Record<string, string>;
}

export function makeBenchKey(alg: JwtAlg = 'ES384'): BenchKey {
  const kid = `bench-${alg.toLowerCase()}-1`;
  const { privateKey, publicKey } = alg === 'ES384'
    ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const material: Record<string, string> = alg === 'ES384' ? { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! } : { kty: jwk.kty!, n: jwk.n!, e: jwk.e! };
  return {
    alg,
    iss: BENCH_ISS,
    kid,
    privateKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicJwk: { ...material, kid, alg, use: 'sig' },
  };
}

/** CDS_TRUSTED_CLIENTS for the service: one issuer, these keys inline. */
export const trustedClientsJson = (...keys: BenchKey[]): string =>
  JSON.stringify([{ iss: BENCH_ISS, jwks: { keys: keys.map((k) => k.publicJwk) } }]);

/** ES384 signatures are r||s (IEEE P1363), as JWS requires; RS384 is RSASSA-PKCS1-v1_5 with SHA-384. */
const signOptions = (key: BenchKey) => (key.alg === 'ES384' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const } : key.privateKey);

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** One token, signed synchronously on the calling thread. */
export function signTokenSync(key: BenchKey, aud: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: key.alg, typ: 'JWT', kid: key.kid })}.${b64({ iss: key.iss, aud, iat, exp: iat + TOKEN_LIFETIME_SECONDS, jti: randomUUID() })}`;
  return `${input}.${sign('sha384', Buffer.from(input), signOptions(key)).toString('base64url')}`;
}

// Plain CommonJS, run with `eval: true`, so the workers need no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey, randomUUID, sign } = require('node:crypto');
const key = createPrivateKey(workerData.pem);
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
const header = b64({ alg: workerData.alg, typ: 'JWT', kid: workerData.kid });
const options = workerData.alg === 'ES384' ? { key, dsaEncoding: 'ieee-p1363' } : key;
parentPort.on('message', ({ id, aud, count }) => {
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const iat = Math.floor(Date.now() / 1000);
    const input = header + '.' + b64({ iss: workerData.iss, aud, iat, exp: iat + workerData.lifetime, jti: randomUUID() });
    out[i] = input + '.' + sign('sha384', Buffer.from(input), options).toString('base64url');
  }
  parentPort.postMessage({ id, tokens: out });
});
`;

/** Worker threads that sign batches of tokens. */
export class TokenSigner {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly pending = new Map<number, (tokens: string[]) => void>();

  constructor(readonly key: BenchKey, threads = Math.max(1, os.cpus().length)) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { pem: key.privatePem, alg: key.alg, kid: key.kid, iss: key.iss, lifetime: TOKEN_LIFETIME_SECONDS },
      });
      worker.on('message', ({ id, tokens }: { id: number; tokens: string[] }) => {
        this.pending.get(id)?.(tokens);
        this.pending.delete(id);
      });
      return worker;
    });
  }

  private batch(worker: Worker, aud: string, count: number): Promise<string[]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ id, aud, count });
    });
  }

  /** `count` fresh tokens for `aud`, spread over `threads` workers (default all). */
  async sign(aud: string, count: number, threads = this.workers.length): Promise<string[]> {
    const used = this.workers.slice(0, Math.max(1, Math.min(threads, this.workers.length)));
    const share = Math.ceil(count / used.length);
    const parts = await Promise.all(used.map((w, i) => this.batch(w, aud, Math.max(0, Math.min(share, count - i * share)))));
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Pre-signed tokens for one audience, handed out in order. `reuse` (for the baseline, which does
 * not verify) cycles through the pool; otherwise a dry pool signs inline and counts it.
 */
export class TokenPool {
  private tokens: string[] = [];
  private index = 0;
  inlineSigned = 0;

  constructor(private readonly key: BenchKey, readonly aud: string, private readonly reuse = false) {}

  get remaining(): number {
    return this.tokens.length - this.index;
  }

  /** Replaces the pool with fresh tokens (old ones may be near expiry). */
  async fill(signer: TokenSigner, count: number, threads?: number): Promise<void> {
    this.tokens = await signer.sign(this.aud, count, threads);
    this.index = 0;
    this.inlineSigned = 0;
  }

  /** Appends tokens (the soak tops its pool up in the background). */
  append(tokens: string[]): void {
    if (this.index > 0) {
      this.tokens = this.tokens.slice(this.index);
      this.index = 0;
    }
    this.tokens.push(...tokens);
  }

  take(): string {
    if (this.index < this.tokens.length) return this.tokens[this.index++]!;
    if (this.reuse && this.tokens.length > 0) {
      this.index = 0;
      return this.tokens[this.index++]!;
    }
    this.inlineSigned++;
    return signTokenSync(this.key, this.aud);
  }
}
