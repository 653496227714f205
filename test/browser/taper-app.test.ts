/**
 * The taper-plan SMART app in headless Chromium (Debian's chromium via playwright-core; no browser
 * download): the preview page (`index.html?demo=1&…`, no SMART server needed) renders the
 * calendar and the chart from GET /smart/plan, with no CSP violation, and the screenshot is checked
 * here (PNG size, not blank). Without a chromium binary the test is skipped, unless
 * REQUIRE_BROWSER_TESTS=1 (CI), where it fails.
 */
import { inflateSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumAvailable, REQUIRE_BROWSER, useAppInChromium } from '../fixtures/browser.js';
import { testConfig } from '../fixtures/config.js';

const REQUIRED = REQUIRE_BROWSER;
const available = chromiumAvailable;

describe('browser prerequisites', () => {
  it.skipIf(!REQUIRED)('has chromium when REQUIRE_BROWSER_TESTS=1', () => {
    expect(available, `no chromium at ${CHROMIUM} (set CHROMIUM_PATH or install Debian's chromium)`).toBe(true);
  });
});

/** Width, height and number of distinct colours of an 8-bit RGB(A) non-interlaced PNG. */
function pngStats(png: Buffer): { width: number; height: number; colours: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  let width = 0, height = 0, colourType = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      colourType = data[9]!;
      expect(data[12]).toBe(0); // not interlaced
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  expect(bpp, `PNG colour type ${colourType}`).toBeGreaterThan(0);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const prev = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const base = y * (stride + 1);
    const filter = raw[base]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[base + 1 + x]!;
      const a = x >= bpp ? line[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      let p: number;
      switch (filter) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`PNG filter ${filter}`);
      }
      line[x] = (v + p) & 0xff;
    }
    for (let x = 0; x < stride; x += bpp) colours.add((line[x]! << 16) | (line[x + 1]! << 8) | line[x + 2]!);
    line.copy(prev);
  }
  return { width, height, colours: colours.size };
}

