/**
 * The SMART app's pages, scripts and style are real files (src/smart/public), served as they are:
 * each URL answers its file byte for byte with the app's headers, nothing else under /smart/ is
 * served, and launch.html names the client id the service documents (SMART_CLIENT_ID_DEFAULT).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { SMART_CLIENT_ID_DEFAULT, smartPublicDir } from '../../src/smart/routes.js';
import { useApp } from '../http/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PUBLIC = path.join(ROOT, 'src/smart/public');

const { http } = useApp();

describe('SMART app files', () => {
  it.each([
    ['/smart/launch.html', 'launch.html', 'text/html; charset=utf-8'],
    ['/smart/index.html', 'index.html', 'text/html; charset=utf-8'],
    ['/smart/', 'index.html', 'text/html; charset=utf-8'],
    ['/smart/launch.js', 'launch.js', 'text/javascript; charset=utf-8'],
    ['/smart/app.js', 'app.js', 'text/javascript; charset=utf-8'],
    ['/smart/app.css', 'app.css', 'text/css; charset=utf-8'],
  ])('%s is %s as it is, with the app headers and no caching validators', async (url, file, type) => {
    const res = await http().get(url).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(Buffer.compare(res.body as Buffer, readFileSync(path.join(PUBLIC, file)))).toBe(0);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-length']).toBe(String(readFileSync(path.join(PUBLIC, file)).length));
    for (const header of ['etag', 'last-modified', 'accept-ranges']) expect(res.headers[header], header).toBeUndefined();
  });

  it('serves the files of src/smart/public and nothing else under /smart/', async () => {
    expect(readdirSync(PUBLIC).sort()).toEqual(['app.css', 'app.js', 'index.html', 'launch.html', 'launch.js']);
    for (const url of ['/smart/tsconfig.public.json', '/smart/public/app.js', '/smart/routes.ts', '/smart', '/smart/app.js/', '/smart/../package.json']) {
      const res = await http().get(url);
      expect(res.status, url).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it("launch.html names the service's default client id, which launch.js uses unless the launch gives client_id", async () => {
    const page = (await http().get('/smart/launch.html').expect(200)).text;
    expect(/<html [^>]*data-client-id="([^"]*)"/.exec(page)?.[1]).toBe(SMART_CLIENT_ID_DEFAULT);
    const script = (await http().get('/smart/launch.js').expect(200)).text;
    expect(script).toContain("params.get('client_id') || document.documentElement.getAttribute('data-client-id')");
  });
});

describe('where the files are found', () => {
  it('beside the module (the sources; dist/src/smart/public after npm run build)', () => {
    expect(smartPublicDir()).toBe(PUBLIC);
  });

  it('after a compile by tsc alone (no file copied), in the sources above the compiled module; else a ConfigError', () => {
    const tree = mkdtempSync(path.join(tmpdir(), 'cop-smart-files-'));
    try {
      // What `tsc --outDir bench/.build-x` leaves: bench/.build-x/src/smart/routes.js, no public/ beside it.
      const compiled = path.join(tree, 'bench/.build-x/src/smart');
      mkdirSync(compiled, { recursive: true });
      expect(() => smartPublicDir(compiled)).toThrow(ConfigError);
      cpSync(PUBLIC, path.join(tree, 'src/smart/public'), { recursive: true });
      expect(smartPublicDir(compiled)).toBe(path.join(tree, 'src/smart/public'));
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
