/**
 * The baseline, in a process of its own: bare Fastify (no plugins, no logging) with the service's
 * body limit, which JSON-parses the same request body and answers a fixed JSON body. The parent
 * sets that body over IPC to the service's real answer for the scenario (same size), and reads the
 * port from the first IPC message. Run by bench/invoke.bench.ts; not meant to be started by hand.
 */
import Fastify from 'fastify';

const bodyLimit = Number(process.env.BENCH_BODY_LIMIT ?? 8 * 1024 * 1024);
let response = '{}';

const app = Fastify({ logger: false, bodyLimit });
app.post('/cds-services/:id', async (request, reply) => {
  if (typeof request.body !== 'object' || request.body === null) return reply.code(400).send({ error: 'no body' });
  return reply.type('application/json; charset=utf-8').send(response);
});

process.on('message', (message: { type?: string; body?: string }) => {
  if (message.type === 'set-response' && typeof message.body === 'string') {
    response = message.body;
    process.send?.({ type: 'response-set', bytes: Buffer.byteLength(response) });
  }
});
process.on('disconnect', () => process.exit(0));

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
