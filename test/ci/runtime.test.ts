/**
 * The runtime CI tests is the runtime that ships, and a production install carries what the service
 * uses and nothing else: one pinned Node 24 (bin/node24, package.json devEngines, the Dockerfile),
 * Node 22 the oldest supported (engines); every runtime import of src/ is a production dependency
 * and every production dependency is imported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const pinned = /^NODE_VERSION=(\d+\.\d+\.\d+)\b/m.exec(readFileSync(path.join(ROOT, 'bin/node24'), 'utf8'))?.[1];

describe('the Node.js runtime', () => {
  it('bin/node24, package.json devEngines and the Dockerfile pin the same Node 24 release; engines says >= 22', () => {
    expect(pinned).toMatch(/^24\./);
    expect(pkg.devEngines.runtime).toMatchObject({ name: 'node', version: pinned });
    const image = /^ARG NODE_IMAGE=node:(\S+)$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(image).toBe(`${pinned}-slim`);
    expect(pkg.engines.node).toBe('>=22');
  });

  it('runs these tests on a supported Node (the pinned one where CI says so)', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
    if (process.env.REQUIRE_PINNED_NODE === '1') expect(process.versions.node).toBe(pinned);
  });
});

/** Files under `dir` ending in .ts, test files left out. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const packageOf = (specifier: string): string => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
const builtins = new Set(builtinModules);

/** Packages the service loads at run time: value imports, re-exports and dynamic imports (type-only imports are erased). */
function runtimeImports(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of [...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'hooks'))]) {
    const text = readFileSync(file, 'utf8');
    const found = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?\bfrom\s+'([^']+)'/gm)].map((m) => m[1]!),
      ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!),
      // import('x') but not a type position's import('x').Name
      ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)(?!\.)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/\brequire\.resolve\(\s*[`']([^`'$]+)/g)].map((m) => m[1]!),
    ];
    for (const specifier of found) {
      if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue;
      const name = packageOf(specifier);
      used.set(name, [...(used.get(name) ?? []), path.relative(ROOT, file)]);
    }
  }
  return used;
}

describe('production dependencies', () => {
  const used = runtimeImports();

  it('every package src/ loads at run time is a production dependency', () => {
    const missing = [...used.entries()].filter(([name]) => !(name in pkg.dependencies));
    // Read only when the sources run (tests, tsx): fhirclient's browser build (the build vendors it
    // into dist/vendor) and tsx (the SQLite worker's bootstrap from sources).
    const sourcesOnly = ['fhirclient', 'tsx'];
    expect(missing.filter(([name]) => !sourcesOnly.includes(name))).toEqual([]);
    for (const name of sourcesOnly) expect(pkg.devDependencies).toHaveProperty(name);
  });

  it('every production dependency is loaded by the service (nothing installed that it does not use)', () => {
    expect(Object.keys(pkg.dependencies).filter((name) => !used.has(name))).toEqual([]);
  });
});
