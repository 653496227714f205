/**
 * Service configuration: one zod schema over environment variables, parsed once at start-up.
 * A bad value stops the process with a message naming the variable (main.ts), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { z } from 'zod';
import { closestThresholdKey, DEFAULT_THRESHOLDS, thresholdsSchema, type ThresholdKey, type Thresholds } from './cop/knowledge.js';
import type { FormularyProfile } from './cop/rule-types.js';
import { assertAuthSettings, authEnabled, loadTrustedClients, type AuthSettings } from './auth/settings.js';
import { DEFAULT_SITE_SETTINGS, loadSiteFile, type SiteFileValues, type SiteSettings } from './site-config.js';
import { canonicalTimeZone, DEFAULT_SITE_TIME_ZONE } from './fhir/dates.js';
import { DEFAULT_POSTGRES_TIMEOUTS, type StoreSettings } from './store/settings.js';
import type { FhirSettings } from './cds/fhir-settings.js';
import type { RedisSettings } from './shared-state/settings.js';

const MiB = 1024 * 1024;

const commaList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** An IANA time-zone name (e.g. Europe/London), turned into its canonical spelling. */
export const timeZoneName = z.string().transform((name, ctx) => {
  const zone = canonicalTimeZone(name);
  if (zone) return zone;
  ctx.addIssue({ code: 'custom', message: `"${name.slice(0, 64)}" is not an IANA time-zone name this runtime knows (e.g. UTC, Europe/London, America/New_York)` });
  return z.NEVER;
});

/** DATABASE_URL must be a PostgreSQL URL; the message never echoes it (it may carry a password). */
function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && (url.hostname !== '' || url.searchParams.has('host'));
  } catch {
    return false;
  }
}
const POSTGRES_URL_HELP =
  'not a PostgreSQL connection string; use postgres://user:password@host:5432/database, or unset DATABASE_URL to use the SQLite file at FEEDBACK_DB_PATH';

/** REDIS_URL: redis:// or rediss:// (TLS); never echoed (it may carry a password). */
function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The placeholder secrets of docker/k8s/secret.example.yaml and the compose files: a deployment that
 * kept one would hash every patient id with a key published in this repository.
 */
const isExampleSecret = (value: string): boolean => /CHANGE-?ME/i.test(value);

/** Secrets that may come from a file (`{NAME}_FILE`, e.g. a mounted Kubernetes Secret or Docker secret). */
export const SECRET_FILE_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'PATIENT_KEY_SECRET'] as const;

/**
 * `{NAME}_FILE` → `{NAME}`: the file's text without its trailing newline. Both set is a mistake (which
 * one wins would be a guess); an unreadable file is named, its content never echoed.
 */
export function readSecretFiles(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; problems: string[] } {
  const out: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_FILE_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    delete out[`${name}_FILE`];
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      out[name] = readFileSync(file, 'utf8').replace(/[\r\n]+$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  }
  return { env: out, problems };
}

