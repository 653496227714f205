/**
 * The README is the operator's manual: every setting the code reads must be in it, under the name
 * the code reads it by.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RULE_IDS, thresholdsSchema } from '../../src/cop/knowledge.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const configSource = readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');

describe('README', () => {
  it('documents every environment variable config.ts reads', () => {
    const names = [...configSource.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });

  it('documents every clinical threshold under its site-file key (test/docs/thresholds-readme.test.ts checks the rows)', () => {
    for (const key of Object.keys(thresholdsSchema.shape)) expect(readme, key).toContain(`| \`${key}\` |`);
  });

  it('lists every implemented rule in the rule table', async () => {
    const { RULES } = await import('../../src/cop/rules/index.js');
    for (const id of RULE_IDS.filter((r) => RULES[r])) expect(readme).toMatch(new RegExp(`^\\| ${id} \\|`, 'm'));
  });

  it('gives every CDS Hooks Sandbox demo link the hook its screen needs (screen alone keeps patient-view)', () => {
    const links = [...readme.matchAll(/https:\/\/sandbox\.cds-hooks\.org\/\?\S+/g)].map((m) => new URL(m[0]));
    expect(links.length).toBeGreaterThanOrEqual(3);
    const hookFor: Record<string, string | undefined> = { 'patient-view': 'patient-view', 'rx-view': 'order-select', 'rx-sign': 'order-sign' };
    for (const link of links) {
      const screen = link.searchParams.get('screen') ?? 'patient-view';
      expect(Object.keys(hookFor), link.href).toContain(screen);
      const hook = link.searchParams.get('hook') ?? 'patient-view';
      expect(hook, link.href).toBe(hookFor[screen]);
    }
  });
});
