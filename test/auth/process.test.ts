/**
 * Authentication as the process starts: on by default in production and refused without trusted
 * clients (exit 2, naming the variable); CDS_AUTH=off logs a warning; on, discovery needs a token.
 */
import { describe, expect, it } from 'vitest';
import { listeningUrl, spawnService as start } from '../fixtures/service-process.js';

describe('authentication at start-up', () => {
  it('NODE_ENV=production without trusted clients: refuses to start, exit 2, naming CDS_TRUSTED_CLIENTS', async () => {
    const { lines, exited } = start({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org' });
    expect(await exited).toBe(2);
    const text = lines.join('\n');
    expect(text).toContain('CDS_TRUSTED_CLIENTS');
    expect(text).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('CDS_AUTH=on without PUBLIC_BASE_URL: refuses to start, naming PUBLIC_BASE_URL', async () => {
    const clients = JSON.stringify([{ iss: 'urn:ehr', jwksUrl: 'https://ehr.example.org/jwks.json' }]);
    const { lines, exited } = start({ CDS_AUTH: 'on', CDS_TRUSTED_CLIENTS: clients });
    expect(await exited).toBe(2);
    expect(lines.join('\n')).toContain('PUBLIC_BASE_URL');
  }, 30_000);

  it('CDS_AUTH=off in production: starts, with a warning that any caller can use the service', async () => {
    const service = start({ NODE_ENV: 'production', CDS_AUTH: 'off' });
    const { child, lines, exited } = service;
    const url = await listeningUrl(service);
    const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.startsWith('authentication is OFF'));
    expect(warning?.level).toBe(40);
    expect((await fetch(`${url}/cds-services`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);

  it('on with a trusted client: discovery without a token is 401, /health is 200', async () => {
    const clients = JSON.stringify([{ iss: 'urn:ehr', jwksUrl: 'https://ehr.example.org/jwks.json' }]);
    const service = start({ NODE_ENV: 'production', CDS_TRUSTED_CLIENTS: clients, PUBLIC_BASE_URL: 'https://cds.example.org' });
    const { child, lines, exited } = service;
    const url = await listeningUrl(service);
    expect((await fetch(`${url}/cds-services`)).status).toBe(401);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(lines.some((l) => l.includes('authentication is OFF'))).toBe(false);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
