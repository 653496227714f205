/**
 * Which FHIR servers the service may call (R-FRA-05, R-FRA-06). Built once from configuration at
 * start-up. A request whose `fhirServer` is not on the list is refused before any outbound call,
 * so a forged request cannot make the service send a token or a patient query to a host it picks.
 *
 * Matching compares whole normalised base URLs, never prefixes: `https://ehr.example.org.evil.com`,
 * `https://ehr.example.org@evil`, another port and another path are all different servers.
 * Pure: no I/O.
 */
import type { FhirSettings } from './fhir-settings.js';
import { ConfigError } from '../errors.js';

export interface FhirAllowlist {
  /** The normalised base URL when `fhirServer` is an allowed server; undefined when it is not. */
  match(fhirServer: string): string | undefined;
}

function parseUrl(raw: string, base?: string): URL | undefined {
  try {
    return new URL(raw, base);
  } catch {
    return undefined;
  }
}

/**
 * `HTTPS://EHR.Example.org:443/fhir/` → `https://ehr.example.org/fhir`: lower-case scheme and host
 * (WHATWG URL does both), default port dropped, trailing slashes dropped. The path keeps its case,
 * as paths are case-sensitive. Undefined for anything that is not a plain http(s) base: user info,
 * a query or a fragment have no place in a base URL and are the usual disguises of another host.
 */
export function normaliseFhirBase(raw: string): string | undefined {
  const url = parseUrl(raw.trim());
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  if (url.username || url.password || url.search || url.hash || raw.includes('#') || raw.includes('?')) return undefined;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The part of `url` below `base` (`Observation?patient=1&page=2`), or undefined when `url` is not
 * on that base. Used for `next` links, which must stay on the server the request named. A relative
 * link is read against the base; dot segments are resolved first, so `../admin` cannot escape.
 */
export function pathUnderBase(url: string, base: string): string | undefined {
  const normalisedBase = normaliseFhirBase(base);
  if (!normalisedBase) return undefined;
  const baseUrl = new URL(`${normalisedBase}/`);
  const target = parseUrl(url, baseUrl.href);
  if (!target || target.username || target.password) return undefined;
  if (target.protocol !== baseUrl.protocol || target.host !== baseUrl.host) return undefined;
  if (!target.pathname.startsWith(baseUrl.pathname)) return undefined;
  const rest = target.pathname.slice(baseUrl.pathname.length) + target.search;
  return rest.length > 0 ? rest : undefined;
}

/** Shows a configured entry in an error message without any password it may carry. */
function display(raw: string): string {
  const url = parseUrl(raw.trim());
  if (!url || (!url.username && !url.password)) return JSON.stringify(raw);
  url.username = '***';
  url.password = '';
  return JSON.stringify(url.href);
}

const BASE_SHAPE = 'a FHIR base URL is scheme://host[:port][/path] with no user, query or fragment';

/**
 * Builds the allow-list from CDS_FHIR_ALLOWLIST (https only) and CDS_FHIR_ALLOW_HTTP (plain http,
 * local demos only). Throws ConfigError naming every bad entry, so the process does not start with
 * a list that silently allows less, or more, than the operator meant.
 */
export function createFhirAllowlist(fhir: Pick<FhirSettings, 'allowlist' | 'allowHttp'>): FhirAllowlist {
  const problems: string[] = [];
  const allowed = new Set<string>();
  for (const raw of fhir.allowlist) {
    const base = normaliseFhirBase(raw);
    if (!base) problems.push(`CDS_FHIR_ALLOWLIST: ${display(raw)} is not valid; ${BASE_SHAPE}`);
    else if (!base.startsWith('https:')) {
      problems.push(
        `CDS_FHIR_ALLOWLIST: ${display(raw)} is not https. Only https servers belong here; ` +
          'to allow a plain-http server for a local demo, list it in CDS_FHIR_ALLOW_HTTP instead',
      );
    } else allowed.add(base);
  }
  for (const raw of fhir.allowHttp) {
    const base = normaliseFhirBase(raw);
    if (!base) problems.push(`CDS_FHIR_ALLOW_HTTP: ${display(raw)} is not valid; ${BASE_SHAPE}`);
    else if (!base.startsWith('http:')) {
      problems.push(`CDS_FHIR_ALLOW_HTTP: ${display(raw)} is not plain http; list https servers in CDS_FHIR_ALLOWLIST`);
    } else allowed.add(base);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    match(fhirServer) {
      const base = normaliseFhirBase(fhirServer);
      return base !== undefined && allowed.has(base) ? base : undefined;
    },
  };
}
