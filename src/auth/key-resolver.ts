/**
 * Where a token's verification key comes from, per trusted client:
 * - a token whose `kid` names a key held on record for its client (inline `jwks`) is verified with
 *   that key, whatever its `jku` says: the key is picked by `kid` and nothing is fetched
 *   (the CDS Hooks Sandbox names its `jku` in every token; with its key on record no outbound call);
 * - otherwise a `jku` header is honoured only when it is on that client's `jkuAllowlist` (or is its
 *   `jwksUrl`); any other `jku` fails the token, so an attacker can never point us at their keys;
 * - without `jku`: the client's inline `jwks`, then its `jwksUrl`.
 * Remote sets are jose's `createRemoteJWKSet`: fetched on first use, cached for `cacheMaxAgeMs`,
 * refetched when a token names an unknown `kid` (key rotation) at most once per `cooldownMs`.
 * One remote set per URL, shared by every client that lists it.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey, type JSONWebKeySet } from 'jose';
import type { TrustedClient } from './trusted-clients.js';

export interface KeyResolverOptions {
  /** Least time between two refetches of one JWKS URL triggered by unknown `kid`s. */
  cooldownMs: number;
  /** A fetched JWKS is used for this long before it is fetched again. */
  cacheMaxAgeMs: number;
  /** Timeout of one JWKS fetch. */
  timeoutMs: number;
}

/** A key source failed (JWKS unreachable, not JSON, not a JWK Set): not the token's fault. */
export class KeySourceUnavailable extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`JWKS ${url} unavailable`, { cause });
    this.name = 'KeySourceUnavailable';
  }
}

export type KeySelection =
  | { ok: true; getKey: JWTVerifyGetKey; source: string }
  | { ok: false; reason: 'jku-not-allowed' | 'no-key-source'; jku?: string };

export interface KeyResolver {
  /** The key function for a token of `client` with headers `jku` and `kid` (unverified), or why there is none. */
  select(client: TrustedClient, jku: unknown, kid?: unknown): KeySelection;
}

/** The `jku` URLs honoured for a client: its allow-list plus its own `jwksUrl`. */
export function allowedJkus(client: TrustedClient): Set<string> {
  return new Set([...client.jkuAllowlist, ...(client.jwksUrl ? [client.jwksUrl] : [])]);
}

function normalizedUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value).href;
  } catch {
    return undefined;
  }
}

/** A jose error that means "this key set has no key for the token", as opposed to "could not get the set". */
const isKeyMismatch = (error: unknown): boolean =>
  error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;

export function createKeyResolver(clients: TrustedClient[], options: KeyResolverOptions): KeyResolver {
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  const remote = (url: string): JWTVerifyGetKey => {
    let set = remoteSets.get(url);
    if (!set) {
      const jwks = createRemoteJWKSet(new URL(url), {
        cooldownDuration: options.cooldownMs,
        cacheMaxAge: options.cacheMaxAgeMs,
        timeoutDuration: options.timeoutMs,
      });
      set = async (header, token) => {
        try {
          return await jwks(header, token);
        } catch (error) {
          if (isKeyMismatch(error)) throw error;
          throw new KeySourceUnavailable(url, error);
        }
      };
      remoteSets.set(url, set);
    }
    return set;
  };

  const perClient = new Map<string, { jkus: Set<string>; getKey?: JWTVerifyGetKey; source: string; onRecord?: { kids: Set<string>; getKey: JWTVerifyGetKey } }>();
  for (const client of clients) {
    // Remote sets are created up front (no network until the first token) so that a bad URL fails at start-up.
    for (const url of allowedJkus(client)) remote(url);
    const inline = client.jwks ? createLocalJWKSet(client.jwks as JSONWebKeySet) : undefined;
    const fromUrl = client.jwksUrl ? remote(client.jwksUrl) : undefined;
    let getKey: JWTVerifyGetKey | undefined;
    if (inline && fromUrl) {
      getKey = async (header, token) => {
        try {
          return await inline(header, token);
        } catch (error) {
          if (error instanceof errors.JWKSNoMatchingKey) return fromUrl(header, token);
          throw error;
        }
      };
    } else {
      getKey = inline ?? fromUrl;
    }
    const source = [inline ? 'inline jwks' : '', client.jwksUrl ?? ''].filter(Boolean).join(' + ');
    const kids = new Set((client.jwks?.keys ?? []).map((k) => (k as { kid?: unknown }).kid).filter((k): k is string => typeof k === 'string'));
    perClient.set(client.iss, {
      jkus: allowedJkus(client), ...(getKey ? { getKey } : {}), source,
      ...(inline && kids.size > 0 ? { onRecord: { kids, getKey: inline } } : {}),
    });
  }

  return {
    select(client, jku, kid) {
      const entry = perClient.get(client.iss);
      if (!entry) return { ok: false, reason: 'no-key-source' };
      // A key on record is trusted more than any URL: use it, fetch nothing.
      if (typeof kid === 'string' && entry.onRecord?.kids.has(kid)) return { ok: true, getKey: entry.onRecord.getKey, source: 'inline jwks (kid on record)' };
      if (jku !== undefined) {
        const url = normalizedUrl(jku);
        if (!url || !entry.jkus.has(url)) {
          return { ok: false, reason: 'jku-not-allowed', jku: typeof jku === 'string' ? jku.slice(0, 300) : typeof jku };
        }
        return { ok: true, getKey: remote(url), source: url };
      }
      if (!entry.getKey) return { ok: false, reason: 'no-key-source' };
      return { ok: true, getKey: entry.getKey, source: entry.source };
    },
  };
}
