/**
 * The evidence page is made from the rules' declarations: one section per rule, anchored by its id,
 * listing its thresholds with the configured value, the default and the sign-off flag, and its
 * citations. Every card's `source.url` lands on its rule's section.
 */
import { describe, expect, it } from 'vitest';
import copOrderSelect from '../../hooks/cop-order-select.js';
import copOrderSign from '../../hooks/cop-order-sign.js';
import copPatientView from '../../hooks/cop-patient-view.js';
import { CITATIONS, RULE_IDS } from '../../src/cop/knowledge.js';
import { ALL_RULES } from '../../src/cop/rules/index.js';
import { THRESHOLD_DOCS } from '../../src/cop/threshold-docs.js';
import { renderEvidencePage } from '../../src/evidence-page.js';
import { DEFAULT_THRESHOLDS } from '../../src/cop/knowledge.js';
import { testConfig } from '../fixtures/config.js';
import { orderSelectRequest } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const sections = (html: string): Map<string, string> =>
  new Map([...html.matchAll(/<section id="(COP-R\d\d)">([\s\S]*?)<\/section>/g)].map((m) => [m[1]!, m[2]!]));

describe('evidence page', () => {
  const { http } = useApp({ thresholds: { ...testConfig().thresholds, mgPerKg: 0.6 } });

  it('has one section per rule, with its title, thresholds (configured, default, sign-off) and citations', async () => {
    const res = await http().get('/evidence/cop').expect(200);
    const bySection = sections(res.text);
    expect([...bySection.keys()]).toEqual([...RULE_IDS]);
    const r01 = bySection.get('COP-R01')!;
    expect(r01).toContain('Initial glucocorticoid dose suggestion');
    expect(r01).toMatch(/<code>mgPerKg<\/code><\/td><td>[^<]+<\/td><td>0\.6 \(site value\)<\/td><td>0\.75<\/td>/);
    expect(r01).toMatch(/<code>maxDailyDoseMg<\/code>.*⚠ needs clinical sign-off/);
    expect(r01).toContain(CITATIONS['LAZOR-2000'].url);
    expect(bySection.get('COP-R20')).toContain('at most once per surveillance interval');
  });

  it('a card\'s source.url lands on its rule\'s section', async () => {
    const res = await http().post('/cds-services/cop-order-select').send(orderSelectRequest()).expect(200);
    const page = (await http().get('/evidence/cop')).text;
    expect(res.body.cards.length).toBeGreaterThan(0);
    for (const card of res.body.cards) {
      const anchor = new URL(card.source.url).hash.slice(1);
      expect(anchor).toBe(card.source.topic.code);
      expect(page).toContain(`<section id="${anchor}">`);
    }
  });
});

describe('rule declarations', () => {
  const services = [copOrderSelect, copOrderSign, copPatientView];

  it.each(ALL_RULES.map((r) => [r.id, r] as const))('%s declares the hooks the services run it on, and documented thresholds', (id, rule) => {
    const runOn = services.filter((s) => s.rules.includes(id)).map((s) => s.hook).sort();
    expect([...(rule.hooks ?? [])].sort()).toEqual(runOn);
    expect(rule.title).toBeTruthy();
    expect(rule.purpose).toBeTruthy();
    for (const key of rule.thresholds ?? []) {
      expect(DEFAULT_THRESHOLDS, `${id}: ${key}`).toHaveProperty(key);
      expect(THRESHOLD_DOCS[key], `${id}: ${key} has no meaning documented`).toBeDefined();
    }
  });

  it('every link on the page is a published source or a section of the page itself', () => {
    const html = renderEvidencePage(ALL_RULES, DEFAULT_THRESHOLDS);
    const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(20);
    for (const href of hrefs) {
      if (href.startsWith('#')) expect(ids.has(href.slice(1)), href).toBe(true);
      else expect(new URL(href).hostname, href).not.toMatch(/(^|\.)example\.(org|com)$/);
    }
  });

  it('the page renders without a browser and escapes its text', () => {
    const html = renderEvidencePage([{ ...ALL_RULES[0]!, title: '<b>x</b>' }], DEFAULT_THRESHOLDS);
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});
