/**
 * The project explains itself: its Markdown (README.md and docs/) cites no document that is not in
 * the repository, and every relative link leads to a file that exists (and, into a Markdown page,
 * to a heading that exists).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function markdownUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownUnder(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : [],
  );
}
const FILES = ['README.md', ...markdownUnder('docs')];
const text = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** The text outside fenced code blocks, inline code replaced by a placeholder (links in code are not links). */
const prose = (markdown: string): string =>
  markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, 'code');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

interface Link {
  file: string;
  target: string;
}
function relativeLinks(file: string): Link[] {
  const body = prose(text(file));
  const targets = [
    ...[...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...body.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!),
  ];
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t)).map((target) => ({ file, target }));
}

describe('Markdown of the repository', () => {
  it('finds the pages (README.md and docs/*.md)', () => {
    expect(FILES).toContain('README.md');
    expect(FILES.length).toBeGreaterThan(5);
  });

  it('cites no document that is not in the repository', () => {
    const absent = ['cop-rules.md', 'cop-codes.md', 'requirements.md', 'sandbox-notes.md', 'design.md', '../shared'];
    for (const file of FILES) {
      const body = text(file).toLowerCase();
      for (const name of absent) expect(body.includes(name), `${file} mentions ${name}`).toBe(false);
    }
  });

  it('has relative links only to files that exist, and anchors only to headings that exist', () => {
    const links = FILES.flatMap(relativeLinks);
    expect(links.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const { file, target } of links) {
      const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = rawPath === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(rawPath));
      if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) {
        problems.push(`${file}: ${target} leaves the repository`);
        continue;
      }
      if (!existsSync(resolved)) {
        problems.push(`${file}: ${target} does not exist`);
        continue;
      }
      if (anchor !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md')) {
        if (!anchors(readFileSync(resolved, 'utf8')).has(anchor)) problems.push(`${file}: ${target} names no heading of ${path.relative(ROOT, resolved)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the link checker sees a broken link and a missing anchor', () => {
    expect(prose('see [a](docs/x.md) and `[b](not-a-link.md)`')).toContain('](docs/x.md)');
    expect(prose('```sh\n[c](in-code.md)\n```\n')).not.toContain('in-code.md');
    expect(anchors('# API\n## Clinical thresholds (site configuration file)\n## Probes, metrics and the API description\n## API')).toEqual(
      new Set(['api', 'clinical-thresholds-site-configuration-file', 'probes-metrics-and-the-api-description', 'api-1']),
    );
  });
});
