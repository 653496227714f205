/**
 * Verifies one CDS Client JWT for one expected audience:
 * ES384/RS384 only; `iss` a trusted client; key from that client's keys or an allow-listed `jku`;
 * `aud` the URL of the endpoint called; `exp`, `iat`, `jti` required; `iat` not in the future
 * beyond the clock skew; lifetime (`exp` − `iat`) capped; `tenant` on the client's list when it
 * has one; `jti` not seen before within the token's lifetime. Never throws for a bad token: the
 * result names the reason, for the log only.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { createKeyResolver, KeySourceUnavailable, type KeyResolver } from './key-resolver.js';
import type { ReplayStore } from '../shared-state/types.js';
import { createReplayCache, memoryReplayStore } from './replay-cache.js';
import type { AuthSettings } from './settings.js';

/** Asymmetric algorithms the spec recommends. `none` and HS* (a shared secret) are never accepted. */
export const ALLOWED_ALGORITHMS = ['ES384', 'RS384'] as const;

/** The verified caller, attached to the request as `request.cdsClient`. */
export interface AuthenticatedClient {
  iss: string;
  tenant?: string;
  jti: string;
}

export type AuthFailureReason =
  | 'no-token'
  | 'malformed-token'
  | 'alg-not-allowed'
  | 'unknown-iss'
  | 'jku-not-allowed'
  | 'no-key-source'
  | 'unknown-kid'
  | 'jwks-unavailable'
  | 'bad-signature'
  | 'aud-mismatch'
  | 'missing-claim'
  | 'expired'
  | 'iat-in-future'
  | 'lifetime-too-long'
  | 'tenant-not-allowed'
  | 'replay'
  /** A valid token that the replay cache has no room to remember (it never forgets a live one): 503. */
  | 'replay-cache-full'
  /** A valid token whose use could not be recorded in the shared store (Redis or PostgreSQL away): 503, never accepted unchecked. */
  | 'replay-store-unavailable';

export type VerifyResult =
  | { ok: true; client: AuthenticatedClient; aud: string }
  | {
      ok: false;
      reason: AuthFailureReason;
      /** Safe-to-log facts about the failure: never the token. Values from an unverified token are truncated. */
      log: { iss?: string; tenant?: string; jti?: string; kid?: string; alg?: string; aud?: unknown; jku?: string; detail?: string };
      /** replay-cache-full and replay-store-unavailable: when to try again. */
      retryAfterSeconds?: number;
    };

export interface TokenVerifier {
  /** `audience`: the URL(s) of the endpoint called; the token's `aud` must contain one of them. */
  verify(token: string, audience: string | string[]): Promise<VerifyResult>;
}

export interface VerifierDeps {
  clock: () => Date;
  /** Where used token ids are kept (default: a cache in this process). */
  replayStore?: ReplayStore;
  keyResolver?: KeyResolver;
}

const clip = (value: unknown, max = 200): string | undefined =>
  typeof value === 'string' ? value.slice(0, max) : value === undefined ? undefined : `(${typeof value})`;

const clipAud = (aud: unknown): unknown =>
  Array.isArray(aud) ? aud.slice(0, 5).map((a) => clip(a)) : clip(aud, 300);