const envSchema = z.object({
  /** An empty PORT is refused (it would listen on a random port); 0 asks for any free port on purpose. */
  PORT: z
    .string()
    .regex(/^\s*\d+\s*$/, 'must be a port number (1-65535; 0 for any free port), or unset for 8080')
    .transform(Number)
    .pipe(z.number().int().min(0, 'must be 0-65535').max(65535, 'must be 0-65535'))
    .default(8080),
  /** Default: 127.0.0.1 in development, 0.0.0.0 under NODE_ENV=production (the Docker image sets HOST=0.0.0.0). */
  HOST: z.string().min(1, 'empty; set an address to listen on (0.0.0.0 for every interface), or unset it').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public URL of this service (e.g. https://cds.example.org), used for card source links. */
  PUBLIC_BASE_URL: z.url().optional(),
  /** `us` (default) | `uk`; overrides the site configuration file's `formulary`. */
  FORMULARY_PROFILE: z.enum(['us', 'uk']).optional(),
  /** Path to the site configuration JSON file (src/site-config.ts; examples/site-config.json). */
  SITE_CONFIG_FILE: z.string().min(1).optional(),
  /** The site's time zone (IANA name): "today" and day counts use its calendar date; overrides the site file's `timeZone`. */
  SITE_TIME_ZONE: timeZoneName.optional(),
  MEDICATION_REQUEST_INTENT: z.enum(['order', 'proposal']).default('order'),
  /** A long chart's prefetch runs to megabytes; 5 MB must pass, so the default is 8 MiB. */
  BODY_LIMIT_BYTES: z.coerce.number().int().min(5 * MiB).default(8 * MiB),
  MAX_JSON_DEPTH: z.coerce.number().int().min(16).max(1000).default(64),
  MAX_JSON_ARRAY_LENGTH: z.coerce.number().int().min(100).default(20_000),
  /** Origins allowed by CORS; `*` suits demos (CDS Hooks Sandbox), list origins in production. */
  CORS_ORIGINS: commaList.default(['*']),
  /** Seconds to finish in-flight requests after SIGTERM before exiting. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(10),
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  TRUST_PROXY: booleanString.default(false),
  /** FHIR servers (base URLs, https) the service may call and accept as `fhirServer`. */
  CDS_FHIR_ALLOWLIST: commaList.default([]),
  /** Base URLs explicitly allowed over plain http (local demos only). */
  CDS_FHIR_ALLOW_HTTP: commaList.default([]),
  /** Timeout of one FHIR HTTP call. */
  FHIR_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1500),
  /** Overall time for all FHIR calls of one hook request (fetches and pagination together). */
  FHIR_DEADLINE_MS: z.coerce.number().int().min(100).max(120_000).default(3000),
  /** Most pages followed through `next` links of one search. */
  FHIR_MAX_PAGES: z.coerce.number().int().min(1).max(100).default(5),
  /** Keep-alive connections per FHIR origin. */
  FHIR_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(256).default(16),
  /** Consecutive failures (5xx, timeouts, network errors, garbage) of one FHIR server that open its circuit; 0 = no breaker. */
  FHIR_BREAKER_FAILURES: z.coerce.number().int().min(0).max(1000).default(5),
  /** How long an open circuit fails calls fast before one probe call is let through. */
  FHIR_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Overload (@fastify/under-pressure): answer 503 + Retry-After above this mean event-loop delay; 0 = off. */
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  /** 503 above this heap use (bytes); 0 = off. */
  PRESSURE_MAX_HEAP_USED_BYTES: z.coerce.number().int().min(0).default(0),
  /** 503 above this resident set size (bytes); 0 = off. */
  PRESSURE_MAX_RSS_BYTES: z.coerce.number().int().min(0).default(0),
  /** 503 above this event-loop utilisation (0 < x ≤ 1); 0 = off. */
  PRESSURE_MAX_EVENT_LOOP_UTILIZATION: z.coerce.number().min(0).max(1).default(0),
  /** Retry-After (seconds) of a 503 under pressure. */
  PRESSURE_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  /** Requests per client (JWT issuer when authenticated, else client address) per window; 0 = no limit. */
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(600),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  /** Strict-Transport-Security max-age in seconds; 0 (default) sends no HSTS header (TLS usually ends at a proxy). */
  HSTS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(63_072_000).default(0),
  /** Prometheus metrics at GET /metrics (unauthenticated: keep it on an internal network). */
  METRICS_ENABLED: booleanString.default(true),
  /** Serve /metrics on this port only (same HOST), so the API port and its ingress never expose it; unset: on PORT. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /**
   * Redis shared by the replicas: JWT replay protection, rate limits and failed-authentication
   * counts hold across them (src/shared-state). redis://[user:password@]host:6379[/db], rediss:// for TLS.
   */
  REDIS_URL: z.string().min(1).refine(isRedisUrl, 'not a Redis URL; use redis://[:password@]host:6379 or rediss://… for TLS, or unset REDIS_URL').optional(),
  /** Redis connect and command timeouts: an unreachable Redis costs a call this much, then 503. */
  REDIS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  /** SQLite file for shown cards and feedback (used unless DATABASE_URL is set). */
  FEEDBACK_DB_PATH: z.string().min(1).default('data/cop-cds.sqlite'),
  /** PostgreSQL connection string; when set, the store is PostgreSQL instead of SQLite. */
  DATABASE_URL: z.string().min(1).refine(isPostgresUrl, POSTGRES_URL_HELP).optional(),
  // PostgreSQL timeouts: a stopped or frozen server costs a call its answer time, never a hang.
  // Defaults are below the hook deadline (FHIR_DEADLINE_MS 3000), so a call still answers in time.
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_POSTGRES_TIMEOUTS.connectMs),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_POSTGRES_TIMEOUTS.statementMs),
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_POSTGRES_TIMEOUTS.queryMs),
  /** Secret for hashing patient ids before they are stored (HMAC-SHA256); generated and kept in the store when unset. */
  PATIENT_KEY_SECRET: z
    .string()
    .min(16)
    .refine((v) => !isExampleSecret(v), 'the example value of secret.example.yaml; generate a secret, e.g. openssl rand -base64 32')
    .optional(),
  /** `production` turns client authentication on by default. */
  NODE_ENV: z.string().optional(),
  /** Client authentication (JWT from the EHR): `on` | `off`; unset: on under NODE_ENV=production or with trusted clients. */
  CDS_AUTH: z.enum(['on', 'off']).optional(),
  /** Embedded demo FHIR server at /demo/fhir (synthetic patients): `on` (default) | `off`; always off under NODE_ENV=production. */
  DEMO_FHIR: z.enum(['on', 'off']).optional(),
  /** Trusted CDS Clients as JSON: [{ iss, jwksUrl?, jwks?, jkuAllowlist?, tenants? }] (read by auth/settings.ts). */
  CDS_TRUSTED_CLIENTS: z.string().min(1).optional(),
  /** Or a path to a JSON file with that array. */
  CDS_TRUSTED_CLIENTS_FILE: z.string().min(1).optional(),
  /** Clock skew tolerated on exp and iat. */
  CDS_AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
  /** Longest token lifetime (exp − iat) accepted; also bounds the jti replay cache. */
  CDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(86_400).default(300),
  /** Failed authentications per client address per window before 429 (checked before any signature); 0 = no limit. */
  CDS_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).default(30),
  CDS_AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Whole request (headers and body) must arrive within this; 0 = no limit (not advised). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  /** A request body must arrive within this once its headers are in (answered 408, connection closed). */
  BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Open client connections at most; more are closed at once. 0 = no limit. */
  MAX_CONNECTIONS: z.coerce.number().int().min(0).default(1024),
  /** EHR origins that may show the SMART taper-plan app in a frame (comma-separated); default none. */
  SMART_FRAME_ANCESTORS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every((o) => /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(o)), 'must be origins such as https://ehr.example.org (scheme, host and optional port; comma-separated)'),
  /** Bodies over this many bytes (or chunked) are large: at most MAX_LARGE_BODIES of them are read at once. */
  LARGE_BODY_BYTES: z.coerce.number().int().min(64 * 1024).default(1 * MiB),
  /** Large bodies read and parsed at once; more get 503 + Retry-After. Bounds memory (bench/big-bodies.ts). 0 = no limit. */
  MAX_LARGE_BODIES: z.coerce.number().int().min(0).default(4),
  /** Least time between two refetches of a client's JWKS when a token names an unknown kid. */
  CDS_AUTH_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
});

