/**
 * bin/cop-cds.mjs as `npx cop-cds` runs it (a child process: source through tsx, no build), the
 * package.json bin entry, and the examples: redate.mjs works on each example request and matches
 * `call --redate`, and every example gives the same cards re-dated months later.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { redate, shiftDaysFor } from '../../src/cli/redate.js';
import { testConfig } from '../fixtures/config.js';
import { example, ROOT } from './harness.js';

const BIN = path.join(ROOT, 'bin/cop-cds.mjs');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', FORCE_COLOR: undefined, ...env }, timeout: 30_000 });

describe('bin/cop-cds.mjs', () => {
  it('is the package.json bin "cop-cds"', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    expect(pkg.bin).toEqual({ 'cop-cds': 'bin/cop-cds.mjs' });
  });

  it('--help prints usage with examples, exit 0; check exits 0 / 1; no colour when not a TTY', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('cop-cds call <service-url>');
    expect(help.stdout).toContain('Examples:');
    const ok = run(['check', 'request', 'examples/order-select-request.json']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^✓ examples\/order-select-request\.json: conforms/);
    expect(ok.stdout).not.toContain('\u001b[');
    const bad = run(['check', 'response', '-'], {});
    expect(bad.status).toBe(1); // stdin is empty: not JSON
    expect(run(['nonsense']).status).toBe(2);
  }, 60_000);
});

const HOOKS = [
  ['order-select', 'cop-order-select'],
  ['order-sign', 'cop-order-sign'],
  ['patient-view', 'cop-patient-view'],
] as const;

async function rules(service: string, today: string, body: unknown): Promise<string[]> {
  const app = await buildApp(testConfig(), { clock: () => new Date(`${today}T12:00:00Z`) });
  await app.ready();
  try {
    const res = await supertest(app.server).post(`/cds-services/${service}`).send(body as object).expect(200);
    return (res.body as { cards: { indicator: string; source: { topic: { code: string } } }[] }).cards.map((c) => `${c.source.topic.code}:${c.indicator}`);
  } finally {
    await app.close();
  }
}

describe('examples', () => {
  it.each(HOOKS)('%s: redate.mjs = call --redate, and the cards stay the same months later', async (hook, service) => {
    const file = example(`${hook}-request.json`);
    const original = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const redated = JSON.parse(execFileSync(process.execPath, [example('redate.mjs'), file], { env: { REDATE_TODAY: '2027-09-14' }, encoding: 'utf8' })) as unknown;
    expect(redated).toEqual(redate(original, shiftDaysFor(new Date('2027-09-14T00:00:00Z'))));
    expect(redated).not.toEqual(original);
    const asWritten = await rules(service, '2026-11-25', original);
    expect(asWritten.length).toBeGreaterThan(2);
    expect(await rules(service, '2027-09-14', redated)).toEqual(asWritten);
  });
});
