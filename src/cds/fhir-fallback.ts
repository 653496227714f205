/**
 * The seam through which missing prefetch data is fetched from the EHR's FHIR server.
 *
 * This issue ships only `noFhirFallback` (nothing fetched: a missing required key means 412); a
 * later issue plugs in an HTTP client that calls `fhirServer` with the EHR's access token, limited
 * to servers the operator allowed. Everything upstream of this interface already handles both.
 */
import type { Resource } from 'fhir/r4.js';

export interface FhirFetchRequest {
  /** Prefetch key the data is for (for logs and error messages). */
  key: string;
  /** The template filled with context values, relative to `fhirServer` (e.g. `Patient/123`). */
  relativeUrl: string;
  fhirServer?: string;
  /** Access token from `fhirAuthorization`: transient, never logged or stored. */
  accessToken?: string;
  hookInstance: string;
}

export type FhirFetchResult =
  | { status: 'ok'; resource: Resource | null }
  | { status: 'unavailable'; reason: string };

export type FhirFallback = (request: FhirFetchRequest) => Promise<FhirFetchResult>;

export const noFhirFallback: FhirFallback = async () => ({
  status: 'unavailable',
  reason: 'fetching from the FHIR server is not enabled',
});
