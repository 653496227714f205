/** The authentication settings as an operator sets them, and the start-up refusals. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../fixtures/config.js';

const CLIENTS = JSON.stringify([{ iss: 'https://sandbox.cds-hooks.org', jkuAllowlist: ['https://sandbox.cds-hooks.org/.well-known/jwks.json'] }]);
const BASE = 'https://cds.example.org';


describe('authentication settings', () => {
  it('default off outside production with no trusted clients, with the documented defaults', () => {
    const { auth } = loadConfig({});
    expect(auth).toEqual({
      enabled: false,
      explicit: false,
      trustedClients: [],
      clockSkewSeconds: 60,
      // 5 minutes (issue 12 #3): also how long a jti is remembered.
      maxTokenLifetimeSeconds: 300,
      jwksCooldownSeconds: 30,
      failureLimit: 30,
      failureWindowSeconds: 60,
    });
  });

  it('default on under NODE_ENV=production: refuses to start without trusted clients, naming the variable', () => {
    expect(configProblems({ NODE_ENV: 'production', PUBLIC_BASE_URL: BASE })).toEqual([expect.stringMatching(/^CDS_TRUSTED_CLIENTS: authentication is on/)]);
    const config = loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: BASE, CDS_TRUSTED_CLIENTS: CLIENTS });
    expect(config.auth.enabled).toBe(true);
    expect(config.auth.trustedClients[0]!.iss).toBe('https://sandbox.cds-hooks.org');
  });

  it('default on when trusted clients are configured, even outside production', () => {
    expect(loadConfig({ CDS_TRUSTED_CLIENTS: CLIENTS, PUBLIC_BASE_URL: BASE }).auth.enabled).toBe(true);
  });

  it('CDS_AUTH=off turns it off explicitly, in production too', () => {
    const { auth } = loadConfig({ NODE_ENV: 'production', CDS_AUTH: 'off' });
    expect(auth).toMatchObject({ enabled: false, explicit: true });
  });

  it('CDS_AUTH=on refuses to start without trusted clients or without PUBLIC_BASE_URL', () => {
    expect(configProblems({ CDS_AUTH: 'on', PUBLIC_BASE_URL: BASE })[0]).toMatch(/^CDS_TRUSTED_CLIENTS:/);
    expect(configProblems({ CDS_AUTH: 'on', CDS_TRUSTED_CLIENTS: CLIENTS })).toEqual([expect.stringMatching(/^PUBLIC_BASE_URL: required when authentication is on/)]);
    expect(configProblems({ CDS_AUTH: 'yes' })[0]).toMatch(/^CDS_AUTH:/);
  });

  it('reads CDS_TRUSTED_CLIENTS_FILE, and reports a missing file or both variables set', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cop-auth-clients-')), 'clients.json');
    writeFileSync(file, CLIENTS);
    expect(loadConfig({ CDS_TRUSTED_CLIENTS_FILE: file, PUBLIC_BASE_URL: BASE }).auth.trustedClients).toHaveLength(1);
    expect(configProblems({ CDS_TRUSTED_CLIENTS_FILE: `${file}.missing` })[0]).toMatch(/^CDS_TRUSTED_CLIENTS_FILE: cannot read .*ENOENT/);
    expect(configProblems({ CDS_TRUSTED_CLIENTS_FILE: file, CDS_TRUSTED_CLIENTS: CLIENTS })[0]).toMatch(/not both/);
  });

  it('validates the numbers', () => {
    expect(loadConfig({ CDS_AUTH_CLOCK_SKEW_SECONDS: '30', CDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS: '300' }).auth).toMatchObject({
      clockSkewSeconds: 30,
      maxTokenLifetimeSeconds: 300,
    });
    expect(configProblems({ CDS_AUTH_CLOCK_SKEW_SECONDS: '-1' })[0]).toMatch(/^CDS_AUTH_CLOCK_SKEW_SECONDS:/);
    expect(configProblems({ CDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS: '0' })[0]).toMatch(/^CDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS:/);
  });
});
