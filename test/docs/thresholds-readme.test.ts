/**
 * The README's threshold table is what a site reviews before signing off its file: each row must
 * say what the code does — default, allowed range and ⚠ as `cop-cds check-config` prints them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { thresholdRows } from '../../src/cli/check-config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### Clinical thresholds'), readme.indexOf('### Site configuration'));

describe('README: clinical thresholds', () => {
  it('has one row per threshold with its default, allowed range and ⚠ flag', () => {
    const documented = new Map(
      [...section.matchAll(/^\| `([A-Za-z0-9]+)` \| ([^|]*) \| ([^|]*) \| ([^|]*) \| [^|]+ \|$/gm)].map((m) => [m[1]!, { default: m[2]!.trim(), allowed: m[3]!.trim(), signOff: m[4]!.trim() === '⚠' }]),
    );
    const rows = thresholdRows();
    for (const r of rows) expect(documented.get(r.key), r.key).toEqual({ default: String(r.default), allowed: r.allowed, signOff: r.signOff });
    expect([...documented.keys()].sort()).toEqual(rows.map((r) => r.key).sort());
  });

  it('says thresholds come from the site file and how a site signs it off', () => {
    expect(section).toContain('cop-cds check-config');
    expect(section).toMatch(/respiratory lead and pharmacy/);
    expect(section).toContain('`COP_MG_PER_KILO`');
    expect(readme).not.toMatch(/each `COP_\*` variable over its key/);
  });
});
