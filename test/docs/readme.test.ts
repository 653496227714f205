/**
 * The docs are the operator's manual: every setting the code reads must be in docs/configuration.md,
 * under the name the code reads it by; every rule in docs/rules.md; and the README's Sandbox links
 * must open the screen with the hook it needs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RULE_IDS, thresholdsSchema } from '../../src/cop/knowledge.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const readme = read('README.md');
const configuration = read('docs/configuration.md');
const rules = read('docs/rules.md');
const configSource = read('src/config.ts');

describe('docs/configuration.md', () => {
  it('documents every environment variable config.ts reads', () => {
    const names = [...configSource.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(configuration, name).toContain(`\`${name}\``);
  });

  it('documents every clinical threshold under its site-file key (test/docs/thresholds-readme.test.ts checks the rows)', () => {
    for (const key of Object.keys(thresholdsSchema.shape)) expect(configuration, key).toContain(`| \`${key}\` |`);
  });
});

describe('docs/rules.md', () => {
  it('lists every implemented rule in the rule table', async () => {
    const { RULES } = await import('../../src/cop/rules/index.js');
    const implemented = RULE_IDS.filter((r) => RULES[r]);
    expect(implemented.length).toBeGreaterThan(10);
    for (const id of implemented) expect(rules, id).toMatch(new RegExp(`^\\| ${id} \\|`, 'm'));
  });
});

describe('README', () => {
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

  it('links every page under docs/', async () => {
    const { readdirSync } = await import('node:fs');
    const pages = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) expect(readme, page).toMatch(new RegExp(`\\]\\(docs/${page.replace('.', '\\.')}[#)]`));
  });
});