describe.skipIf(!available)('taper-plan SMART app in headless Chromium', () => {
  const env = useAppInChromium(testConfig({ demoFhir: true }));

  it('renders the 60 kg plan as a calendar and a chart, with the data used, and takes a non-blank screenshot', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(e.message));
      // Block anything off this origin: the app must not need a CDN.
      await page.route('**/*', (route) => (route.request().url().startsWith(env.baseUrl) ? route.continue() : route.abort()));

      const url = `${env.baseUrl}/smart/index.html?demo=1&weightKg=60&weightDate=2024-05-01&weightObservation=Observation/w-60&formulary=us`;
      await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
      await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });

      await expect(page.locator('#calendar .day').count()).resolves.toBe(168);
      await expect(page.locator('#calendar .week').count()).resolves.toBe(24);
      // Issue 13 #6: a table to assistive technology (24 rows, a header and 7 cells each), labels on one line.
      await expect(page.getByRole('table', { name: /Daily doses/ }).count()).resolves.toBe(1);
      await expect(page.getByRole('row').count()).resolves.toBe(24);
      await expect(page.getByRole('rowheader', { name: 'Week 24' }).count()).resolves.toBe(1);
      await expect(page.getByRole('cell').count()).resolves.toBe(168);
      const labelHeights = await page.locator('#calendar .week').evaluateAll((ls) => ls.map((l) => l.getBoundingClientRect().height));
      const oneLine = labelHeights[0]!;
      for (const h of labelHeights) expect(h, 'week labels 10-24 do not wrap').toBeLessThanOrEqual(oneLine + 1);
      await expect(page.locator('[data-day="1"] .mg').textContent()).resolves.toBe('45 mg');
      await expect(page.locator('[data-day="168"]').getAttribute('data-week')).resolves.toBe('24');
      await expect(page.locator('[data-day="168"] .mg').textContent()).resolves.toBe('5 mg');
      const week24 = await page.locator('.day[data-week="24"] .mg').allTextContents();
      expect(week24).toEqual(Array(7).fill('5 mg'));
      // Step boundaries: one highlighted cell per dose change.
      const starts = await page.locator('.day.step-start').evaluateAll((cells) => cells.map((c) => [c.getAttribute('data-day'), c.getAttribute('data-dose')]));
      expect(starts.map((s) => s[1])).toEqual(['45', '30', '20', '10', '5']);
      expect(starts[0]![0]).toBe('1');
      const doses = await page.locator('#calendar .day').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-dose'))));
      expect(Math.max(...doses)).toBeLessThanOrEqual(60);

      // The chart: a step line over the 168 days, labelled with each step's dose.
      const line = await page.locator('#chart path.dose').getAttribute('d');
      expect(line?.split('L').length).toBeGreaterThanOrEqual(10);
      const chartText = await page.locator('#chart').textContent();
      for (const mg of ['45 mg', '30 mg', '20 mg', '10 mg', '5 mg', 'day 168']) expect(chartText).toContain(mg);
      const box = await page.locator('#chart').boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(100);

      const summary = await page.locator('#summary').textContent();
      expect(summary).toContain('168 days');
      expect(summary).toContain('45 mg');
      await expect(page.locator('#used-weight').textContent()).resolves.toBe('60 kg');
      await expect(page.locator('#used-weight-date').textContent()).resolves.toBe('2024-05-01');
      await expect(page.locator('#used-weight-observation').textContent()).resolves.toBe('Observation/w-60');
      await expect(page.locator('#banner').textContent()).resolves.toMatch(/Preview/);
      expect(problems).toEqual([]); // no script error, no CSP violation

      const png = await page.screenshot({ fullPage: false, type: 'png' });
      const stats = pngStats(png);
      expect(stats).toMatchObject({ width: 1100, height: 900 });
      // White page, text, the step colours of the calendar and the chart's blue: far from blank.
      expect(stats.colours).toBeGreaterThan(20);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('renders a merged step for 30 kg (decision 13): 25 → 15 mg for 8 weeks → 10 → 5, never rising', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.route('**/*', (route) => (route.request().url().startsWith(env.baseUrl) ? route.continue() : route.abort()));
      await page.goto(`${env.baseUrl}/smart/index.html?demo=1&weightKg=30&formulary=us`, { waitUntil: 'load', timeout: 20_000 });
      await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
      await expect(page.locator('#calendar .day').count()).resolves.toBe(168);
      const starts = await page.locator('.day.step-start').evaluateAll((cells) => cells.map((c) => [c.getAttribute('data-day'), c.getAttribute('data-dose')]));
      expect(starts).toEqual([['1', '25'], ['29', '15'], ['85', '10'], ['127', '5']]);
      const doses = await page.locator('#calendar .day').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-dose'))));
      for (let i = 1; i < doses.length; i++) expect(doses[i]).toBeLessThanOrEqual(doses[i - 1]!);
      await expect(page.locator('[data-day="84"] .mg').textContent()).resolves.toBe('15 mg');
      const summary = await page.locator('#summary').textContent();
      expect(summary).toContain('25 mg → 15 mg → 10 mg → 5 mg');
      expect(summary).not.toContain('20 mg');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('launches through fhirclient against the demo FHIR endpoint (open server) and reads the latest weight', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.route('**/*', (route) => (route.request().url().startsWith(env.baseUrl) ? route.continue() : route.abort()));
      const iss = encodeURIComponent(`${env.baseUrl}/demo/fhir`);
      await page.goto(`${env.baseUrl}/smart/launch.html?iss=${iss}&patient=cop-demo-untreated`, { waitUntil: 'load', timeout: 20_000 });
      await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
      expect(page.url()).toContain('/smart/index.html');
      // cop-demo-untreated weighs 72 kg: 0.75 mg/kg = 54 → 55 mg, as on its COP-R01 card.
      await expect(page.locator('[data-day="1"] .mg').textContent()).resolves.toBe('55 mg');
      await expect(page.locator('#calendar .day').count()).resolves.toBe(168);
      await expect(page.locator('#used-weight').textContent()).resolves.toBe('72 kg');
      await expect(page.locator('#used-weight-observation').textContent()).resolves.toMatch(/^Observation\//);
      await expect(page.locator('#data-used').textContent()).resolves.toContain('cop-demo-untreated');
      await expect(page.locator('#banner').isHidden()).resolves.toBe(true);
      await expect(page.locator('#patient-banner').isHidden()).resolves.toBe(true); // an open server asks for no banner
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('says how to launch when launch.html or index.html is opened without a SMART launch', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      await page.route('**/*', (route) => (route.request().url().startsWith(env.baseUrl) ? route.continue() : route.abort()));
      await page.goto(`${env.baseUrl}/smart/launch.html`, { waitUntil: 'load', timeout: 20_000 });
      await page.locator('#status', { hasText: 'SMART launcher' }).waitFor({ timeout: 10_000 });
      await page.goto(`${env.baseUrl}/smart/index.html`, { waitUntil: 'load', timeout: 20_000 });
      await page.waitForSelector('body[data-state="error"]', { timeout: 10_000 });
      await expect(page.locator('#status').textContent()).resolves.toMatch(/SMART launch/);
    } finally {
      await context.close();
    }
  }, 30_000);

  // Issue 13 #2: the EHR launch from a card, as the CDS Hooks Sandbox does it.
  it('turns the launch id into the patient and the card\'s appContext through smart-configuration, authorize (PKCE) and token', async () => {
    // What the Sandbox does before it opens the card's link.
    const appContext = JSON.stringify({ weightKg: 80, weightDate: '2026-11-20', weightObservation: 'Observation/w-80' });
    const res = await fetch(`${env.baseUrl}/demo/fhir/_services/smart/Launch`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ launchUrl: `${env.baseUrl}/smart/launch.html`, parameters: { patient: 'cop-demo-untreated', appContext } }),
    });
    const { launch_id: launch } = (await res.json()) as { launch_id: string };
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      const visited: string[] = [];
      const consoleErrors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => visited.push(new URL(r.url()).pathname));
      await page.route('**/*', (route) => (route.request().url().startsWith(env.baseUrl) ? route.continue() : route.abort()));
      const iss = encodeURIComponent(`${env.baseUrl}/demo/fhir`);
      await page.goto(`${env.baseUrl}/smart/launch.html?launch=${encodeURIComponent(launch)}&iss=${iss}`, { waitUntil: 'load', timeout: 20_000 });
      await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 20_000 });
      await expect(page.locator('#status').textContent()).resolves.not.toMatch(/fail|not available/i);
      expect(visited).toEqual(expect.arrayContaining(['/demo/fhir/.well-known/smart-configuration', '/demo/fhir/auth/authorize', '/demo/fhir/auth/token']));
      // The card's weight (appContext), not the chart's latest 72 kg: 0.75 × 80 = 60 mg.
      await expect(page.locator('#used-weight').textContent()).resolves.toBe('80 kg');
      await expect(page.locator('[data-day="1"] .mg').textContent()).resolves.toBe('60 mg');
      await expect(page.locator('#data-used').textContent()).resolves.toContain('cop-demo-untreated');
      // need_patient_banner: true in the token answer → name, birth date and sex at the top (issue 13 #6).
      const banner = page.locator('#patient-banner');
      await expect(banner.isVisible()).resolves.toBe(true);
      await expect(banner.textContent()).resolves.toMatch(/born \d{4}-\d{2}-\d{2} · (male|female)/);
      expect(errors).toEqual([]);
      expect(consoleErrors, 'no console error (a missing favicon used to log one)').toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});

