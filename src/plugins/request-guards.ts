/**
 * Checks on the connection and the request before any route runs: duplicate Host/Authorization →
 * 400; a compressed body (Content-Encoding other than identity) → 415, since bodies are read as
 * plain JSON; a body that does not arrive within BODY_TIMEOUT_MS → 408; at most MAX_LARGE_BODIES
 * large bodies read at once (src/large-bodies.ts); an answer sent before its request body was read
 * (e.g. a 401) closes the connection, so a client trickling a body is not kept; at most
 * MAX_CONNECTIONS open connections.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CdsHttpError, operationOutcome } from '../errors.js';
import { registerLargeBodyGate } from '../large-bodies.js';

export interface RequestGuardOptions {
  /** BODY_TIMEOUT_MS: the body must arrive within this once the headers are in. */
  bodyTimeoutMs: number;
  /** MAX_CONNECTIONS; 0 = no limit. */
  maxConnections: number;
  /** LARGE_BODY_BYTES and MAX_LARGE_BODIES (0 = no limit). */
  largeBodyBytes: number;
  maxLargeBodies: number;
  /** Retry-After of a large body refused for want of a slot. */
  retryAfterSeconds: number;
}

/** Header fields that must appear once: a second Host is ambiguous (RFC 9112 §3.2), a second Authorization too. */
const SINGLE_HEADERS = ['host', 'authorization'];

function duplicatedHeader(rawHeaders: string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLE_HEADERS.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

export const requestGuards = fp<RequestGuardOptions>(
  async (app: FastifyInstance, options) => {
    if (options.maxConnections > 0) app.server.maxConnections = options.maxConnections;
    app.server.on('drop', (data?: { remoteAddress?: string }) => {
      app.log.warn({ maxConnections: options.maxConnections, remoteAddress: data?.remoteAddress }, 'connection refused: MAX_CONNECTIONS open connections');
    });

    app.addHook('onRequest', async (request, reply) => {
      const duplicate = duplicatedHeader(request.raw.rawHeaders);
      if (duplicate) {
        request.log.info({ statusCode: 400, header: duplicate }, 'request rejected: duplicate header');
        return reply
          .code(400)
          .header('connection', 'close')
          .send(operationOutcome('invalid', `The ${duplicate === 'host' ? 'Host' : 'Authorization'} header must appear once`, [], 'COP_ERR_DUPLICATE_HEADER'));
      }
      const encoding = request.headers['content-encoding'];
      if (encoding !== undefined && hasBody(request) && String(encoding).trim().toLowerCase() !== 'identity') {
        request.log.info({ statusCode: 415, contentEncoding: String(encoding).slice(0, 40) }, 'request rejected: compressed body');
        return reply
          .code(415)
          .header('connection', 'close')
          .send(operationOutcome('not-supported', 'Content-Encoding is not supported; send the JSON body uncompressed'));
      }
      return undefined;
    });
    registerLargeBodyGate(app, { largeBodyBytes: options.largeBodyBytes, maxLargeBodies: options.maxLargeBodies, retryAfterSeconds: options.retryAfterSeconds });

    app.addHook('preParsing', async (request, reply, payload) => {
      if (!hasBody(request) || request.raw.complete) return payload;
      const timer = setTimeout(() => {
        if (request.raw.complete) return;
        request.log.info({ statusCode: 408, bodyTimeoutMs: options.bodyTimeoutMs }, 'request body not received in time');
        void reply.header('connection', 'close');
        payload.emit('error', new CdsHttpError(408, 'transient', `The request body did not arrive within ${options.bodyTimeoutMs} ms`, [], 'COP_ERR_REQUEST_TIMEOUT'));
      }, options.bodyTimeoutMs);
      timer.unref();
      const clear = () => clearTimeout(timer);
      payload.once('end', clear);
      payload.once('close', clear);
      payload.once('error', clear);
      return payload;
    });

    app.addHook('onSend', async (request, reply, body) => {
      // Answered before the body was read (401, 415, 413, 408…): do not wait for the rest of it.
      if (!request.raw.complete && hasBody(request)) void reply.header('connection', 'close');
      return body;
    });
  },
  { name: 'cop-request-guards', fastify: '5.x' },
);
