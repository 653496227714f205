/**
 * The threshold table of docs/configuration.md is what a site reviews before signing off its file:
 * each row must say what the code does — default, allowed range and ⚠ as `cop-cds check-config`
 * prints them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { thresholdRows } from '../../src/cli/check-config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const configuration = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
const start = configuration.search(/^## Clinical thresholds/m);
const end = configuration.search(/^## Site configuration/m);
const section = configuration.slice(start, end);
const markdown = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('docs/configuration.md: clinical thresholds', () => {
  it('has the section, before the site configuration file', () => {
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
  });

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
    for (const file of markdown) expect(readFileSync(path.join(ROOT, file), 'utf8'), file).not.toMatch(/each `COP_\*` variable over its key/);
  });
});
