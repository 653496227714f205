import Fastify, { type FastifyRequest } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { jsonBody } from './json-body.js';

describe('JSON body plugin', () => {
  const app = Fastify();
  let seen: FastifyRequest | undefined;
  let bodyInHandler: unknown;
  app.register(jsonBody, { maxDepth: 10, maxArrayLength: 5 });
  app.post('/echo', async (request) => {
    seen = request;
    bodyInHandler = request.body;
    return { ok: true };
  });
  afterAll(() => app.close());
  afterEach(() => {
    seen = undefined;
    bodyInHandler = undefined;
  });

  it('hands the parsed body to the handler, then lets go of it once the answer has gone', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { chart: { entry: [1, 2, 3] } } });
    expect(res.statusCode).toBe(200);
    expect(bodyInHandler).toEqual({ chart: { entry: [1, 2, 3] } });
    // The request object outlives its answer; a body it still held would be carried into V8's old generation.
    expect(seen).toBeDefined();
    expect(seen!.body).toBeUndefined();
  });

  it('answers structural limits and bad JSON before any handler runs', async () => {
    const deep = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '[[[[[[[[[[[[1]]]]]]]]]]]]' });
    expect(deep.statusCode).toBe(413);
    const long = await app.inject({ method: 'POST', url: '/echo', payload: { a: [1, 2, 3, 4, 5, 6] } });
    expect(long.statusCode).toBe(413);
    const broken = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(broken.statusCode).toBe(400);
    expect(seen).toBeUndefined();
  });
});
