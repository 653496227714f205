import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { buildSiteValueSets, codingInValueSet, COP } from './cop/valuesets.js';
import { DEFAULT_SITE_SETTINGS } from './site-config.js';
import { configProblems } from '../test/fixtures/config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cop-cds-site-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function siteFile(content: unknown): string {
  const file = path.join(dir, `site-${++n}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}


const LOCAL = { system: 'https://ehr.example/codes', code: 'COP-LOCAL-1' };

describe('SITE_CONFIG_FILE', () => {
  it('defaults without a file', () => {
    const config = loadConfig({});
    expect(config.site).toEqual(DEFAULT_SITE_SETTINGS);
    expect(config.formulary).toBe('us');
  });

  it('takes formulary, thresholds, local codes, override reasons and locale from the file', () => {
    const file = siteFile({
      formulary: 'uk',
      locale: 'en',
      thresholds: { mgPerKg: 0.6, reviewWeeks: 8 },
      valueSets: { cop: [LOCAL] },
      overrideReasons: { 'COP-R01': [{ code: 'mdt', display: 'Awaiting MDT' }] },
    });
    const config = loadConfig({ SITE_CONFIG_FILE: file });
    expect(config.formulary).toBe('uk');
    expect(config.thresholds.mgPerKg).toBe(0.6);
    expect(config.thresholds.reviewWeeks).toBe(8);
    expect(config.thresholds.maxDailyDoseMg).toBe(60);
    expect(config.site).toEqual({
      file,
      locale: 'en',
      localCodes: { cop: [LOCAL] },
      overrideReasons: { 'COP-R01': [{ code: 'mdt', display: 'Awaiting MDT' }] },
    });
  });

  it('lets environment variables win over the file', () => {
    const file = siteFile({ formulary: 'uk', thresholds: { mgPerKg: 0.6, reviewWeeks: 8 } });
    const config = loadConfig({ SITE_CONFIG_FILE: file, FORMULARY_PROFILE: 'us', COP_MG_PER_KG: '0.9' });
    expect(config.formulary).toBe('us');
    expect(config.thresholds.mgPerKg).toBe(0.9);
    expect(config.thresholds.reviewWeeks).toBe(8);
    // A valid environment value also rescues an out-of-range file value it replaces.
    expect(loadConfig({ SITE_CONFIG_FILE: siteFile({ thresholds: { mgPerKg: 2 } }), COP_MG_PER_KG: '0.5' }).thresholds.mgPerKg).toBe(0.5);
  });

  it('takes the time zone from the file; SITE_TIME_ZONE wins; a bad zone names the file and the field', () => {
    const file = siteFile({ timeZone: 'Pacific/Auckland' });
    expect(loadConfig({ SITE_CONFIG_FILE: file }).siteTimeZone).toBe('Pacific/Auckland');
    expect(loadConfig({ SITE_CONFIG_FILE: file, SITE_TIME_ZONE: 'Europe/London' }).siteTimeZone).toBe('Europe/London');
    expect(loadConfig({ SITE_CONFIG_FILE: siteFile({ formulary: 'uk' }) }).siteTimeZone).toBe('UTC');
    const bad = siteFile({ timeZone: 'Atlantis/Capital' });
    expect(configProblems({ SITE_CONFIG_FILE: bad })).toEqual([expect.stringMatching(/^SITE_CONFIG_FILE \(.*\): timeZone: not an IANA time-zone name/)]);
  });

  it('checks file thresholds against the same ranges, naming the file and the field', () => {
    const file = siteFile({ thresholds: { mgPerKg: 1.5 } });
    expect(configProblems({ SITE_CONFIG_FILE: file })).toEqual([expect.stringMatching(new RegExp(`^SITE_CONFIG_FILE \\(${file.replace(/[.\\]/g, '\\$&')}\\): thresholds\\.mgPerKg:`))]);
    // A bad environment value is still named by its variable.
    expect(configProblems({ SITE_CONFIG_FILE: siteFile({ thresholds: { mgPerKg: 0.6 } }), COP_MG_PER_KG: '3' })[0]).toMatch(/^COP_MG_PER_KG:/);
  });

  it('refuses a bad file with the field named', () => {
    const cases: [unknown, RegExp][] = [
      [{ thresholds: { mgPerKg: '0.6' } }, /thresholds\.mgPerKg: /],
      [{ thresholds: { mgsPerKg: 0.6 } }, /thresholds\.mgsPerKg: /],
      [{ formulary: 'fr' }, /: formulary: /],
      [{ locale: 'fr' }, /: locale: card wording exists only in "en"/],
      [{ overrideReasons: { 'COP-R99': [{ code: 'x', display: 'X' }] } }, /overrideReasons\.COP-R99: unknown rule id/],
      [{ overrideReasons: { 'COP-R02': [{ code: 'x', display: 'X' }] } }, /overrideReasons\.COP-R02: COP-R02 cards offer no override reasons/],
      [{ overrideReasons: { 'COP-R01': [] } }, /overrideReasons\.COP-R01: /],
      [{ overrideReasons: { 'COP-R01': [{ code: 'a', display: 'A' }, { code: 'a', display: 'B' }] } }, /appears twice/],
      [{ valueSets: { cop: [{ system: 'https://ehr.example/codes' }] } }, /valueSets\.cop\.0\.code: /],
      [{ valueSets: { ctd: [LOCAL] } }, /valueSets\.ctd: /],
      [{ valueSets: { cop: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J84.1' }] } }, /never satisfies P-COP/],
      [{ colour: 'blue' }, /: colour: /],
      ['{ not json', /: not valid JSON/],
    ];
    for (const [content, pattern] of cases) {
      const found = configProblems({ SITE_CONFIG_FILE: siteFile(content) });
      expect(found.some((p) => p.startsWith('SITE_CONFIG_FILE (') && pattern.test(p)), `${JSON.stringify(content)} → ${found.join(' | ')}`).toBe(true);
    }
    expect(configProblems({ SITE_CONFIG_FILE: path.join(dir, 'missing.json') })[0]).toMatch(/^SITE_CONFIG_FILE \(.*missing\.json\): cannot read \(ENOENT\)/);
  });

  it('accepts the documented example (examples/site-config.json)', () => {
    const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples/site-config.json');
    const config = loadConfig({ SITE_CONFIG_FILE: example });
    expect(config.site.localCodes.cop?.length).toBeGreaterThan(0);
    expect(config.site.overrideReasons['COP-R01']?.length).toBeGreaterThan(0);
  });
});

describe('local codes in the value sets', () => {
  it('adds local COP codes to the catalogue codes, without changing the shared COP value set', () => {
    const sets = buildSiteValueSets({ cop: [LOCAL, { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'j84.89' }] });
    expect(codingInValueSet(LOCAL, sets.cop)).toBe(true);
    expect(codingInValueSet({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J84.89' }, sets.cop)).toBe(true);
    expect(codingInValueSet({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J84.116' }, sets.cop)).toBe(true);
    expect(codingInValueSet({ system: 'https://other.example/codes', code: LOCAL.code }, sets.cop)).toBe(false);
    expect(codingInValueSet(LOCAL, COP)).toBe(false);
    expect(buildSiteValueSets({}).cop).toBe(COP);
  });
});
