/**
 * One error type per kind of failure, mapped to HTTP in one place (app.ts error handler).
 * Bodies are FHIR OperationOutcomes (the CDS Hooks 3.0 direction, harmless under 2.0); messages
 * are written for the integration engineer reading them and never contain patient data.
 */
import type { OperationOutcome } from 'fhir/r4.js';

export type IssueCode =
  | 'invalid' | 'not-found' | 'not-supported' | 'too-costly' | 'exception' | 'incomplete' | 'security' | 'forbidden' | 'processing'
  | 'login'
  | 'throttled' | 'transient';

/** Start-up refused: one line per problem, each naming the setting and what to do (main.ts prints them, exit 2). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Stable error codes, one per kind of refusal, carried in each OperationOutcome issue's
 * `details.coding` (system ERROR_CODE_SYSTEM) so that an integrator can search for one and a test
 * can pin it, whatever the wording of `diagnostics` (as Fastify's FST_ERR_* or HAPI's Msg.code).
 * Never renamed once released; new kinds get new codes.
 */
export const ERROR_CODES = {
  COP_ERR_INVALID_REQUEST: 'The body, context, prefetch or a FHIR resource in it is not valid where the service reads it (400)',
  COP_ERR_INVALID_JSON: 'The body is not JSON (400)',
  COP_ERR_INVALID_URL: 'The request URL cannot be decoded (400)',
  COP_ERR_DUPLICATE_HEADER: 'Host or Authorization appears more than once (400)',
  COP_ERR_WRONG_HOOK: 'The request names another hook than the service answers (400)',
  COP_ERR_INVALID_FEEDBACK: 'A feedback post is not valid, or holds a value that cannot be stored (400)',
  COP_ERR_AUTH_REQUIRED: 'No valid client JWT for this URL; why is in the log only (401)',
  COP_ERR_FHIR_SERVER_NOT_ALLOWED: 'fhirServer is not on the allow-list (403)',
  COP_ERR_NOT_FOUND: 'No such route, service or demo resource (404)',
  COP_ERR_READ_ONLY: 'The demo FHIR server takes no writes (405)',
  COP_ERR_REQUEST_TIMEOUT: 'The body did not arrive in time (408)',
  COP_ERR_PREFETCH_INCOMPLETE: 'Required FHIR data could not be obtained (412)',
  COP_ERR_TOO_LARGE: 'The body is too large or too deep, or has too long an array (413)',
  COP_ERR_UNSUPPORTED_MEDIA: 'Not uncompressed application/json (415)',
  COP_ERR_CLIENT_ERROR: 'Another client error found by the HTTP layer (4xx)',
  COP_ERR_RATE_LIMITED: 'More requests than RATE_LIMIT_MAX in the window (429)',
  COP_ERR_AUTH_FAILURES_LIMITED: 'Too many failed authentications from this address (429)',
  COP_ERR_OVERLOADED: 'The service is shedding load (event loop, memory or large bodies) (503)',
  COP_ERR_STORE_UNAVAILABLE: 'Feedback not stored: the store cannot be reached (503)',
  COP_ERR_SHARED_STATE_UNAVAILABLE: 'Tokens or request counts cannot be checked: Redis or PostgreSQL away, or the token cache full (503)',
  COP_ERR_INTERNAL: 'An unexpected error; the body carries a correlation id (500)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code system of ERROR_CODES in `issue.details.coding`. */
export const ERROR_CODE_SYSTEM = 'urn:cop-cds-hooks:error-code';

/** The code of an issue when its producer names none: one per FHIR issue type. */
const DEFAULT_CODE: Record<IssueCode, ErrorCode> = {
  invalid: 'COP_ERR_INVALID_REQUEST',
  'not-found': 'COP_ERR_NOT_FOUND',
  'not-supported': 'COP_ERR_UNSUPPORTED_MEDIA',
  'too-costly': 'COP_ERR_TOO_LARGE',
  exception: 'COP_ERR_INTERNAL',
  incomplete: 'COP_ERR_PREFETCH_INCOMPLETE',
  security: 'COP_ERR_AUTH_REQUIRED',
  forbidden: 'COP_ERR_FHIR_SERVER_NOT_ALLOWED',
  processing: 'COP_ERR_CLIENT_ERROR',
  login: 'COP_ERR_AUTH_REQUIRED',
  throttled: 'COP_ERR_RATE_LIMITED',
  transient: 'COP_ERR_OVERLOADED',
};

export class CdsHttpError extends Error {
  readonly errorCode: ErrorCode;

  constructor(
    readonly statusCode: number,
    readonly issueCode: IssueCode,
    message: string,
    /** Extra human-readable lines (e.g. one per invalid field). */
    readonly details: string[] = [],
    errorCode?: ErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
    this.errorCode = errorCode ?? DEFAULT_CODE[issueCode];
  }
}

export class BadRequestError extends CdsHttpError {
  constructor(message: string, details: string[] = [], errorCode: ErrorCode = 'COP_ERR_INVALID_REQUEST') {
    super(400, 'invalid', message, details, errorCode);
  }
}

export class NotFoundError extends CdsHttpError {
  constructor(message: string) {
    super(404, 'not-found', message);
  }
}

/** The request asks for something this service will not do for anyone (e.g. call a FHIR server it was not allowed to). */
export class ForbiddenError extends CdsHttpError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** Required FHIR data could not be obtained (CDS Hooks: SHALL answer 412). */
export class PreconditionFailedError extends CdsHttpError {
  constructor(message: string, details: string[] = []) {
    super(412, 'incomplete', message, details);
  }
}

export class PayloadTooLargeError extends CdsHttpError {
  constructor(message: string) {
    super(413, 'too-costly', message);
  }
}

/** The client sent more requests than RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS (Retry-After says when to retry). */
export class TooManyRequestsError extends CdsHttpError {
  constructor(message: string) {
    super(429, 'throttled', message);
  }
}

/** The service cannot answer now for a reason of its own (a shared store away): 503 with Retry-After. */
export class ServiceUnavailableError extends CdsHttpError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(503, 'transient', message, [], 'COP_ERR_SHARED_STATE_UNAVAILABLE');
  }
}

export function operationOutcome(issueCode: IssueCode, message: string, details: string[] = [], errorCode: ErrorCode = DEFAULT_CODE[issueCode]): OperationOutcome {
  const severity = issueCode === 'exception' ? 'fatal' : 'error';
  const coded = { coding: [{ system: ERROR_CODE_SYSTEM, code: errorCode }] };
  return {
    resourceType: 'OperationOutcome',
    issue: [
      { severity, code: issueCode, details: coded, diagnostics: message },
      ...details.map((d) => ({ severity, code: issueCode, details: coded, diagnostics: d }) as const),
    ],
  };
}
