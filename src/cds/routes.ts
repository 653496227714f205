/**
 * The CDS Hooks HTTP surface as a Fastify plugin: discovery, service invocation and feedback.
 * Handlers translate between HTTP and `invokeService`; they know no threshold and no rule.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FeedbackResult } from '../store/types.js';
import { BadRequestError, NotFoundError, operationOutcome } from '../errors.js';
import { classifyStoreError, storeErrorReason } from '../store/errors.js';
import { feedbackItemsOf } from './card-records.js';
import { createFeedbackCounter } from './feedback-metrics.js';
import { invokeService, type InvokeDeps } from './invoke.js';
import { checkFeedback, checkHookRequest, refusalError, wrongHookRefusal } from './request-checks.js';
import type { RegisteredService } from './service-registry.js';
import type { DiscoveryService } from './wire.js';

export interface CdsRoutesOptions {
  services: Map<string, RegisteredService>;
  deps: InvokeDeps;
  /** Absolute base URL for links; when unset, taken from the request. */
  publicBaseUrl?: string;
}

function discoveryEntry({ definition }: RegisteredService): DiscoveryService {
  const entry: DiscoveryService = {
    hook: definition.hook,
    id: definition.id,
    title: definition.title,
    description: definition.description,
  };
  const prefetch = Object.fromEntries(Object.entries(definition.prefetch).map(([key, spec]) => [key, spec!.template]));
  if (Object.keys(prefetch).length > 0) entry.prefetch = prefetch;
  if (definition.usageRequirements) entry.usageRequirements = definition.usageRequirements;
  return entry;
}

export function baseUrlOf(request: FastifyRequest, configured?: string): string {
  return configured ?? `${request.protocol}://${request.host}`;
}

/** Retry-After of a feedback post the store could not take. */
const FEEDBACK_RETRY_AFTER_SECONDS = 5;

export async function cdsRoutes(app: FastifyInstance, options: CdsRoutesOptions): Promise<void> {
  const { services, deps } = options;
  // Built once: discovery is static for the life of the process.
  const discovery = { services: [...services.values()].map(discoveryEntry) };

  const serviceById = (id: string): RegisteredService => {
    const service = services.get(id);
    if (!service) throw new NotFoundError(`No CDS service with id "${id}"; GET /cds-services lists them`);
    return service;
  };

  app.get('/cds-services', async () => discovery);

  // Operator metrics at the HTTP boundary: every answer of a known service, errors included.
  const observer = deps.observer;
  // Stored feedback by outcome and rule (repeats not counted: an all-duplicate post counts nothing;
  // a post mixing new items and repeats, which the store does not tell apart, counts all its items).
  const feedbackCounter = observer
    ? createFeedbackCounter(observer, {
        ...(deps.store.ruleIdsOfCards ? { ruleIdsOfCards: deps.store.ruleIdsOfCards.bind(deps.store) } : {}),
        onLookupError: (err) => app.log.warn({ reason: storeErrorReason(err) }, 'feedback metrics: card rules not read; will retry'),
      })
    : undefined;
  if (feedbackCounter) app.addHook('onClose', async () => feedbackCounter.close());
  if (observer) {
    app.addHook('onResponse', async (request, reply) => {
      if (request.routeOptions.url !== '/cds-services/:id') return;
      const serviceId = (request.params as { id?: unknown } | undefined)?.id;
      if (typeof serviceId !== 'string' || !services.has(serviceId)) return;
      observer.serviceCall(serviceId, reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  // Every log line of a call carries its hookInstance and service id, including Fastify's
  // "request completed": one child logger per call, bound before the handler runs.
  app.addHook('preHandler', async (request, reply) => {
    const hookInstance = (request.body as { hookInstance?: unknown } | undefined)?.hookInstance;
    const serviceId = (request.params as { id?: unknown } | undefined)?.id;
    const bindings: Record<string, string> = {};
    if (typeof hookInstance === 'string' && hookInstance.length > 0 && hookInstance.length <= 256) bindings.hookInstance = hookInstance;
    if (typeof serviceId === 'string' && services.has(serviceId)) bindings.serviceId = serviceId;
    if (Object.keys(bindings).length === 0) return;
    request.log = request.log.child(bindings);
    reply.log = request.log;
  });

  app.post<{ Params: { id: string } }>('/cds-services/:id', async (request) => {
    const service = serviceById(request.params.id);
    // The request checks are shared with `cop-cds check` (request-checks.ts).
    const checked = checkHookRequest(request.body);
    if (!checked.ok) throw refusalError(checked.refusal);
    const body = checked.value;
    const wrongHook = wrongHookRefusal(service.definition, body.hook);
    if (wrongHook) throw refusalError(wrongHook);
    return invokeService(service, body, deps, {
      log: request.log,
      // On the access line (src/plugins/access-log.ts): one line per call.
      logFields: (fields) => { request.logFields = { ...request.logFields, ...fields }; },
      evidenceUrl: `${baseUrlOf(request, options.publicBaseUrl)}/evidence/cop`,
    });
  });

  app.post<{ Params: { id: string } }>('/cds-services/:id/feedback', async (request, reply) => {
    const service = serviceById(request.params.id);
    const parsed = checkFeedback(request.body);
    if (!parsed.ok) throw refusalError(parsed.refusal);
    // Answered only once committed: a 200 means the feedback is durably stored. Repeats are no-ops (R-FB-04).
    const items = feedbackItemsOf(parsed.value);
    let result: FeedbackResult;
    try {
      result = await deps.store.recordFeedback(service.definition.id, items, deps.clock());
    } catch (err) {
      if (classifyStoreError(err) === 'data') {
        throw new BadRequestError('Feedback holds a value that cannot be stored (e.g. a NUL byte); nothing of this post was stored', [], 'COP_ERR_INVALID_FEEDBACK');
      }
      // Never a 200 for an unstored row: the EHR may retry the (idempotent) post.
      const reason = storeErrorReason(err);
      request.log.error({ reason, code: (err as { code?: unknown } | null)?.code }, 'feedback not stored: the store is unavailable');
      observer?.storeUnavailable?.('feedback');
      return reply
        .code(503)
        .header('retry-after', String(FEEDBACK_RETRY_AFTER_SECONDS))
        .send(operationOutcome('transient', `Feedback not stored: the store is unavailable (${reason}); retry after ${FEEDBACK_RETRY_AFTER_SECONDS} s`, [], 'COP_ERR_STORE_UNAVAILABLE'));
    }
    if (feedbackCounter && result.stored > 0) await feedbackCounter.count(items);
    // serviceId is bound on the request's logger already (preHandler above).
    request.log.info(
      {
        stored: result.stored,
        duplicates: result.duplicates,
        outcomes: parsed.value.feedback.map((f) => `${f.card}:${f.outcome}${f.overrideReason?.reason ? `:${f.overrideReason.reason.code}` : ''}`),
      },
      'card feedback',
    );
    return reply.code(200).send();
  });
}
