/**
 * What every failed request is answered with: an OperationOutcome, never a stack trace or an
 * internal message. Unknown routes get a 404 naming the method and path; errors a status and text
 * chosen here; real faults a 500 with a correlation id that is also in the log line.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CdsHttpError, operationOutcome, ServiceUnavailableError } from '../errors.js';

/** Longest piece of the request URL echoed in a 404 (the rest is cut). */
export const MAX_ECHOED_URL = 200;

/** The request's path without its query, cut to MAX_ECHOED_URL characters: what a 404 echoes. */
export const echoedPath = (request: FastifyRequest): string => (request.url.split('?')[0] ?? '').slice(0, MAX_ECHOED_URL);

/**
 * What correlates a failed call in the logs and the 5xx body: the hookInstance the client sent
 * (when it looks like an id), else the request id that every log line of the request carries.
 */
function correlationIdOf(request: FastifyRequest): string {
  const body: unknown = request.body;
  const hookInstance = typeof body === 'object' && body !== null ? (body as { hookInstance?: unknown }).hookInstance : undefined;
  return typeof hookInstance === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(hookInstance) ? hookInstance : String(request.id);
}

/** Fastify's own client errors (too large, wrong media type, empty JSON body, …): fixed texts, no internals. */
function clientErrorMessage(error: unknown, status: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof code === 'string' && code.startsWith('FST_') && typeof message === 'string') return message.slice(0, 300);
  if (status === 413) return 'Request body is too large';
  if (status === 415) return 'Unsupported media type; send application/json';
  return 'The request could not be processed';
}

export const errorHandling = fp(
  async (app: FastifyInstance) => {
    app.setNotFoundHandler((request, reply) => {
      void reply.code(404).send(operationOutcome('not-found', `No route ${request.method} ${echoedPath(request)}`));
    });

    // Whatever is thrown (even a non-Error), the answer is an OperationOutcome without stack or internal message.
    app.setErrorHandler((error: FastifyError | CdsHttpError, request, reply) => {
      if (error instanceof ServiceUnavailableError) {
        request.log.warn({ statusCode: 503, reason: error.message }, 'request refused: the service cannot answer now');
        return reply.code(503).header('retry-after', String(error.retryAfterSeconds)).header('cache-control', 'no-store').send(operationOutcome(error.issueCode, error.message, [], error.errorCode));
      }
      if (error instanceof CdsHttpError) {
        request.log.info({ statusCode: error.statusCode, reason: error.message }, 'request rejected');
        return reply.code(error.statusCode).send(operationOutcome(error.issueCode, error.message, error.details, error.errorCode));
      }
      const declared = (error as { statusCode?: unknown } | null)?.statusCode;
      const status = typeof declared === 'number' && Number.isInteger(declared) && declared >= 400 && declared <= 599 ? declared : 500;
      if (status < 500) {
        const code = status === 413 ? 'too-costly' : status === 415 ? 'not-supported' : 'invalid';
        request.log.info({ statusCode: status, code: (error as { code?: unknown } | null)?.code }, 'request rejected');
        return reply.code(status).send(operationOutcome(code, clientErrorMessage(error, status), [], status === 413 ? 'COP_ERR_TOO_LARGE' : status === 415 ? 'COP_ERR_UNSUPPORTED_MEDIA' : (error as { code?: unknown } | null)?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'COP_ERR_INVALID_JSON' : 'COP_ERR_CLIENT_ERROR'));
      }
      const correlationId = correlationIdOf(request);
      request.log.error({ err: error, correlationId }, 'unexpected error');
      return reply
        .code(status)
        .header('x-correlation-id', correlationId)
        .send(operationOutcome('exception', 'Internal error; the request was not evaluated', [`correlation id: ${correlationId}`]));
    });
  },
  { name: 'cop-error-handling', fastify: '5.x' },
);
