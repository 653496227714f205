import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

describe('secrets from files, shared state and the metrics port', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cop-config-'));
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('{NAME}_FILE reads DATABASE_URL, REDIS_URL and PATIENT_KEY_SECRET from files, without the trailing newline', () => {
    const config = loadConfig({
      DATABASE_URL_FILE: file('db', 'postgres://cop:pw@db.internal:5432/cop\n'),
      REDIS_URL_FILE: file('redis', 'rediss://:pw@redis.internal:6380/2\r\n'),
      PATIENT_KEY_SECRET_FILE: file('key', 'a-real-secret-of-32-characters-xx\n'),
    });
    expect(config.store.databaseUrl).toBe('postgres://cop:pw@db.internal:5432/cop');
    expect(config.redis?.url).toBe('rediss://:pw@redis.internal:6380/2');
    expect(config.store.patientKeySecret).toBe('a-real-secret-of-32-characters-xx');
  });

  it('refuses both forms at once, an unreadable file (named, never its content) and a bad URL in a file', () => {
    const secret = file('secret', 'postgres://cop:hunter2@db:5432/cop');
    expect(configProblems({ DATABASE_URL: 'postgres://a@b/c', DATABASE_URL_FILE: secret })).toEqual([
      'DATABASE_URL_FILE: set either DATABASE_URL or DATABASE_URL_FILE, not both',
    ]);
    const missing = path.join(dir, 'absent');
    expect(configProblems({ REDIS_URL_FILE: missing })).toEqual([`REDIS_URL_FILE: cannot read ${missing} (ENOENT)`]);
    const problems = configProblems({ REDIS_URL_FILE: file('bad-redis', 'http://hunter2@redis:6379') });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL: not a Redis URL/);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('refuses the example PATIENT_KEY_SECRET of the deploy files, from the environment or a file', () => {
    const envs: Record<string, string>[] = [{ PATIENT_KEY_SECRET: 'CHANGE-ME-example-only-0123456789' }, { PATIENT_KEY_SECRET_FILE: file('example', 'CHANGE-ME-example-only-0123456789\n') }];
    for (const env of envs) {
      expect(configProblems(env)).toEqual([expect.stringMatching(/^PATIENT_KEY_SECRET: the example value of secret\.example\.yaml; generate a secret/)]);
    }
  });

  it('REDIS_URL: redis:// and rediss:// with timeouts; other schemes refused', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({ url: 'redis://127.0.0.1:6379', connectTimeoutMs: 2000, commandTimeoutMs: 500 });
    expect(loadConfig({}).redis).toBeUndefined();
    expect(configProblems({ REDIS_URL: 'redis-cluster.internal:6379' })[0]).toMatch(/^REDIS_URL: not a Redis URL/);
  });

  it('METRICS_PORT: a port of its own, never PORT', () => {
    expect(loadConfig({ METRICS_PORT: '9090' }).metricsPort).toBe(9090);
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(configProblems({ METRICS_PORT: '8080' })).toEqual([expect.stringMatching(/^METRICS_PORT: 8080 is PORT too/)]);
    expect(configProblems({ METRICS_PORT: '70000' })[0]).toMatch(/^METRICS_PORT:/);
  });
});