function failureOf(error: unknown): { reason: AuthFailureReason; detail?: string } {
  if (error instanceof KeySourceUnavailable) {
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    return { reason: 'jwks-unavailable', detail: `${error.url}: ${cause}` };
  }
  if (error instanceof errors.JWTExpired) return { reason: 'expired' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return { reason: 'missing-claim', detail: error.claim };
    if (error.claim === 'aud') return { reason: 'aud-mismatch' };
    if (error.claim === 'iss') return { reason: 'unknown-iss' };
    return { reason: 'malformed-token', detail: error.message };
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return { reason: 'alg-not-allowed' };
  if (error instanceof errors.JWKSNoMatchingKey) return { reason: 'unknown-kid' };
  if (error instanceof errors.JWKSMultipleMatchingKeys) return { reason: 'unknown-kid', detail: 'several keys match; kid required' };
  if (error instanceof errors.JWSSignatureVerificationFailed) return { reason: 'bad-signature' };
  if (error instanceof errors.JOSEError) return { reason: 'malformed-token', detail: `${error.code}: ${error.message}` };
  return { reason: 'malformed-token', detail: error instanceof Error ? error.message : String(error) };
}

export function createTokenVerifier(settings: AuthSettings, deps: VerifierDeps): TokenVerifier {
  const clients = new Map(settings.trustedClients.map((c) => [c.iss, c]));
  const skew = settings.clockSkewSeconds;
  const keys =
    deps.keyResolver ??
    createKeyResolver(settings.trustedClients, {
      cooldownMs: settings.jwksCooldownSeconds * 1000,
      cacheMaxAgeMs: 10 * 60_000,
      timeoutMs: 3000,
    });
  const replays = deps.replayStore ?? memoryReplayStore(createReplayCache());

  return {
    async verify(token, audience) {
      const audiences = typeof audience === 'string' ? [audience] : audience;
      let header: ReturnType<typeof decodeProtectedHeader>;
      let unverified: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        return { ok: false, reason: 'malformed-token', log: {} };
      }
      const facts = {
        iss: clip(unverified.iss),
        tenant: clip(unverified.tenant),
        jti: clip(unverified.jti),
        kid: clip(header.kid),
        alg: clip(header.alg, 20),
      };
      // Before any key is looked up: `none` and HS* (e.g. HS256 "signed" with our public key) stop here.
      if (!(ALLOWED_ALGORITHMS as readonly unknown[]).includes(header.alg)) {
        return { ok: false, reason: 'alg-not-allowed', log: facts };
      }
      const client = typeof unverified.iss === 'string' ? clients.get(unverified.iss) : undefined;
      if (!client) return { ok: false, reason: 'unknown-iss', log: facts };

      const selection = keys.select(client, header.jku, header.kid);
      if (!selection.ok) {
        return { ok: false, reason: selection.reason, log: { ...facts, ...(selection.jku ? { jku: selection.jku } : {}) } };
      }

      const now = deps.clock();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, selection.getKey, {
          algorithms: [...ALLOWED_ALGORITHMS],
          issuer: client.iss,
          audience: audiences,
          currentDate: now,
          clockTolerance: skew,
          requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
        }));
      } catch (error) {
        const { reason, detail } = failureOf(error);
        return {
          ok: false,
          reason,
          log: { ...facts, ...(reason === 'aud-mismatch' ? { aud: clipAud(unverified.aud) } : {}), ...(detail ? { detail } : {}) },
        };
      }

      // Signature and standard claims hold; now the CDS Hooks specifics.
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const { iat, exp, jti, tenant } = payload as { iat: number; exp: number; jti: unknown; tenant?: unknown };
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
        return { ok: false, reason: 'malformed-token', log: { ...facts, detail: 'jti must be a non-empty string of at most 256 characters' } };
      }
      if (tenant !== undefined && typeof tenant !== 'string') {
        return { ok: false, reason: 'malformed-token', log: { ...facts, detail: 'tenant must be a string' } };
      }
      if (iat > nowSeconds + skew) return { ok: false, reason: 'iat-in-future', log: { ...facts, detail: `iat ${iat}, now ${nowSeconds}` } };
      if (exp - iat > settings.maxTokenLifetimeSeconds) {
        return { ok: false, reason: 'lifetime-too-long', log: { ...facts, detail: `exp - iat = ${exp - iat}s` } };
      }
      if (client.tenants && (tenant === undefined || !client.tenants.includes(tenant))) {
        return { ok: false, reason: 'tenant-not-allowed', log: facts };
      }
      // Last, so that only verified tokens take a place in the cache; kept until exp (+ skew, as exp is checked with it).
      const seen = await replays.check(client.iss, jti, (exp + skew) * 1000, now.getTime());
      if (!seen.ok) {
        if (seen.reason === 'replay') return { ok: false, reason: 'replay', log: facts };
        return {
          ok: false,
          reason: seen.reason === 'full' ? 'replay-cache-full' : 'replay-store-unavailable',
          log: { ...facts, ...(seen.detail ? { detail: seen.detail } : {}) },
          retryAfterSeconds: Math.max(1, Math.ceil(seen.retryAfterMs / 1000)),
        };
      }
      const aud = audiences.find((a) => (Array.isArray(payload.aud) ? payload.aud.includes(a) : payload.aud === a))!;
      return { ok: true, client: { iss: client.iss, jti, ...(tenant !== undefined ? { tenant } : {}) }, aud };
    },
  };
}
