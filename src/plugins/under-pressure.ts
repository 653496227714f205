/**
 * Overload (@fastify/under-pressure): 503 + Retry-After with an OperationOutcome before the event
 * loop stalls (PRESSURE_*). A route opts out with `config.pressureHandler` (the probes do: they
 * are how an operator or a load balancer sees the pressure).
 */
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { operationOutcome } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/under-pressure: a per-route handler; the probes use one that lets the request through. */
    pressureHandler?: FastifyUnderPressureOptions['pressureHandler'];
  }
}

export interface PressureOptions {
  /** Each limit: 0 turns its check off. */
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  maxEventLoopUtilization: number;
  /** Retry-After of a 503 under pressure. */
  retryAfterSeconds: number;
  /** Extra overload signal (false = under pressure), polled every 100 ms; tests use it. */
  healthCheck?: () => Promise<boolean>;
}

export const overloadShedding = fp<PressureOptions>(
  async (app: FastifyInstance, p) => {
    const retryAfter = p.retryAfterSeconds;
    const pressureHandler = (request: FastifyRequest, reply: { code(n: number): { header(k: string, v: string): unknown } }, type: string) => {
      request.log.warn({ pressure: type }, 'under pressure; request refused');
      reply.code(503).header('retry-after', String(retryAfter));
      // A non-null return value is sent as the body by @fastify/under-pressure.
      return operationOutcome('transient', `The service is overloaded; retry after ${retryAfter} s`);
    };
    const options: FastifyUnderPressureOptions = {
      maxEventLoopDelay: p.maxEventLoopDelayMs,
      maxHeapUsedBytes: p.maxHeapUsedBytes,
      maxRssBytes: p.maxRssBytes,
      maxEventLoopUtilization: p.maxEventLoopUtilization,
      retryAfter,
      pressureHandler: pressureHandler as unknown as FastifyUnderPressureOptions['pressureHandler'],
      ...(p.healthCheck ? { healthCheck: p.healthCheck, healthCheckInterval: 100 } : {}),
    };
    await app.register(underPressure, options);
  },
  { name: 'cop-under-pressure', fastify: '5.x' },
);
