#!/usr/bin/env node
/**
 * `npx cop-cds …` (package.json "bin"). Runs src/cli/main.ts through tsx when the sources and
 * tsx are there (a clone after `npm ci`: always the current code, no build needed), otherwise
 * the compiled dist/src/cli/main.js (`npm run build`; an install without dev dependencies).
 * COP_CDS_RUNNER=dist or =tsx forces one of them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'src/cli/main.ts');
const compiled = path.join(root, 'dist/src/cli/main.js');
const runner = process.env.COP_CDS_RUNNER;

async function viaTsx() {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(pathToFileURL(source).href, import.meta.url);
}

async function load() {
  if (runner !== 'dist' && existsSync(source)) {
    try {
      return await viaTsx();
    } catch (error) {
      const missingTsx = error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes("'tsx");
      if (!missingTsx || runner === 'tsx') throw error;
    }
  }
  if (existsSync(compiled)) return import(pathToFileURL(compiled).href);
  process.stderr.write('cop-cds: neither tsx (npm ci) nor a build (npm run build: dist/src/cli/main.js) is available\n');
  process.exit(2);
}

const { main } = await load();
const code = await main(process.argv.slice(2));
// Flush stdout/stderr (pipes are asynchronous), then exit without waiting for keep-alive sockets.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