// Issue 13 #5: the app inside an EHR's frame. fhirclient keeps the launch state in sessionStorage,
// which Chromium denies to a frame from another site: the app must say so and what to do. The EHR
// page is served from 127.0.0.1 too (a page Chromium deems public may not frame a loopback one at
// all): framing the app as http://127.0.0.1:… is the same site, as http://localhost:… another one.
describe.skipIf(!available)('taper-plan SMART app in an EHR frame', () => {
  const env = useAppInChromium(testConfig({ demoFhir: true, smartApp: { allowHttp: true, frameAncestors: ['http://127.0.0.1:*', 'http://localhost:*'] } }));
  let ehr: Server;
  let ehrPort = 0;
  beforeAll(async () => {
    ehr = createServer((request, response) => {
      const src = new URL(request.url ?? '/', 'http://x').searchParams.get('app') ?? '';
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>EHR</title><iframe id="app" src="${src.replace(/"/g, '&quot;')}" width="900" height="700"></iframe>`);
    });
    await new Promise<void>((resolve) => ehr.listen(0, '127.0.0.1', resolve));
    ehrPort = (ehr.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => ehr.close(() => resolve())));

  async function framed(ehrHost: '127.0.0.1' | 'localhost') {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    // Warnings too: fhirclient warns when a framed app leaves completeInTarget unsaid.
    const consoleProblems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') consoleProblems.push(`${m.type()}: ${m.text()}`); });
    const iss = encodeURIComponent(`${env.baseUrl}/demo/fhir`);
    const app = `${env.baseUrl}/smart/launch.html?iss=${iss}&patient=cop-demo-untreated`;
    await page.goto(`http://${ehrHost}:${ehrPort}/chart?app=${encodeURIComponent(app)}`, { waitUntil: 'load', timeout: 20_000 });
    const frame = page.frameLocator('#app');
    await frame.locator('body[data-state="ready"], body[data-state="error"]').first().waitFor({ timeout: 20_000 });
    return { context, frame, consoleProblems };
  }

  it('framed by an EHR of the same site: launches and renders the plan', async () => {
    const { context, frame, consoleProblems } = await framed('127.0.0.1');
    try {
      await expect(frame.locator('body').getAttribute('data-state')).resolves.toBe('ready');
      await expect(frame.locator('[data-day="1"] .mg').textContent()).resolves.toBe('55 mg');
      expect(consoleProblems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('framed by an EHR of another site: says the browser denies the frame its storage, and to open the app in a tab', async () => {
    const { context, frame } = await framed('localhost');
    try {
      const status = await frame.locator('#status').textContent();
      expect(status).toMatch(/^Launch failed: /);
      expect(status).toContain('open the app in a tab, or serve the EHR and the app from the same site');
    } finally {
      await context.close();
    }
  }, 60_000);
});
