import { describe, expect, it } from 'vitest';
import { loadConfig, thresholdEnvName } from './config.js';
import { configProblems } from '../test/fixtures/config.js';

describe('loadConfig', () => {
  it('has working defaults: port 8080, formulary us, body limit of at least 5 MB', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.formulary).toBe('us');
    expect(config.bodyLimitBytes).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(config.thresholds.mgPerKg).toBe(0.75);
    expect(config.thresholds.maxDailyDoseMg).toBe(60);
  });

  it('reads thresholds from COP_* variables', () => {
    expect(thresholdEnvName('mgPerKg')).toBe('COP_MG_PER_KG');
    expect(thresholdEnvName('spo2MinPercent')).toBe('COP_SPO2_MIN_PERCENT');
    const config = loadConfig({ COP_MG_PER_KG: '0.5', COP_REVIEW_WEEKS: '8', PORT: '9000', FORMULARY_PROFILE: 'uk' });
    expect(config.thresholds.mgPerKg).toBe(0.5);
    expect(config.thresholds.reviewWeeks).toBe(8);
    expect(config.port).toBe(9000);
    expect(config.formulary).toBe('uk');
  });

  it('rejects out-of-range and malformed values, naming the variable', () => {
    expect(configProblems({ COP_MG_PER_KG: '1.01' })[0]).toMatch(/^COP_MG_PER_KG:/);
    expect(configProblems({ COP_MAX_DAILY_DOSE_MG: '80' })[0]).toMatch(/^COP_MAX_DAILY_DOSE_MG:/);
    expect(configProblems({ COP_MG_PER_KG: 'lots' })[0]).toMatch(/^COP_MG_PER_KG:/);
    expect(configProblems({ PORT: 'eighty' })[0]).toMatch(/^PORT:/);
    expect(configProblems({ FORMULARY_PROFILE: 'fr' })[0]).toMatch(/^FORMULARY_PROFILE:/);
    expect(configProblems({ BODY_LIMIT_BYTES: '1000' })[0]).toMatch(/^BODY_LIMIT_BYTES:/);
  });

  it('reads SITE_TIME_ZONE (IANA name, default UTC) and refuses a zone it does not know, naming the variable', () => {
    expect(loadConfig({}).siteTimeZone).toBe('UTC');
    expect(loadConfig({ SITE_TIME_ZONE: 'America/New_York' }).siteTimeZone).toBe('America/New_York');
    expect(loadConfig({ SITE_TIME_ZONE: 'europe/london' }).siteTimeZone).toBe('Europe/London');
    for (const bad of ['Mars/Olympus_Mons', '+05:00', 'EST5EDT; rm', '']) {
      expect(configProblems({ SITE_TIME_ZONE: bad }), bad).toEqual([expect.stringMatching(/^SITE_TIME_ZONE: .*not an IANA time-zone name/)]);
    }
  });

  it('splits CORS_ORIGINS and trims PUBLIC_BASE_URL', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example', PUBLIC_BASE_URL: 'https://cds.example/' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.publicBaseUrl).toBe('https://cds.example');
  });
});
