/**
 * Service configuration: one zod schema over environment variables, parsed once at start-up.
 * A bad value stops the process with a message naming the variable (main.ts), never a stack trace.
 */
import { z } from 'zod';
import { thresholdsSchema, type Thresholds } from './cop/knowledge.js';
import type { FormularyProfile } from './cop/rule-types.js';

const MiB = 1024 * 1024;

const commaList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public URL of this service (e.g. https://cds.example.org), used for card source links. */
  PUBLIC_BASE_URL: z.url().optional(),
  FORMULARY_PROFILE: z.enum(['us', 'uk']).default('us'),
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
  /** SQLite file for shown cards and feedback (used unless DATABASE_URL is set). */
  FEEDBACK_DB_PATH: z.string().min(1).default('data/cop-cds.sqlite'),
  /** PostgreSQL connection string; when set, the store is PostgreSQL instead of SQLite. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Secret for hashing patient ids before they are stored (HMAC-SHA256); generated and kept in the store when unset. */
  PATIENT_KEY_SECRET: z.string().min(16).optional(),
});

export interface AppConfig {
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  publicBaseUrl?: string;
  formulary: FormularyProfile;
  medicationRequestIntent: 'order' | 'proposal';
  bodyLimitBytes: number;
  maxJsonDepth: number;
  maxJsonArrayLength: number;
  corsOrigins: string[];
  shutdownGraceSeconds: number;
  trustProxy: boolean;
  fhir: {
    allowlist: string[];
    allowHttp: string[];
    requestTimeoutMs: number;
    deadlineMs: number;
    maxPages: number;
    maxConnections: number;
  };
  store: {
    sqlitePath: string;
    databaseUrl?: string;
    patientKeySecret?: string;
  };
  thresholds: Thresholds;
}

/** `mgPerKg` → `COP_MG_PER_KG`. */
export const thresholdEnvName = (key: string): string =>
  `COP_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeIssues(error: z.ZodError, nameOf: (path: PropertyKey[]) => string): string[] {
  return error.issues.map((issue) => `${nameOf(issue.path)}: ${issue.message}`);
}

/** Reads the thresholds from COP_* variables; unset ones keep their catalog defaults. */
function loadThresholds(env: NodeJS.ProcessEnv): { value?: Thresholds; problems: string[] } {
  const raw: Record<string, number | string> = {};
  for (const key of Object.keys(thresholdsSchema.shape)) {
    const text = env[thresholdEnvName(key)];
    if (text === undefined || text === '') continue;
    const n = Number(text);
    raw[key] = Number.isFinite(n) ? n : text;
  }
  const parsed = thresholdsSchema.safeParse(raw);
  if (parsed.success) return { value: parsed.data, problems: [] };
  return { problems: describeIssues(parsed.error, (path) => thresholdEnvName(String(path[0] ?? ''))) };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  const thresholds = loadThresholds(env);
  const problems = [
    ...(parsed.success ? [] : describeIssues(parsed.error, (path) => String(path[0] ?? ''))),
    ...thresholds.problems,
  ];
  if (!parsed.success || !thresholds.value || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const config: AppConfig = {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    formulary: e.FORMULARY_PROFILE,
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
    },
    store: {
      sqlitePath: e.FEEDBACK_DB_PATH,
      ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
      ...(e.PATIENT_KEY_SECRET ? { patientKeySecret: e.PATIENT_KEY_SECRET } : {}),
    },
    thresholds: thresholds.value,
  };
  if (e.PUBLIC_BASE_URL) config.publicBaseUrl = e.PUBLIC_BASE_URL.replace(/\/+$/, '');
  return config;
}

/** Configuration for tests and embedding: defaults plus overrides, no environment read. */
export function defaultConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return { ...loadConfig({}), ...overrides };
}
