import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { buildTerminology, codingInValueSet, COP } from './cop/valuesets.js';
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

  it('lets FORMULARY_PROFILE win over the file; thresholds come from the file only', () => {
    const file = siteFile({ formulary: 'uk', thresholds: { mgPerKg: 0.6, reviewWeeks: 8 } });
    const config = loadConfig({ SITE_CONFIG_FILE: file, FORMULARY_PROFILE: 'us' });
    expect(config.formulary).toBe('us');
    expect(config.thresholds.mgPerKg).toBe(0.6);
    // A COP_* variable no longer overrides (or rescues) a file value: it stops start-up.
    expect(configProblems({ SITE_CONFIG_FILE: file, COP_MG_PER_KG: '0.9' })).toEqual([expect.stringMatching(/^COP_MG_PER_KG: .*under thresholds\.mgPerKg$/)]);
  });

  it('takes the time zone from the file; SITE_TIME_ZONE wins; a bad zone names the file and the field', () => {
    const file = siteFile({ timeZone: 'Pacific/Auckland' });
    expect(loadConfig({ SITE_CONFIG_FILE: file }).siteTimeZone).toBe('Pacific/Auckland');
    expect(loadConfig({ SITE_CONFIG_FILE: file, SITE_TIME_ZONE: 'Europe/London' }).siteTimeZone).toBe('Europe/London');
    expect(loadConfig({ SITE_CONFIG_FILE: siteFile({ formulary: 'uk' }) }).siteTimeZone).toBe('UTC');
    const bad = siteFile({ timeZone: 'Atlantis/Capital' });
    expect(configProblems({ SITE_CONFIG_FILE: bad })).toEqual([expect.stringMatching(/^SITE_CONFIG_FILE \(.*\): timeZone: not an IANA time-zone name/)]);
  });

  it('checks file thresholds against their ranges, naming the file and the field', () => {
    const file = siteFile({ thresholds: { mgPerKg: 1.5 } });
    expect(configProblems({ SITE_CONFIG_FILE: file })).toEqual([expect.stringMatching(new RegExp(`^SITE_CONFIG_FILE \\(${file.replace(/[.\\]/g, '\\$&')}\\): thresholds\\.mgPerKg:`))]);
  });

  it('refuses an unknown threshold key, naming the key and the file, with the key it likely meant', () => {
    const file = siteFile({ thresholds: { mgPerKilo: 0.6 } });
    expect(configProblems({ SITE_CONFIG_FILE: file })).toEqual([
      `SITE_CONFIG_FILE (${file}): thresholds.mgPerKilo: not a threshold (did you mean mgPerKg?); the keys are those of thresholdsSchema (src/cop/knowledge.ts, README "Clinical thresholds")`,
    ]);
    // Reported together with a problem elsewhere in the file.
    const both = configProblems({ SITE_CONFIG_FILE: siteFile({ colour: 'blue', thresholds: { zzz: 1 } }) });
    expect(both).toEqual([expect.stringMatching(/: colour: /), expect.stringMatching(/: thresholds\.zzz: not a threshold;/)]);
  });

  it('refuses thresholds that contradict each other, naming the file, the keys and which side is the default', () => {
    const refused = (thresholds: Record<string, number>): string[] => configProblems({ SITE_CONFIG_FILE: siteFile({ thresholds }) });
    const minAboveMax = refused({ minMgPerKg: 2, maxMgPerKg: 1 });
    expect(minAboveMax[0]).toMatch(/^SITE_CONFIG_FILE \(.*\): thresholds\.minMgPerKg: minMgPerKg \(2\) must be at most maxMgPerKg \(1\)/);
    expect(minAboveMax.join('\n')).toContain('minMgPerKg (2) must be at most mgPerKg (0.75, the default)');
    // The key the file set is the one named, even when it is the upper side of the pair.
    expect(refused({ maxMgPerKg: 0.6 })).toEqual([expect.stringMatching(/: thresholds\.maxMgPerKg: mgPerKg \(0\.75, the default\) must be at most maxMgPerKg \(0\.6\)/)]);
    const cases: [Record<string, number>, RegExp][] = [
      [{ weightFreshDays: 100 }, /thresholds\.weightFreshDays: weightFreshDays \(100\) must be at most weightStaleMaxDays \(90, the default\)/],
      [{ weightFreshDaysInpatient: 45 }, /thresholds\.weightFreshDaysInpatient: .* must be at most weightFreshDays/],
      [{ weightMinKg: 250 }, /thresholds\.weightMinKg: weightMinKg \(250\) must be below weightMaxKg/],
      [{ initialPhaseDays: 56, maxInitialPhaseWeeks: 6 }, /thresholds\.initialPhaseDays: .*COP-R05 would flag/],
      [{ doseRoundingMg: 70, maxDailyDoseMg: 60 }, /thresholds\.doseRoundingMg: .*0 mg/],
      [{ pulseMinPredEqMgPerDay: 50 }, /thresholds\.pulseMinPredEqMgPerDay: maxDailyDoseMg \(60, the default\) must be below pulseMinPredEqMgPerDay \(50\)/],
      [{ childbearingAgeMin: 60 }, /thresholds\.childbearingAgeMin: .* must be below childbearingAgeMax/],
      [{ adrenalLowDoseMgPerDay: 45 }, /thresholds\.adrenalLowDoseMgPerDay: .*NatPSA-2020/],
      [{ adrenalHighDoseWeeks: 6 }, /thresholds\.adrenalHighDoseWeeks: .* must be at most adrenalLowDoseWeeks/],
      [{ poorResponseMinMgPerKg: 1.2 }, /thresholds\.poorResponseMinMgPerKg: .*COP-R16/],
      [{ lowBodyWeightKg: 300 }, /thresholds\.lowBodyWeightKg: /],
      [{ pao2MinKPa: 9 }, /thresholds\.pao2MinKPa: pao2MinMmHg \(60, the default\) and pao2MinKPa \(9\) are one cut-off in two units/],
      [{ glucoseHighMgPerDl: 250 }, /thresholds\.glucoseHighMgPerDl: .*mmol\/L/],
      [{ hba1cHighPercent: 7 }, /thresholds\.hba1cHighPercent: /],
    ];
    for (const [thresholds, pattern] of cases) {
      const found = refused(thresholds);
      expect(found.some((p) => pattern.test(p)), `${JSON.stringify(thresholds)} → ${found.join(' | ')}`).toBe(true);
    }
    // Both units changed together, and a consistent set of windows, are accepted.
    const ok = loadConfig({ SITE_CONFIG_FILE: siteFile({ thresholds: { pao2MinMmHg: 67.5, pao2MinKPa: 9, weightFreshDays: 100, weightStaleMaxDays: 120, initialPhaseDays: 42 } }) });
    expect(ok.thresholds).toMatchObject({ pao2MinKPa: 9, weightFreshDays: 100, initialPhaseDays: 42 });
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
      [{ valueSets: { cop: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J84.1' }] } }, /never counts as a COP diagnosis/],
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
    const sets = buildTerminology({ cop: [LOCAL, { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'j84.89' }] });
    expect(codingInValueSet(LOCAL, sets.cop)).toBe(true);
    expect(codingInValueSet({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J84.89' }, sets.cop)).toBe(true);
    expect(codingInValueSet({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J84.116' }, sets.cop)).toBe(true);
    expect(codingInValueSet({ system: 'https://other.example/codes', code: LOCAL.code }, sets.cop)).toBe(false);
    expect(codingInValueSet(LOCAL, COP)).toBe(false);
    expect(buildTerminology({}).cop).toBe(COP);
  });
});
