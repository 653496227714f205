/**
 * The FHIR fallback's settings (FHIR_* and CDS_FHIR_* variables), built by the configuration
 * loader: which servers a request may name, and how long and how much the calls may take.
 */
export interface FhirSettings {
  allowlist: string[];
  allowHttp: string[];
  requestTimeoutMs: number;
  deadlineMs: number;
  maxPages: number;
  maxConnections: number;
  /** Consecutive failures that open a server's circuit (0 = no breaker). */
  breakerFailures: number;
  breakerCooldownMs: number;
  /**
   * What all fetches of one hook call may read together, pages and Medication reads included:
   * the prefetch limits (BODY_LIMIT_BYTES, MAX_JSON_ARRAY_LENGTH entries, MAX_JSON_DEPTH).
   */
  callBudget: { maxBytes: number; maxEntries: number; maxDepth: number };
}
