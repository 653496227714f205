/**
 * Issue 13 #4 and #5: what the SMART app's pages let a browser do. Outside production the app may
 * reach plain-http launchers and FHIR servers (local ones run on http://127.0.0.1); in production
 * https only. The app may be framed only by the EHR origins in SMART_FRAME_ANCESTORS (default: no
 * one), and every other page stays unframeable (frame-ancestors 'none', X-Frame-Options DENY).
 */
import supertest from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { configProblems, testConfig } from '../fixtures/config.js';

const apps: Awaited<ReturnType<typeof buildApp>>[] = [];
async function serve(smartApp: { allowHttp: boolean; frameAncestors: string[] }) {
  const app = await buildApp({ ...testConfig(), smartApp });
  await app.ready();
  apps.push(app);
  return supertest(app.server);
}
afterAll(async () => {
  for (const app of apps) await app.close();
});

describe('SMART app pages: plain http and framing', () => {
  it('from the environment: http allowed outside production only; SMART_FRAME_ANCESTORS parsed and checked', () => {
    expect(loadConfig({}).smartApp).toEqual({ allowHttp: true, frameAncestors: [] });
    expect(loadConfig({ NODE_ENV: 'production', CDS_AUTH: 'off' }).smartApp.allowHttp).toBe(false);
    expect(loadConfig({ SMART_FRAME_ANCESTORS: 'https://ehr.example.org, http://127.0.0.1:3000' }).smartApp.frameAncestors).toEqual(['https://ehr.example.org', 'http://127.0.0.1:3000']);
    expect(configProblems({ SMART_FRAME_ANCESTORS: "https://ehr.example.org 'unsafe-inline'" })).toEqual([expect.stringMatching(/^SMART_FRAME_ANCESTORS: must be origins/)]);
  });

  it('default: the app reaches http servers in development, and no page can be framed', async () => {
    const http = await serve({ allowHttp: true, frameAncestors: [] });
    for (const page of ['/smart/index.html', '/smart/launch.html']) {
      const res = await http.get(page).expect(200);
      expect(res.headers['content-security-policy']).toContain("connect-src 'self' https: http:");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('production: https servers only', async () => {
    const http = await serve({ allowHttp: false, frameAncestors: [] });
    const csp = (await http.get('/smart/index.html').expect(200)).headers['content-security-policy'];
    expect(csp).toMatch(/connect-src 'self' https:;/);
  });

  it('listed EHR origins may frame the app, and only the app', async () => {
    const http = await serve({ allowHttp: true, frameAncestors: ['https://ehr.example.org', 'http://127.0.0.1:3000'] });
    for (const page of ['/smart/index.html', '/smart/launch.html', '/smart/app.js']) {
      const res = await http.get(page).expect(200);
      expect(res.headers['content-security-policy']).toContain('frame-ancestors https://ehr.example.org http://127.0.0.1:3000');
      expect(res.headers['x-frame-options']).toBeUndefined();
    }
    for (const page of ['/evidence/cop', '/cds-services']) {
      const res = await http.get(page).expect(200);
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });
});
