import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type AppOverrides } from '../../src/app.js';
import type { AppConfig } from '../../src/config.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';

/** Builds the real app once per test file with a fixed clock and silent logs; returns a supertest agent getter. */
export function useApp(configOverrides: Partial<AppConfig> = {}, overrides: AppOverrides = {}) {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(testConfig(configOverrides), { clock: () => NOW, ...overrides });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });
  return {
    http: () => supertest(app.server),
    app: () => app,
  };
}
