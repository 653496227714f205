/** JSON bodies: Fastify's safe parser (prototype-poisoning protection), then depth/array limits. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { checkJsonLimits } from '../cds/json-limits.js';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';

export interface JsonBodyOptions {
  /** MAX_JSON_DEPTH: deepest nesting of objects and arrays. */
  maxDepth: number;
  /** MAX_JSON_ARRAY_LENGTH: longest array. */
  maxArrayLength: number;
}

export const jsonBody = fp<JsonBodyOptions>(
  async (app: FastifyInstance, options) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    const limits = { maxDepth: options.maxDepth, maxArrayLength: options.maxArrayLength };
    // CDS Hooks bodies are JSON only: without a text parser, other media types get 415.
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      parseJson(request, body as string, (error: Error | null, value?: unknown) => {
        if (error) return done(new BadRequestError('Request body is not valid JSON', [], 'COP_ERR_INVALID_JSON'), undefined);
        const problem = checkJsonLimits(value, limits);
        if (problem) return done(new PayloadTooLargeError(`Request body exceeds structural limits: ${problem}`), undefined);
        return done(null, value);
      });
    });
    // Let go of the parsed body once the answer has gone. The request object outlives its answer
    // (its connection and Fastify still reach it for a while), and through it the body: a chart of
    // often megabytes of objects, which V8 then copies through two scavenges into the old
    // generation. Measured on a 53 KiB chart at 200 calls/s: 5.4 MB promoted per scavenge, pauses
    // of 6-10 ms and an old generation growing to four times the live heap; let go, next to nothing.
    app.addHook('onResponse', async (request) => {
      (request as { body: unknown }).body = undefined;
    });
  },
  { name: 'cop-json-body', fastify: '5.x' },
);