export interface AppConfig {
  port: number;
  host: string;
  /** True when HOST was set; false when the default for NODE_ENV applied. */
  hostExplicit?: boolean;
  /** Client connection limits (src/app.ts): total request time, body time, open connections (0 = off). */
  connections?: { requestTimeoutMs: number; bodyTimeoutMs: number; maxConnections: number; largeBodyBytes: number; maxLargeBodies: number };
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  publicBaseUrl?: string;
  formulary: FormularyProfile;
  /** IANA time zone whose calendar date is "today" for facts and rules (decision 22; default UTC). */
  siteTimeZone: string;
  medicationRequestIntent: 'order' | 'proposal';
  bodyLimitBytes: number;
  maxJsonDepth: number;
  maxJsonArrayLength: number;
  corsOrigins: string[];
  shutdownGraceSeconds: number;
  trustProxy: boolean;
  fhir: FhirSettings;
  /** @fastify/under-pressure thresholds; 0 turns a check off. */
  pressure: {
    maxEventLoopDelayMs: number;
    maxHeapUsedBytes: number;
    maxRssBytes: number;
    maxEventLoopUtilization: number;
    retryAfterSeconds: number;
  };
  /** Per-client rate limit (max 0 = off). */
  rateLimit: { max: number; windowMs: number };
  hstsMaxAgeSeconds: number;
  /** Serve Prometheus metrics at /metrics. */
  metricsEnabled: boolean;
  /** Serve /metrics on its own listener on this port (not on `port`). */
  metricsPort?: number;
  /** Shared security state across replicas (REDIS_URL); without it, PostgreSQL (replay only) or per process. */
  redis?: RedisSettings;
  store: StoreSettings;
  thresholds: Thresholds;
  /** Site configuration (SITE_CONFIG_FILE): locale, local codes, override reasons. */
  site: SiteSettings;
  /** Client authentication (src/auth). */
  auth: AuthSettings;
  /** Serve the demo FHIR endpoint /demo/fhir (src/demo); never under NODE_ENV=production. */
  demoFhir: boolean;
  /** The SMART app's pages: plain-http servers allowed outside production; EHR origins that may frame it. */
  smartApp: { allowHttp: boolean; frameAncestors: string[] };
}

