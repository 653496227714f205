/**
 * Thresholds from the site configuration file reach the rules: a config loaded from a
 * SITE_CONFIG_FILE with `thresholds.mgPerKg: 0.5` makes COP-R01 suggest 30 mg for the 60 kg
 * patient (45 mg at the 0.75 default), through buildApp like the service.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { orderSelectRequest } from '../fixtures/requests.js';
import { cardFor, expectWellFormed, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cop-cds-site-thresholds-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'site.json');
writeFileSync(file, JSON.stringify({ thresholds: { mgPerKg: 0.5, minMgPerKg: 0.4, maxMgPerKg: 0.9 } }));
const { thresholds, site } = loadConfig({ SITE_CONFIG_FILE: file });

const SELECT = '/cds-services/cop-order-select';

describe('site thresholds over HTTP', () => {
  const withSite = useApp({ thresholds, site });
  const without = useApp();

  async function r01(http: ReturnType<typeof withSite.http>): Promise<WireCard> {
    const res = await http.post(SELECT).send(orderSelectRequest({})).expect(200);
    expectWellFormed(res.body);
    return cardFor(res.body, 'COP-R01');
  }

  it('the file loads with its values over the defaults', () => {
    expect(thresholds).toMatchObject({ mgPerKg: 0.5, minMgPerKg: 0.4, maxMgPerKg: 0.9, maxDailyDoseMg: 60 });
  });

  it('COP-R01 suggests 30 mg for 60 kg at 0.5 mg/kg from the site file (45 mg at the default)', async () => {
    const card = await r01(withSite.http());
    expect(card.summary).toMatch(/\b30 mg\b/);
    expect(card.summary).not.toMatch(/\b45 mg\b/);
    expect(JSON.stringify(card.suggestions)).toMatch(/\b30 mg\b|"value":30\b/);
    expect(card.detail).toMatch(/0\.4.{0,3}0\.9 mg\/kg/);
    expect((await r01(without.http())).summary).toMatch(/\b45 mg\b/);
  });
});
