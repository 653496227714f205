/**
 * Issue 13 #3: the README's "trust the CDS Hooks Sandbox" recipe, offline. The shipped
 * docs/sandbox-trusted-clients.json loads as CDS_TRUSTED_CLIENTS_FILE; a token shaped like the
 * Sandbox's (ES384, `jku` = its published JWKS URL, its `kid`) selects the key on record, so the
 * `jku` is never fetched. (Verifying a real Sandbox signature needs its private key; the HTTP flow
 * with a key on record and a `jku` is in http-auth.test.ts.)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createKeyResolver } from '../../src/auth/key-resolver.js';
import { loadConfig } from '../../src/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';

describe('docs/sandbox-trusted-clients.json', () => {
  const config = loadConfig({ CDS_AUTH: 'on', PUBLIC_BASE_URL: 'http://localhost:8080', CDS_TRUSTED_CLIENTS_FILE: path.join(ROOT, 'docs/sandbox-trusted-clients.json') });
  const sandbox = config.auth.trustedClients.find((c) => c.iss === 'https://sandbox.cds-hooks.org')!;

  it('loads as the README says, with the Sandbox key on record (ES384 P-384)', () => {
    expect(config.auth.enabled).toBe(true);
    expect(sandbox).toBeDefined();
    const key = sandbox.jwks!.keys[0] as unknown as { kid: string; crv: string; alg: string };
    expect(key).toMatchObject({ kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f', crv: 'P-384', alg: 'ES384' });
    expect(sandbox.jkuAllowlist).toEqual([SANDBOX_JKU]);
  });

  it('a Sandbox-shaped token header picks the key on record and fetches nothing; an unknown kid falls to the allow-listed jku', () => {
    const resolver = createKeyResolver(config.auth.trustedClients, { cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 1000 });
    const onRecord = resolver.select(sandbox, SANDBOX_JKU, '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f');
    expect(onRecord).toMatchObject({ ok: true, source: 'inline jwks (kid on record)' });
    expect(resolver.select(sandbox, SANDBOX_JKU, 'rotated-kid')).toMatchObject({ ok: true, source: SANDBOX_JKU });
    expect(resolver.select(sandbox, 'https://evil.example/jwks.json', 'rotated-kid')).toMatchObject({ ok: false, reason: 'jku-not-allowed' });
  });
});
