/**
 * The evidence page in headless Chromium, as a clinician reaches it from a card: every
 * `/evidence/cop#…` link that the project's own cards carry (the card corpus: source URLs and links) opens a section that
 * exists, is scrolled into view and has visible text, under the page's strict CSP with no console
 * error. Skipped without a chromium binary unless REQUIRE_BROWSER_TESTS=1 (CI), as the taper-app test.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { collectCorpus } from '../fixtures/card-corpus.js';
import { chromiumAvailable, useAppInChromium } from '../fixtures/browser.js';
import { testConfig } from '../fixtures/config.js';


describe.skipIf(!chromiumAvailable)('evidence page in headless Chromium', () => {
  const env = useAppInChromium(testConfig());
  let fragments: string[];

  beforeAll(async () => {
    const cards = await collectCorpus();
    const urls = cards.flatMap((c) => [c.card.source.url ?? '', ...(c.card.links ?? []).map((l) => l.url ?? '')]);
    fragments = [...new Set(urls.filter((u) => u.includes('/evidence/cop#')).map((u) => u.split('#')[1]!))].sort();
  }, 120_000);

  it('opens each section a card links to, in view, with its text', async () => {
    // Every rule's own section, and the service's own notes (steroid side effects, follow-up, pregnancy).
    expect(fragments).toEqual(expect.arrayContaining(['COP-R01', 'COP-R06', 'COP-R19', 'steroid-side-effects']));
    const context = await env.browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.route('**/*', (route) => (route.request().url().startsWith(env.baseUrl) ? route.continue() : route.abort()));
      for (const fragment of fragments) {
        await page.goto(`${env.baseUrl}/evidence/cop#${fragment}`, { waitUntil: 'load', timeout: 20_000 });
        const target = page.locator(':target');
        await expect(target.count(), `#${fragment} is not an element of the page`).resolves.toBe(1);
        // A rule's section (<section id>) or a note's heading (<h2 id>): either way it starts with a heading.
        const heading = (await target.evaluate((el) => el.tagName)) === 'H2' ? target : target.locator('h2').first();
        const text = (await heading.textContent()) ?? '';
        expect(text.length, `#${fragment} has no heading`).toBeGreaterThan(5);
        if (fragment.startsWith('COP-R')) expect(text).toMatch(new RegExp(`^${fragment}: `));
        // boundingBox is relative to the viewport: the browser scrolled the section into view.
        const box = await heading.boundingBox();
        expect(box, `#${fragment} is not rendered`).not.toBeNull();
        expect(box!.y, `#${fragment} is not scrolled into view`).toBeGreaterThanOrEqual(-1);
        expect(box!.y).toBeLessThan(700);
      }
      expect(problems).toEqual([]); // no CSP violation
    } finally {
      await context.close();
    }
  }, 120_000);
});