/** `mgPerKg` → `COP_MG_PER_KG`: the variable that once set a threshold (now refused, naming the key). */
export const thresholdEnvName = (key: string): string =>
  `COP_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

// Defined with the other error kinds; re-exported for the callers of loadConfig.
export { ConfigError };

function describeIssues(error: z.ZodError, nameOf: (path: PropertyKey[]) => string): string[] {
  return error.issues.map((issue) => `${nameOf(issue.path)}: ${issue.message}`);
}

/** COP_* variables that are settings, but not of the service: the CLI launcher (bin/cop-cds.mjs) reads COP_CDS_RUNNER. */
const OTHER_COP_VARIABLES: ReadonlySet<string> = new Set(['COP_CDS_RUNNER']);

/**
 * No COP_* variable configures the service: the clinical thresholds are clinical configuration,
 * reviewed in the site configuration file, not an operations knob. A threshold's old variable is
 * refused with the key to use in the file; any other COP_* name (a misspelling) is refused too,
 * so it is never silently ignored.
 */
export function copVariableProblems(env: NodeJS.ProcessEnv): string[] {
  const keyOf = new Map((Object.keys(thresholdsSchema.shape) as ThresholdKey[]).map((key) => [thresholdEnvName(key), key]));
  const problems: string[] = [];
  for (const name of Object.keys(env).filter((n) => n.startsWith('COP_')).sort()) {
    if (OTHER_COP_VARIABLES.has(name)) continue;
    const key = keyOf.get(name);
    if (key) {
      problems.push(`${name}: clinical thresholds are not read from the environment; put the value in the site configuration file (SITE_CONFIG_FILE) under thresholds.${key}`);
    } else {
      const meant = closestThresholdKey(name.slice('COP_'.length));
      problems.push(
        `${name}: not a setting of this service${meant ? ` (did you mean thresholds.${meant}?)` : ''}; clinical thresholds go in the site configuration file (SITE_CONFIG_FILE) under thresholds.<key>, and no COP_* variable is read`,
      );
    }
  }
  return problems;
}

/** The thresholds: the site file's (checked as a whole there, src/site-config.ts), else the catalog defaults. */
function loadThresholds(site?: SiteFileValues): Thresholds {
  return site?.thresholds ?? DEFAULT_THRESHOLDS;
}

export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): AppConfig {
  const secretFiles = readSecretFiles(rawEnv);
  const env = secretFiles.env;
  const parsed = envSchema.safeParse(env);
  const siteFile = env.SITE_CONFIG_FILE ? loadSiteFile(env.SITE_CONFIG_FILE) : { problems: [] };
  const thresholds = loadThresholds(siteFile.value);
  const trustedClients = loadTrustedClients(env);
  const problems = [
    ...secretFiles.problems,
    ...copVariableProblems(env),
    ...(parsed.success ? [] : describeIssues(parsed.error, (path) => String(path[0] ?? ''))),
    ...siteFile.problems,
    ...trustedClients.problems,
  ];
  if (!parsed.success || !trustedClients.value || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const config: AppConfig = {
    port: e.PORT,
    host: e.HOST ?? (e.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    hostExplicit: e.HOST !== undefined,
    connections: {
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS, bodyTimeoutMs: e.BODY_TIMEOUT_MS, maxConnections: e.MAX_CONNECTIONS,
      largeBodyBytes: e.LARGE_BODY_BYTES, maxLargeBodies: e.MAX_LARGE_BODIES,
    },
    logLevel: e.LOG_LEVEL,
    // Precedence: environment > site file > default.
    formulary: e.FORMULARY_PROFILE ?? siteFile.value?.formulary ?? 'us',
    siteTimeZone: e.SITE_TIME_ZONE ?? siteFile.value?.timeZone ?? DEFAULT_SITE_TIME_ZONE,
    medicationRequestIntent: e.MEDICATION_REQUEST_INTENT,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    maxJsonDepth: e.MAX_JSON_DEPTH,
    maxJsonArrayLength: e.MAX_JSON_ARRAY_LENGTH,
    corsOrigins: e.CORS_ORIGINS,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    trustProxy: e.TRUST_PROXY,
    fhir: {
      allowlist: e.CDS_FHIR_ALLOWLIST,
      allowHttp: e.CDS_FHIR_ALLOW_HTTP,
      requestTimeoutMs: e.FHIR_REQUEST_TIMEOUT_MS,
      deadlineMs: e.FHIR_DEADLINE_MS,
      maxPages: e.FHIR_MAX_PAGES,
      maxConnections: e.FHIR_MAX_CONNECTIONS,
      breakerFailures: e.FHIR_BREAKER_FAILURES,
      breakerCooldownMs: e.FHIR_BREAKER_COOLDOWN_MS,
      callBudget: { maxBytes: e.BODY_LIMIT_BYTES, maxEntries: e.MAX_JSON_ARRAY_LENGTH, maxDepth: e.MAX_JSON_DEPTH },
    },
    pressure: {
      maxEventLoopDelayMs: e.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: e.PRESSURE_MAX_HEAP_USED_BYTES,
      maxRssBytes: e.PRESSURE_MAX_RSS_BYTES,
      maxEventLoopUtilization: e.PRESSURE_MAX_EVENT_LOOP_UTILIZATION,
      retryAfterSeconds: e.PRESSURE_RETRY_AFTER_SECONDS,
    },
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS },
    hstsMaxAgeSeconds: e.HSTS_MAX_AGE_SECONDS,
    metricsEnabled: e.METRICS_ENABLED,
    ...(e.METRICS_PORT !== undefined ? { metricsPort: e.METRICS_PORT } : {}),
    ...(e.REDIS_URL ? { redis: { url: e.REDIS_URL, connectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS } } : {}),
    demoFhir: e.NODE_ENV !== 'production' && e.DEMO_FHIR !== 'off',
    smartApp: { allowHttp: e.NODE_ENV !== 'production', frameAncestors: e.SMART_FRAME_ANCESTORS },
    store: {
      sqlitePath: e.FEEDBACK_DB_PATH,
      ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
      ...(e.PATIENT_KEY_SECRET ? { patientKeySecret: e.PATIENT_KEY_SECRET } : {}),
      postgresTimeouts: { connectMs: e.DATABASE_CONNECT_TIMEOUT_MS, statementMs: e.DATABASE_STATEMENT_TIMEOUT_MS, queryMs: e.DATABASE_QUERY_TIMEOUT_MS },
    },
    thresholds,
    site: siteFile.value?.settings ?? DEFAULT_SITE_SETTINGS,
    auth: {
      enabled: authEnabled(e.CDS_AUTH, e.NODE_ENV, trustedClients.value.length),
      explicit: e.CDS_AUTH !== undefined,
      trustedClients: trustedClients.value,
      clockSkewSeconds: e.CDS_AUTH_CLOCK_SKEW_SECONDS,
      maxTokenLifetimeSeconds: e.CDS_AUTH_MAX_TOKEN_LIFETIME_SECONDS,
      jwksCooldownSeconds: e.CDS_AUTH_JWKS_COOLDOWN_SECONDS,
      failureLimit: e.CDS_AUTH_FAILURE_LIMIT,
      failureWindowSeconds: e.CDS_AUTH_FAILURE_WINDOW_SECONDS,
    },
  };
  if (e.PUBLIC_BASE_URL) config.publicBaseUrl = e.PUBLIC_BASE_URL.replace(/\/+$/, '');
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
    throw new ConfigError([`METRICS_PORT: ${e.METRICS_PORT} is PORT too; give /metrics a port of its own (e.g. 9090), or unset METRICS_PORT to serve it on PORT`]);
  }
  // The only check of the authentication settings: the app takes them as they are.
  assertAuthSettings(config.auth, config.publicBaseUrl);
  return config;
}

/** Configuration for tests and embedding: defaults plus overrides, no environment read. */
export function defaultConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return { ...loadConfig({}), ...overrides };
}
