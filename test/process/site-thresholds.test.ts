/**
 * Clinical thresholds as the operator meets them at start-up: any COP_* variable stops the process
 * with exit code 2 and a line naming it (a misspelling is never ignored, a threshold's old variable
 * points at its key in the site file), and so does a site file whose thresholds contradict each other.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listeningUrl, spawnService as start } from '../fixtures/service-process.js';

const refusal = async (env: Record<string, string>): Promise<string> => {
  const { lines, exited } = start(env);
  expect(await exited).toBe(2);
  const text = lines.join('\n');
  expect(text).toContain('invalid configuration; not starting');
  expect(text).not.toMatch(/\n\s+at /); // no stack trace
  return text;
};

describe('src/main.ts: thresholds come from the site file only', () => {
  it('refuses a misspelt COP_MG_PER_KILO=1, naming it, with exit code 2', async () => {
    const text = await refusal({ COP_MG_PER_KILO: '1' });
    expect(text).toContain('COP_MG_PER_KILO: not a setting of this service (did you mean thresholds.mgPerKg?)');
  }, 30_000);

  it('refuses a valid threshold variable, pointing at thresholds.<key> in the site file', async () => {
    const text = await refusal({ COP_MG_PER_KG: '0.5' });
    expect(text).toContain('COP_MG_PER_KG: clinical thresholds are not read from the environment; put the value in the site configuration file (SITE_CONFIG_FILE) under thresholds.mgPerKg');
  }, 30_000);

  it('refuses a site file with minMgPerKg above maxMgPerKg, and starts with a consistent one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cop-site-process-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ thresholds: { minMgPerKg: 2, maxMgPerKg: 1 } }));
    const text = await refusal({ SITE_CONFIG_FILE: bad });
    expect(text).toContain(`SITE_CONFIG_FILE (${bad}): thresholds.minMgPerKg: minMgPerKg (2) must be at most maxMgPerKg (1)`);

    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ thresholds: { mgPerKg: 0.5 } }));
    const service = start({ SITE_CONFIG_FILE: good, COP_CDS_RUNNER: 'tsx' });
    await listeningUrl(service);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  }, 40_000);
});
