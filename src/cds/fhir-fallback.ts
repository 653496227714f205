/**
 * The seam through which missing prefetch data is fetched from the EHR's FHIR server.
 *
 * `noFhirFallback` fetches nothing (a missing required key means 412); `createFhirFallback`
 * (fhir-client.ts) calls `fhirServer` with the EHR's access token. Which servers may be named at
 * all is decided before this seam is reached (fhir-allowlist.ts, checked in invoke.ts).
 */
import type { Resource } from 'fhir/r4.js';

export interface FhirFetchRequest {
  /** Prefetch key the data is for (for logs and error messages). */
  key: string;
  /**
   * Relative to `fhirServer`: the template filled with context values (`Patient/123`), or the part
   * of a prefetch Bundle's `next` link below `fhirServer` when the rest of a search is wanted.
   */
  relativeUrl: string;
  fhirServer?: string;
  /** Access token from `fhirAuthorization`: transient, never logged or stored. */
  accessToken?: string;
  hookInstance: string;
  /**
   * Aborted when the hook call's FHIR deadline (FHIR_DEADLINE_MS from the start of the call) has
   * passed: every fetch and page of one hook call shares it, so the answer is never later than that.
   */
  signal: AbortSignal;
  /** Pages of this search the caller already holds (a paginated prefetch Bundle); they count against FHIR_MAX_PAGES. */
  pagesAlreadyRead?: number;
  /**
   * What the fetches of this hook call have read so far, shared by all of them (one object per
   * call): the client stops reading when the call's byte or item budget is spent.
   */
  budget?: FetchBudget;
}

/** Bytes and items (Bundle entries) read by the fetches of one hook call. */
export interface FetchBudget {
  bytes: number;
  items: number;
}

/**
 * `ok`: the resource read, or a searchset Bundle with the entries of every page followed. A Bundle
 * that still has a `next` link is partial (page limit, deadline, or a link off the server).
 * `resource: null`: the server has no such resource (a read answered 404/410).
 * `unavailable`: the data could not be got; `reason` says why without URL, token or patient data.
 */
export type FhirFetchResult =
  | { status: 'ok'; resource: Resource | null }
  | { status: 'unavailable'; reason: string };

export type FhirFallback = (request: FhirFetchRequest) => Promise<FhirFetchResult>;

export const noFhirFallback: FhirFallback = async () => ({
  status: 'unavailable',
  reason: 'fetching from the FHIR server is not enabled',
});
