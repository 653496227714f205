/**
 * Site configuration end to end: a config loaded from a SITE_CONFIG_FILE reaches fact extraction
 * (local COP codes) and the cards (override reasons) through buildApp.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { OVERRIDE_REASON_SYSTEM } from '../../src/cop/cards.js';
import { copCondition, orderSelectRequest, searchset } from '../fixtures/requests.js';
import { cardFor, expectWellFormed, ruleIds, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const LOCAL_COP = { system: 'https://ehr.example-hospital.org/fhir/CodeSystem/problem-list', code: 'PL-40213' };
const SITE_REASONS = [
  { code: 'mdt-review-pending', display: 'Awaiting ILD multidisciplinary review' },
  { code: 'specialist-plan', display: 'Respiratory team regimen in place' },
];

const dir = mkdtempSync(path.join(tmpdir(), 'cop-cds-site-http-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'site.json');
writeFileSync(file, JSON.stringify({ valueSets: { cop: [LOCAL_COP] }, overrideReasons: { 'COP-R01': SITE_REASONS } }));
const site = loadConfig({ SITE_CONFIG_FILE: file }).site;

const SELECT = '/cds-services/cop-order-select';
const localOnly = { prefetch: { conditions: searchset(copCondition(LOCAL_COP)) } };

describe('site configuration over HTTP', () => {
  const withSite = useApp({ site });
  const without = useApp();

  async function select(http: ReturnType<typeof withSite.http>, options: Parameters<typeof orderSelectRequest>[0]): Promise<{ cards: WireCard[] }> {
    const res = await http.post(SELECT).send(orderSelectRequest(options)).expect(200);
    expectWellFormed(res.body);
    return res.body;
  }

  it('a Condition coded only with a local COP code satisfies P-COP (order-select gives COP-R01)', async () => {
    const body = await select(withSite.http(), localOnly);
    expect(ruleIds(body)).toContain('COP-R01');
    expect(cardFor(body, 'COP-R01').summary).toMatch(/45 mg/);
  });

  it('without the site file the same chart has no COP diagnosis', async () => {
    expect(ruleIds(await select(without.http(), localOnly))).not.toContain('COP-R01');
  });

  it('shows the site override reasons on the COP-R01 card, and the built-in ones without a site list', async () => {
    const r01 = cardFor(await select(withSite.http(), {}), 'COP-R01');
    expect(r01.overrideReasons).toEqual(SITE_REASONS.map((r) => ({ system: OVERRIDE_REASON_SYSTEM, ...r })));
    const builtIn = cardFor(await select(without.http(), {}), 'COP-R01');
    expect(builtIn.overrideReasons!.map((r: { code: string }) => r.code)).toEqual(['specialist-plan', 'observation-mild']);
  });
});
