import { describe, expect, it } from 'vitest';
import { makeKey, signToken } from '../../test/auth/tokens.js';
import { DEFAULT_AUTH_SETTINGS } from './settings.js';
import { createTokenVerifier } from './verify.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const AUD = 'https://cds.example.org/cds-services';

async function setup() {
  const key = await makeKey('ES384', 'k1');
  const verifier = createTokenVerifier(
    { ...DEFAULT_AUTH_SETTINGS, enabled: true, trustedClients: [{ iss: 'urn:ehr', jwks: { keys: [key.publicJwk] }, jkuAllowlist: [] }] },
    { clock: () => NOW },
  );
  return { key, verifier };
}

describe('createTokenVerifier', () => {
  it('returns the client (iss, tenant, jti) and the audience matched', async () => {
    const { key, verifier } = await setup();
    const jwt = await signToken(key, NOW, { iss: 'urn:ehr', aud: AUD, tenant: 'org-1', jti: 'j-1' });
    expect(await verifier.verify(jwt, [`${AUD}/x`, AUD])).toEqual({ ok: true, client: { iss: 'urn:ehr', tenant: 'org-1', jti: 'j-1' }, aud: AUD });
  });

  it('does not require sub, and ignores claims it does not know', async () => {
    const { key, verifier } = await setup();
    const jwt = await signToken(key, NOW, { iss: 'urn:ehr', aud: AUD, extra: { foo: 'bar' } });
    expect((await verifier.verify(jwt, AUD)).ok).toBe(true);
  });

  it('refuses an over-long or non-string jti and a non-string tenant', async () => {
    const { key, verifier } = await setup();
    const long = await signToken(key, NOW, { iss: 'urn:ehr', aud: AUD, jti: 'x'.repeat(257) });
    expect(await verifier.verify(long, AUD)).toMatchObject({ ok: false, reason: 'malformed-token' });
    const numeric = await signToken(key, NOW, { iss: 'urn:ehr', aud: AUD, extra: { jti: 42 as unknown as string } });
    expect(await verifier.verify(numeric, AUD)).toMatchObject({ ok: false, reason: 'malformed-token' });
    const tenant = await signToken(key, NOW, { iss: 'urn:ehr', aud: AUD, extra: { tenant: { id: 1 } } });
    expect(await verifier.verify(tenant, AUD)).toMatchObject({ ok: false, reason: 'malformed-token' });
  });

  it('does not remember the jti of a token that failed, so the genuine one still passes', async () => {
    const { key, verifier } = await setup();
    const wrongAud = await signToken(key, NOW, { iss: 'urn:ehr', aud: 'https://other.example', jti: 'j-2' });
    expect(await verifier.verify(wrongAud, AUD)).toMatchObject({ ok: false, reason: 'aud-mismatch', log: { aud: 'https://other.example' } });
    const right = await signToken(key, NOW, { iss: 'urn:ehr', aud: AUD, jti: 'j-2' });
    expect((await verifier.verify(right, AUD)).ok).toBe(true);
  });
});
