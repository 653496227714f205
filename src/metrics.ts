/**
 * Prometheus metrics (prom-client) on one registry per app, so several apps in one process (tests)
 * never collide on the global default registry. Labels are service ids, rule ids, indicators,
 * outcomes, status codes and failure classes: bounded sets, never patient data.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { CdsObserver, FhirFailureClass, FhirFetchObserver } from './cds/observer.js';
import type { SharedStateCheck } from './shared-state/errors.js';

/** Latency buckets (seconds) around a ~500 ms budget. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1];

export interface AppMetrics {
  registry: Registry;
  /** A call refused (or counted in process) because the shared store could not be asked. */
  sharedStateUnavailable: (check: SharedStateCheck) => void;
  cds: CdsObserver;
  fhirFetch: FhirFetchObserver;
}

export function createMetrics(): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const calls = new Counter({
    name: 'cds_service_calls_total',
    help: 'CDS service invocations (POST /cds-services/{id}) by service and HTTP status code',
    labelNames: ['service', 'status_code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'cds_service_duration_seconds',
    help: 'Time to answer a CDS service invocation, by service',
    labelNames: ['service'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const cards = new Counter({
    name: 'cds_cards_total',
    help: 'Cards returned, by rule and indicator',
    labelNames: ['rule', 'indicator'] as const,
    registers: [registry],
  });
  const feedback = new Counter({
    name: 'cds_feedback_total',
    help: 'Feedback items stored (repeats not counted), by outcome and the rule of the card (unknown when the card is not in the store)',
    labelNames: ['outcome', 'rule'] as const,
    registers: [registry],
  });
  const fhirCalls = new Counter({
    name: 'cds_fhir_fallback_calls_total',
    help: 'FHIR fallback fetches (one prefetch key, pages included) sent to a FHIR server',
    registers: [registry],
  });
  const fhirFailures = new Counter({
    name: 'cds_fhir_fallback_failures_total',
    help: 'FHIR fallback fetches that failed, by reason class',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const storeUnavailable = new Counter({
    name: 'cds_store_unavailable_total',
    help: 'Calls answered without the store: feedback refused with 503, patient-view cards not suppressed',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  const cardsDropped = new Counter({
    name: 'cds_store_shown_cards_dropped_total',
    help: 'Shown-card records not stored: refused for their data (invalid-data) or the write-behind queue full (queue-full)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const operation of ['feedback', 'suppression']) storeUnavailable.inc({ operation }, 0);
  const sharedUnavailable = new Counter({
    name: 'cds_shared_state_unavailable_total',
    help: 'Times the shared security state (Redis, or PostgreSQL for replay) could not be asked: replay and rate-limit checks answer 503; failed authentications are then counted per instance',
    labelNames: ['check'] as const,
    registers: [registry],
  });
  const sharedChecks: SharedStateCheck[] = ['replay', 'rate-limit', 'auth-failures'];
  for (const check of sharedChecks) sharedUnavailable.inc({ check }, 0);
  for (const reason of ['invalid-data', 'queue-full']) cardsDropped.inc({ reason }, 0);
  // Zero series for every failure class, so rate() works before the first failure.
  const failureClasses: FhirFailureClass[] = ['timeout', 'http-status', 'network', 'circuit-open', 'outcome', 'invalid-response', 'over-budget'];
  for (const reason of failureClasses) fhirFailures.inc({ reason }, 0);
  fhirCalls.inc(0);

  return {
    registry,
    sharedStateUnavailable: (check) => sharedUnavailable.inc({ check }),
    cds: {
      serviceCall(serviceId, statusCode, seconds) {
        calls.inc({ service: serviceId, status_code: String(statusCode) });
        duration.observe({ service: serviceId }, seconds);
      },
      cardsShown(shown) {
        for (const c of shown) cards.inc({ rule: c.ruleId, indicator: c.indicator });
      },
      feedback(items) {
        for (const f of items) feedback.inc({ outcome: f.outcome, rule: f.ruleId ?? 'unknown' });
      },
      storeUnavailable(operation) {
        storeUnavailable.inc({ operation });
      },
      shownCardsDropped(count, reason) {
        cardsDropped.inc({ reason }, count);
      },
    },
    fhirFetch(result) {
      fhirCalls.inc();
      if (result !== 'ok') fhirFailures.inc({ reason: result });
    },
  };
}
