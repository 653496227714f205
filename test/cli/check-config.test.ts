/**
 * `cop-cds check-config <file>`: validates a site file as the service does at start-up and prints
 * every threshold with its value, default, allowed range, source and ⚠ sign-off flag.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { thresholdRangeText, thresholdRows } from '../../src/cli/check-config.js';
import { DEFAULT_THRESHOLDS, thresholdsSchema, type ThresholdKey } from '../../src/cop/knowledge.js';
import { THRESHOLD_DOCS } from '../../src/cop/threshold-docs.js';
import { example, ROOT, runCli, scratch } from './harness.js';

const files = scratch();
afterAll(() => files.remove());
const KEYS = Object.keys(thresholdsSchema.shape) as ThresholdKey[];
const row = (out: string, key: string): string[] | undefined =>
  out.split('\n').find((l) => l.trim().split(/\s{2,}/)[0] === key)?.trim().split(/\s{2,}/);

describe('cop-cds check-config', () => {
  it('prints every threshold of the example file with value, default, range, source and ⚠; exit 0', async () => {
    const { code, out, err } = await runCli(['check-config', example('site-config.json')]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^✓ .*site-config\.json: valid/);
    for (const key of KEYS) expect(row(out, key), key).toBeDefined();
    expect(row(out, 'mgPerKg')).toEqual(['mgPerKg', '0.75', '0.75', '0.5–1', 'file']);
    expect(row(out, 'maxDailyDoseMg')).toEqual(['maxDailyDoseMg', '60', '60', '> 0, ≤ 60', 'file', '⚠ reviewed?']);
    expect(row(out, 'weightMinKg')).toEqual(['weightMinKg', '30', '30', '> 0', 'default', '⚠ sign-off']);
    expect(row(out, 'reviewWeeks')).toEqual(['reviewWeeks', '6', '6', '4–8, integer', 'default', '⚠ sign-off']);
    expect(out).toMatch(/⚠ \d+ thresholds have defaults that need clinical sign-off/);
    expect(out).not.toContain('\u001b[');
  });

  it('shows a site value next to its default', async () => {
    const file = files.write('site.json', { thresholds: { mgPerKg: 0.5, weightFreshDays: 60, weightStaleMaxDays: 120 } });
    const { code, out } = await runCli(['check-config', file]);
    expect(code).toBe(0);
    expect(row(out, 'mgPerKg')).toEqual(['mgPerKg', '0.5', '0.75', '0.5–1', 'file']);
    expect(row(out, 'weightStaleMaxDays')).toEqual(['weightStaleMaxDays', '120', '90', '> 0, integer', 'file']);
    expect(out).toContain('Clinical thresholds: 3 set by the file');
  });

  it('refuses what the service refuses (min above max, unknown key), one line each, exit 1', async () => {
    const file = files.write('bad.json', { thresholds: { minMgPerKg: 2, maxMgPerKg: 1, mgPerKilo: 1 } });
    const { code, out } = await runCli(['check-config', file]);
    expect(code).toBe(1);
    expect(out).toMatch(/^✗ .*bad\.json: 3 problems; the service would not start with it/);
    expect(out).toContain(`SITE_CONFIG_FILE (${file}): thresholds.minMgPerKg: minMgPerKg (2) must be at most maxMgPerKg (1)`);
    expect(out).toContain(`SITE_CONFIG_FILE (${file}): thresholds.mgPerKilo: not a threshold (did you mean mgPerKg?)`);
    const json = await runCli(['check-config', files.write('bad2.json', { thresholds: { weightMinKg: 300 } }), '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toEqual({ file: expect.any(String), valid: false, problems: [expect.stringMatching(/thresholds\.weightMinKg: weightMinKg \(300\) must be below weightMaxKg \(250, the default\)/)] });
  });

  it('--json gives every row; usage errors exit 2', async () => {
    const { code, out } = await runCli(['check-config', example('site-config.json'), '--json']);
    expect(code).toBe(0);
    const body = JSON.parse(out) as { valid: boolean; thresholds: { key: string; value: number; default: number; source: string; signOff: boolean }[] };
    expect(body.valid).toBe(true);
    expect(body.thresholds.map((r) => r.key)).toEqual(KEYS);
    expect(body.thresholds.find((r) => r.key === 'spo2MinPercent')).toMatchObject({ value: 92, default: 92, source: 'file', signOff: true });
    expect((await runCli(['check-config'])).code).toBe(2);
    expect((await runCli(['check-config', 'a.json', 'b.json'])).code).toBe(2);
    expect((await runCli(['check-config', '--bogus', 'a.json'])).err).toContain('usage: cop-cds check-config');
    expect((await runCli(['check-config', path.join(files.dir, 'missing.json')])).out).toMatch(/cannot read \(ENOENT\)/);
    expect((await runCli(['--help'])).out).toContain('cop-cds check-config <site-config.json>');
  });

  it('flags ⚠ every threshold whose schema comment says signOff (or that THRESHOLD_DOCS does not describe)', () => {
    const source = readFileSync(path.join(ROOT, 'src/cop/knowledge.ts'), 'utf8');
    const body = source.slice(source.indexOf('export const thresholdsSchema = z.object({'), source.indexOf('export type Thresholds'));
    const lines = body.split('\n');
    const rows = new Map(thresholdRows().map((r) => [r.key, r]));
    let commentSaysSignOff = false;
    let inDoc = false;
    for (const line of lines) {
      const t = line.trim();
      if (t.startsWith('/**')) {
        inDoc = !t.endsWith('*/');
        commentSaysSignOff = t.includes('signOff');
        continue;
      }
      if (inDoc) {
        commentSaysSignOff ||= t.includes('signOff');
        if (t.endsWith('*/')) inDoc = false;
        continue;
      }
      if (t.startsWith('//')) {
        commentSaysSignOff = t.includes('signOff');
        continue;
      }
      const key = /^([a-zA-Z0-9]+):/.exec(t)?.[1];
      if (key) {
        if (commentSaysSignOff) expect(rows.get(key as ThresholdKey)?.signOff, key).toBe(true);
        commentSaysSignOff = false;
      }
    }
    for (const r of rows.values()) if (!THRESHOLD_DOCS[r.key]) expect(r.signOff, `${r.key} has no THRESHOLD_DOCS entry`).toBe(true);
  });

  it('describes ranges as the README does', () => {
    expect(thresholdRangeText('mgPerKg')).toBe('0.5–1');
    expect(thresholdRangeText('maxDailyDoseMg')).toBe('> 0, ≤ 60');
    expect(thresholdRangeText('glucocorticoidGapDays')).toBe('≥ 0, integer');
    expect(thresholdRangeText('weightFreshDays')).toBe('> 0, integer');
    expect(thresholdRows().every((r) => r.value === DEFAULT_THRESHOLDS[r.key] && r.source === 'default')).toBe(true);
  });
});
