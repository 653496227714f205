/**
 * Authentication settings as configured (CDS_AUTH, CDS_TRUSTED_CLIENTS[_FILE], CDS_AUTH_*), and
 * the rules that stop start-up: auth on needs trusted clients and PUBLIC_BASE_URL. `loadConfig`
 * checks them, once; what it returns is what the app runs with.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { parseTrustedClients, type TrustedClient } from './trusted-clients.js';

export interface AuthSettings {
  /** Whether every CDS request must carry a valid JWT. */
  enabled: boolean;
  /** True when CDS_AUTH was set; false when the default applied. */
  explicit: boolean;
  trustedClients: TrustedClient[];
  clockSkewSeconds: number;
  /** Longest `exp` − `iat` accepted; also how long a `jti` can be remembered. */
  maxTokenLifetimeSeconds: number;
  /** Least seconds between two refetches of one JWKS on unknown `kid`s. */
  jwksCooldownSeconds: number;
  /** Failed authentications per client address per window before 429, checked before any signature (0 = no limit). */
  failureLimit: number;
  failureWindowSeconds: number;
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  enabled: false,
  explicit: false,
  trustedClients: [],
  clockSkewSeconds: 60,
  maxTokenLifetimeSeconds: 300,
  jwksCooldownSeconds: 30,
  failureLimit: 30,
  failureWindowSeconds: 60,
};

/** Reads the trusted clients from CDS_TRUSTED_CLIENTS (JSON text) or CDS_TRUSTED_CLIENTS_FILE (a JSON file). */
export function loadTrustedClients(env: NodeJS.ProcessEnv): { value?: TrustedClient[]; problems: string[] } {
  const inline = env.CDS_TRUSTED_CLIENTS;
  const file = env.CDS_TRUSTED_CLIENTS_FILE;
  if (inline && file) return { problems: ['CDS_TRUSTED_CLIENTS_FILE: set either CDS_TRUSTED_CLIENTS or CDS_TRUSTED_CLIENTS_FILE, not both'] };
  if (inline) return parseTrustedClients(inline, 'CDS_TRUSTED_CLIENTS');
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      return { problems: [`CDS_TRUSTED_CLIENTS_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`] };
    }
    return parseTrustedClients(text, `CDS_TRUSTED_CLIENTS_FILE (${file})`);
  }
  return { value: [], problems: [] };
}

/** CDS_AUTH when set; else on in production, or when trusted clients are configured. */
export function authEnabled(cdsAuth: 'on' | 'off' | undefined, nodeEnv: string | undefined, clientCount: number): boolean {
  if (cdsAuth) return cdsAuth === 'on';
  return nodeEnv === 'production' || clientCount > 0;
}

/** The start-up problems with these settings (empty when they can run). */
export function authSettingsProblems(settings: AuthSettings, publicBaseUrl: string | undefined): string[] {
  if (!settings.enabled) return [];
  const why = settings.explicit ? 'CDS_AUTH=on' : 'CDS_AUTH unset: on by default under NODE_ENV=production or with trusted clients';
  const problems: string[] = [];
  if (settings.trustedClients.length === 0) {
    problems.push(
      `CDS_TRUSTED_CLIENTS: authentication is on (${why}) but no trusted client is configured; set CDS_TRUSTED_CLIENTS or CDS_TRUSTED_CLIENTS_FILE, or CDS_AUTH=off explicitly`,
    );
  }
  if (!publicBaseUrl) {
    problems.push(`PUBLIC_BASE_URL: required when authentication is on (${why}); a token's aud is compared to it`);
  }
  return problems;
}

/** Throws the ConfigError that stops start-up when authentication is on without what it needs. */
export function assertAuthSettings(settings: AuthSettings, publicBaseUrl: string | undefined): void {
  const problems = authSettingsProblems(settings, publicBaseUrl);
  if (problems.length > 0) throw new ConfigError(problems);
}
