/**
 * The code explains itself from the repository (issue 16): no source, hook, test or benchmark file
 * sends its reader to a document that is not in the repository, and every "decision N" it cites is
 * one of the numbered design decisions in docs/rules.md.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const THIS_FILE = path.relative(ROOT, fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    if (name.startsWith('.') || name === 'node_modules') continue; // build output and tools' caches
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mts|js|mjs|html|css)$/.test(name)) out.push(rel);
  }
  return out;
}

// links.test.ts names the absent documents on purpose: it checks the Markdown pages for them.
const FILES = ['src', 'hooks', 'test', 'bench', 'scripts'].flatMap(sourceFiles).filter((f) => f !== THIS_FILE && f !== 'test/docs/links.test.ts');
const ABSENT = /\b(cop-rules\.md|cop-codes\.md|requirements\.md|sandbox-notes\.md|design\.md|cop-evidence\.md|source-summary\.md)|cop-rules §|\.\.\/shared\//;

function documentedDecisions(): Set<number> {
  const rules = readFileSync(path.join(ROOT, 'docs/rules.md'), 'utf8');
  const section = rules.split(/^## Design decisions$/m)[1]?.split(/^## /m)[0] ?? '';
  return new Set([...section.matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1])));
}

describe('source files cite what the repository holds', () => {
  it('reads the source tree', () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(FILES).toContain('src/app.ts');
  });

  it('names no document that is not in the repository', () => {
    const hits = FILES.flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8').split('\n')
        .map((line, i) => (ABSENT.test(line) ? `${file}:${i + 1}: ${line.trim()}` : ''))
        .filter(Boolean));
    expect(hits).toEqual([]);
  });

  it('cites only decisions that docs/rules.md lists', () => {
    const decisions = documentedDecisions();
    expect([...decisions].sort((a, b) => a - b)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    const unknown: string[] = [];
    for (const file of FILES) {
      const body = readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of body.matchAll(/\bdecisions? (\d+)((?:(?:, | and | or |–)\d+)*)/g)) {
        const numbers = [m[1]!, ...(m[2]!.match(/\d+/g) ?? [])].map(Number);
        for (const n of numbers) if (!decisions.has(n)) unknown.push(`${file}: decision ${n}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
