/**
 * What the CDS pipeline reports to operators (metrics), as plain callbacks: the clinical code never
 * sees prom-client, and nothing reported carries patient data (service ids, rule ids, indicators,
 * outcomes, status codes and failure classes only). src/metrics.ts implements it.
 */

/** Why a FHIR fallback call failed, as a closed set of classes (metric label values). */
/** `over-budget`: the hook call's FHIR data reached its byte or entry budget (the prefetch limits). */
export type FhirFailureClass = 'timeout' | 'http-status' | 'network' | 'circuit-open' | 'outcome' | 'invalid-response' | 'over-budget';

export interface CdsObserver {
  /** One service invocation (POST /cds-services/{id}) answered with `statusCode` after `seconds`. */
  serviceCall(serviceId: string, statusCode: number, seconds: number): void;
  /** Cards returned by one invocation. */
  cardsShown(cards: readonly { ruleId: string; indicator: string }[]): void;
  /** Feedback items newly stored; `ruleId` undefined when the card is not known to the store. */
  feedback(items: readonly { outcome: 'accepted' | 'overridden'; ruleId: string | undefined }[]): void;
  /** A call answered without the store: feedback refused with 503, patient-view cards not suppressed. */
  storeUnavailable?(operation: 'feedback' | 'suppression'): void;
  /** Shown-card records dropped: refused by the store for their data, or the write-behind queue full. */
  shownCardsDropped?(count: number, reason: 'invalid-data' | 'queue-full'): void;
}

/** One FHIR fallback call (a prefetch key, pages included) that reached the HTTP layer: `ok` or why it failed. */
export type FhirFetchObserver = (result: 'ok' | FhirFailureClass) => void;
