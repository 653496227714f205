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

export class CdsHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly issueCode: IssueCode,
    message: string,
    /** Extra human-readable lines (e.g. one per invalid field). */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends CdsHttpError {
  constructor(message: string, details: string[] = []) {
    super(400, 'invalid', message, details);
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
    super(503, 'transient', message);
  }
}

export function operationOutcome(issueCode: IssueCode, message: string, details: string[] = []): OperationOutcome {
  const severity = issueCode === 'exception' ? 'fatal' : 'error';
  return {
    resourceType: 'OperationOutcome',
    issue: [
      { severity, code: issueCode, diagnostics: message },
      ...details.map((d) => ({ severity, code: issueCode, diagnostics: d }) as const),
    ],
  };
}
