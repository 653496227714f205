import { describe, expect, it } from 'vitest';
import { loadConfig, thresholdEnvName } from './config.js';
import { DEFAULT_THRESHOLDS } from './cop/knowledge.js';
import { configProblems } from '../test/fixtures/config.js';

describe('loadConfig', () => {
  it('has working defaults: port 8080, formulary us, body limit of at least 5 MB', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1'); // development default; 0.0.0.0 under NODE_ENV=production or HOST
    expect(config.formulary).toBe('us');
    expect(config.bodyLimitBytes).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(config.thresholds.mgPerKg).toBe(0.75);
    expect(config.thresholds.maxDailyDoseMg).toBe(60);
  });

  it('reads no threshold from the environment: a COP_* threshold variable is refused, naming its key in the site file', () => {
    expect(thresholdEnvName('mgPerKg')).toBe('COP_MG_PER_KG');
    expect(thresholdEnvName('spo2MinPercent')).toBe('COP_SPO2_MIN_PERCENT');
    for (const [name, key] of [['COP_MG_PER_KG', 'mgPerKg'], ['COP_REVIEW_WEEKS', 'reviewWeeks'], ['COP_OVERRIDE_SUPPRESSION_HOURS', 'overrideSuppressionHours'], ['COP_SURVEILLANCE_INTERVAL_DAYS', 'surveillanceIntervalDays']]) {
      // A valid value, an out-of-range one and an empty one alike: the environment is not the place.
      for (const value of ['0.5', '80', '']) {
        expect(configProblems({ [name!]: value }), `${name}=${value}`).toEqual([
          `${name}: clinical thresholds are not read from the environment; put the value in the site configuration file (SITE_CONFIG_FILE) under thresholds.${key}`,
        ]);
      }
    }
    // The old cross-check gap: min above max is refused as a variable before it could be used.
    expect(configProblems({ COP_MIN_MG_PER_KG: '2', COP_MAX_MG_PER_KG: '1' })).toEqual([
      expect.stringMatching(/^COP_MAX_MG_PER_KG: .*thresholds\.maxMgPerKg$/),
      expect.stringMatching(/^COP_MIN_MG_PER_KG: .*thresholds\.minMgPerKg$/),
    ]);
  });

  it('refuses any other COP_* variable, naming it (a misspelling is never silently ignored)', () => {
    expect(configProblems({ COP_MG_PER_KILO: '1' })).toEqual([
      'COP_MG_PER_KILO: not a setting of this service (did you mean thresholds.mgPerKg?); clinical thresholds go in the site configuration file (SITE_CONFIG_FILE) under thresholds.<key>, and no COP_* variable is read',
    ]);
    expect(configProblems({ COP_COLOUR: 'blue', PORT: '9000' })).toEqual([expect.stringMatching(/^COP_COLOUR: not a setting of this service; /)]);
    // Reported together with the other problems.
    expect(configProblems({ COP_MG_PER_KILO: '1', PORT: 'eighty' }).map((p) => p.split(':')[0])).toEqual(['COP_MG_PER_KILO', 'PORT']);
  });

  it('leaves COP_CDS_RUNNER (read by the CLI launcher, bin/cop-cds.mjs) alone, and defaults without a site file', () => {
    const config = loadConfig({ COP_CDS_RUNNER: 'tsx', PORT: '9000', FORMULARY_PROFILE: 'uk' });
    expect(config.port).toBe(9000);
    expect(config.formulary).toBe('uk');
    expect(config.thresholds).toEqual(DEFAULT_THRESHOLDS);
  });

  it('rejects out-of-range and malformed values, naming the variable', () => {
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

  it('issue 12 #14: refuses an empty PORT and a DATABASE_URL that is not PostgreSQL, naming the variable (never echoing the URL)', () => {
    expect(configProblems({ PORT: '' })).toEqual([expect.stringMatching(/^PORT: must be a port number/)]);
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    for (const url of ['not-a-url', 'mysql://u:s3cret@db:3306/x']) {
      const problems = configProblems({ DATABASE_URL: url });
      expect(problems, url).toEqual([expect.stringMatching(/^DATABASE_URL: not a PostgreSQL connection string; use postgres:\/\//)]);
      expect(problems.join()).not.toContain('s3cret');
    }
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@db.example:5432/cds' }).store.databaseUrl).toBe('postgresql://u:p@db.example:5432/cds');
  });

  it('issue 12 #7: PostgreSQL timeouts default below the hook deadline and are configurable, naming a bad value', () => {
    const defaults = loadConfig({}).store.postgresTimeouts!;
    expect(defaults).toEqual({ connectMs: 1000, statementMs: 1000, queryMs: 1500 });
    expect(Math.max(defaults.connectMs!, defaults.queryMs!)).toBeLessThan(loadConfig({}).fhir.deadlineMs);
    expect(loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '500', DATABASE_STATEMENT_TIMEOUT_MS: '700', DATABASE_QUERY_TIMEOUT_MS: '900' }).store.postgresTimeouts)
      .toEqual({ connectMs: 500, statementMs: 700, queryMs: 900 });
    expect(configProblems({ DATABASE_QUERY_TIMEOUT_MS: '0' })).toEqual([expect.stringMatching(/^DATABASE_QUERY_TIMEOUT_MS: /)]);
  });

  it('issue 12 #15: listens on 127.0.0.1 in development and 0.0.0.0 in production unless HOST is set', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' })).toMatchObject({ host: '0.0.0.0', hostExplicit: true });
    expect(loadConfig({ NODE_ENV: 'production', CDS_AUTH: 'off' })).toMatchObject({ host: '0.0.0.0', hostExplicit: false });
  });
});
