/**
 * Logger options shared by the service: structured pino JSON, and redaction as a second line of
 * defence: code never logs bodies, tokens or patient fields in the first place. Should a body, a
 * resource or a header set ever reach a log call, the fields below (at the top level or one level
 * down) are written as "[redacted]": tokens and credentials, whole request bodies and their parts
 * (context, prefetch, resources), the identifying elements of a FHIR resource (name, identifier,
 * birthDate, address, telecom) and free text (notes, comments, narrative).
 *
 * Log lines are scrubbed by a key lookup per field (`scrubLogFields`, pino's `formatters.log`, and the
 * error serializer's output). pino's `redact` keeps only the top-level keys, which is what reaches
 * child-logger bindings (pino gives children no formatter). Wildcard redact paths (`*.name`) were
 * dropped after profiling: with one, pino re-parses all ~90 paths for every field of every line
 * (about 80 KB of garbage and 30 µs of CPU per line, a fifth of what a typical call allocated),
 * while the key lookup allocates nothing unless it censors something.
 */
import { stdSerializers, type LoggerOptions } from 'pino';

/** Request headers that carry credentials (under `headers`, at the top level or one level down). */
const SENSITIVE_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key']);

/** Keys whose value is never written, wherever they appear at the top level or one level down. */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  // tokens and credentials
  'access_token', 'refresh_token', 'id_token', 'token', 'jwt', 'authorization', 'password', 'secret', 'fhirAuthorization',
  // request bodies and their parts
  'body', 'payload', 'context', 'prefetch', 'draftOrders', 'resource', 'resources', 'entry',
  // identifying elements of a patient (FHIR Patient / RelatedPerson / Practitioner)
  'patient', 'patientId', 'name', 'given', 'family', 'identifier', 'birthDate', 'address', 'telecom', 'contact', 'photo',
  // free text
  'userComment', 'note', 'text', 'comment', 'description', 'valueString',
]);

export const CENSOR = '[redacted]';

type Fields = Record<string, unknown>;

/** Only plain objects are looked into: class instances (requests, errors) go through serializers. */
function isPlainObject(value: unknown): value is Fields {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function scrubHeaders(headers: Fields): Fields {
  let out: Fields | undefined;
  for (const name of Object.keys(headers)) {
    if (SENSITIVE_HEADERS.has(name.toLowerCase()) && headers[name] !== undefined) {
      out ??= { ...headers };
      out[name] = CENSOR;
    }
  }
  return out ?? headers;
}

/**
 * The fields of a log line with every sensitive key (top level and one level down) censored. The
 * input is never modified: a copy is made only when something is censored, else the same object
 * comes back.
 */
export function scrubLogFields(fields: Fields, depth = 0): Fields {
  let out: Fields | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) continue;
    let next = value;
    if (SENSITIVE_KEYS.has(key)) next = CENSOR;
    else if (key === 'headers' && isPlainObject(value)) next = scrubHeaders(value);
    else if (depth === 0 && isPlainObject(value)) next = scrubLogFields(value, 1);
    if (next !== value) {
      out ??= { ...fields };
      out[key] = next;
    }
  }
  return out ?? fields;
}

/** The request as logged: method and path only (a query string can carry anything). */
function serializeRequest(req: { method?: string; url?: string; ip?: string; id?: unknown }): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? req.url.split('?')[0]!.slice(0, 200) : undefined,
    remoteAddress: req.ip,
  };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'cop-cds-hooks' },
    formatters: { log: scrubLogFields },
    // Top-level keys only: no wildcard, so pino calls the redactor only when such a key is present.
    redact: { paths: [...SENSITIVE_KEYS, ...[...SENSITIVE_HEADERS].map((h) => `headers["${h}"]`)], censor: CENSOR },
    serializers: { req: serializeRequest, err: (err: Error) => scrubLogFields(stdSerializers.err(err) as unknown as Fields) },
  };
}
