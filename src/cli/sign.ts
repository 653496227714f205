/**
 * The CDS Hooks client JWT (CDS Hooks 2.0 §Trusting CDS Clients): header alg
 * (ES384 or RS384), typ JWT, kid, optional jku; claims iss, aud = the URL called, iat, exp, jti,
 * optional tenant. One fresh token (new jti) per HTTP call.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importJWK, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';

export interface SigningKey {
  alg: 'ES384' | 'RS384';
  kid: string;
  key: CryptoKey | KeyObject | Uint8Array;
}

export interface SignerOptions {
  iss: string;
  kid?: string;
  jku?: string;
  tenant?: string;
  /** Token lifetime in seconds (default 300). */
  lifetimeSeconds?: number;
}

export type Signer = (aud: string) => Promise<string>;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** Reads a private JWK (or a JWK Set: its first private key) and imports it for ES384/RS384. */
export async function loadPrivateKey(file: string, kidOption?: string): Promise<SigningKey> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`--key ${file}: cannot read a JSON Web Key (${(error as Error).message})`);
  }
  const set = parsed as { keys?: unknown };
  const jwk = (Array.isArray(set.keys) ? set.keys.find((k) => typeof k === 'object' && k !== null && 'd' in k) : parsed) as JWK | undefined;
  if (!jwk || typeof jwk !== 'object' || typeof jwk.d !== 'string') {
    throw new CliError(`--key ${file}: not a private JWK (no "d"); give the client's private signing key`);
  }
  const alg: string | undefined = jwk.alg ?? (jwk.kty === 'EC' && jwk.crv === 'P-384' ? 'ES384' : jwk.kty === 'RSA' ? 'RS384' : undefined);
  if (alg !== 'ES384' && alg !== 'RS384') {
    throw new CliError(`--key ${file}: CDS Hooks clients sign with ES384 (EC P-384) or RS384 (RSA); this key is ${jwk.alg ?? `${jwk.kty} ${jwk.crv ?? ''}`.trim()}`);
  }
  const kid = kidOption ?? jwk.kid;
  if (!kid) throw new CliError(`--key ${file}: the key has no "kid"; give --kid (the JWT header needs one)`);
  return { alg, kid, key: await importJWK({ ...jwk, alg }, alg) };
}

export function createSigner(key: SigningKey, options: SignerOptions, now: () => Date = () => new Date()): Signer {
  return async (aud) => {
    const iat = Math.floor(now().getTime() / 1000);
    return new SignJWT({ ...(options.tenant ? { tenant: options.tenant } : {}) })
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: options.kid ?? key.kid, ...(options.jku ? { jku: options.jku } : {}) })
      .setIssuer(options.iss)
      .setAudience(aud)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.lifetimeSeconds ?? 300))
      .setJti(randomUUID())
      .sign(key.key);
  };
}
