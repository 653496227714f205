/**
 * Logger options shared by the service: structured pino JSON, and redaction as a second line of
 * defence: code never logs bodies, tokens or patient fields in the first place. Should a body, a
 * resource or a header set ever reach a log call, the fields below (at the top level or one level
 * down) are written as "[redacted]": tokens and credentials, whole request bodies and their parts
 * (context, prefetch, resources), the identifying elements of a FHIR resource (name, identifier,
 * birthDate, address, telecom) and free text (notes, comments, narrative).
 */
import type { LoggerOptions } from 'pino';

/** Request headers that carry credentials. */
const HEADER_PATHS = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'].flatMap((h) => [
  `req.headers["${h}"]`,
  `headers["${h}"]`,
  `*.headers["${h}"]`,
]);

/** Keys whose value is never written, wherever they appear at the top level or one level down. */
const SENSITIVE_KEYS = [
  // tokens and credentials
  'access_token', 'refresh_token', 'id_token', 'token', 'jwt', 'authorization', 'password', 'secret', 'fhirAuthorization',
  // request bodies and their parts
  'body', 'payload', 'context', 'prefetch', 'draftOrders', 'resource', 'resources', 'entry',
  // identifying elements of a patient (FHIR Patient / RelatedPerson / Practitioner)
  'patient', 'patientId', 'name', 'given', 'family', 'identifier', 'birthDate', 'address', 'telecom', 'contact', 'photo',
  // free text
  'userComment', 'note', 'text', 'comment', 'description', 'valueString',
];

export const REDACT_PATHS = [...HEADER_PATHS, ...SENSITIVE_KEYS.flatMap((k) => [k, `*.${k}`])];

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
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'cop-cds-hooks' },
    serializers: { req: serializeRequest },
  };
}
