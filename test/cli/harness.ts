/** Runs the CLI in process with captured output, and the real app on 127.0.0.1 for it to call. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOverrides } from '../../src/app.js';
import type { AppConfig } from '../../src/config.js';
import { main } from '../../src/cli/main.js';
import { NOW } from '../fixtures/facts.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const example = (name: string): string => path.join(ROOT, 'examples', name);

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}, tty = false): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: { write: (s) => void (out += s) },
    err: { write: (s) => void (err += s) },
    env,
    outIsTTY: tty,
    errIsTTY: tty,
  });
  return { code, out, err };
}

/** The app listening on 127.0.0.1 (random port), clock at the examples' writing day. */
export async function listen(config: AppConfig, overrides: AppOverrides = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp(config, { clock: () => NOW, ...overrides });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

/** A private scratch directory (mkdtemp), removed by the returned function. */
export function scratch(): { dir: string; write(name: string, value: unknown): string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cop-cds-cli-test-'));
  return {
    dir,
    write(name, value) {
      const file = path.join(dir, name);
      writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
