/**
 * Authentication as the process starts: on by default in production and refused without trusted
 * clients (exit 2, naming the variable); CDS_AUTH=off logs a warning; on, discovery needs a token.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', FEEDBACK_DB_PATH: path.join(mkdtempSync(path.join(tmpdir(), 'cop-auth-main-')), 'store.sqlite'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function listening(lines: string[]): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const url = lines.map((l) => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(l)?.[1]).find(Boolean);
    if (url) return url;
    if (Date.now() > deadline) throw new Error(`not listening:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
    const { child, lines, exited } = start({ NODE_ENV: 'production', CDS_AUTH: 'off' });
    const url = await listening(lines);
    const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.startsWith('authentication is OFF'));
    expect(warning?.level).toBe(40);
    expect((await fetch(`${url}/cds-services`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);

  it('on with a trusted client: discovery without a token is 401, /health is 200', async () => {
    const clients = JSON.stringify([{ iss: 'urn:ehr', jwksUrl: 'https://ehr.example.org/jwks.json' }]);
    const { child, lines, exited } = start({ NODE_ENV: 'production', CDS_TRUSTED_CLIENTS: clients, PUBLIC_BASE_URL: 'https://cds.example.org' });
    const url = await listening(lines);
    expect((await fetch(`${url}/cds-services`)).status).toBe(401);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(lines.some((l) => l.includes('authentication is OFF'))).toBe(false);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
