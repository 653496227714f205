/**
 * METRICS_PORT: /metrics on a listener of its own, so the API port (and the ingress in front of it)
 * cannot route to it; without it, /metrics stays on the API port.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../fixtures/config.js';

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

async function start(overrides: Parameters<typeof testConfig>[0]): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(overrides));
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

describe('METRICS_PORT', () => {
  it('serves /metrics on its own listener only; the API port answers 404 for it', async () => {
    const app = await start({ metricsPort: 1 });
    expect(app.metricsApp).not.toBeNull();
    await app.metricsApp!.listen({ port: 0, host: '127.0.0.1' });
    const metrics = await request(app.metricsApp!.server).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/cds_service_calls_total|process_cpu/);
    const onApi = await request(app.server).get('/metrics').expect(404);
    expect(onApi.body.resourceType).toBe('OperationOutcome');
    // Nothing else is on the metrics listener.
    const other = await request(app.metricsApp!.server).get('/cds-services').expect(404);
    expect(other.body.resourceType).toBe('OperationOutcome');
    await request(app.server).get('/health/ready').expect(200);
  });

  it('is closed with the app', async () => {
    const app = await buildApp(testConfig({ metricsPort: 1 }));
    await app.metricsApp!.listen({ port: 0, host: '127.0.0.1' });
    await app.close();
    expect(app.metricsApp!.server.listening).toBe(false);
  });

  it('without METRICS_PORT, /metrics is on the API port and there is no second listener', async () => {
    const app = await start({});
    expect(app.metricsApp).toBeNull();
    await request(app.server).get('/metrics').expect(200);
  });
});
