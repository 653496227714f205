/**
 * The state of one prefetch value (CDS Hooks 2.0 §Prefetch), read before anything walks it:
 *
 *   key absent / not a resource   → missing / invalid: the service fetches it instead
 *   value null                    → the EHR ran the query and found nothing: available, empty
 *   OperationOutcome (or a Bundle
 *   holding only error outcomes)  → the EHR's own fetch failed: unavailable, not re-queried
 *   a resource or a Bundle        → its resources; a `next` link marks it partial
 *   a broken envelope             → malformed, with "path: message" lines
 *
 * Prefetch resolution (prefetch.ts) acts on the state; the request checks (request-checks.ts) use
 * it to find what the EHR sent.
 */
import type { Bundle, OperationOutcome, Resource } from 'fhir/r4.js';
import { envelopeProblems } from '../fhir/schemas.js';

export type PrefetchValueState =
  | { kind: 'resources'; resources: Resource[]; partial: boolean }
  | { kind: 'empty' }
  | { kind: 'error'; reason: string }
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string }
  /** A FHIR value whose envelope is broken (Bundle.entry not an array of objects, a bad resourceType…). */
  | { kind: 'malformed'; problems: string[] };

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isErrorOutcome = (r: Resource): r is OperationOutcome =>
  r.resourceType === 'OperationOutcome' &&
  ((r as OperationOutcome).issue ?? []).some((i) => i.severity === 'error' || i.severity === 'fatal');

/**
 * Classifies one prefetch value (or a fetched answer). Pure. Its envelope is checked before
 * anything walks it: a value that names a resource type but is broken where code would walk it
 * (entries, links, issues, type or id) is `malformed`, with "path: message" lines.
 */
export function classifyPrefetchValue(value: unknown): PrefetchValueState {
  if (value === undefined) return { kind: 'missing' };
  if (value === null) return { kind: 'empty' };
  if (!isObject(value) || typeof value.resourceType !== 'string') {
    return { kind: 'invalid', reason: 'value is not a FHIR resource' };
  }
  const problems = envelopeProblems(value);
  if (problems.length > 0) return { kind: 'malformed', problems };
  const resource = value as unknown as Resource;
  if (resource.resourceType === 'OperationOutcome') {
    return isErrorOutcome(resource) ? { kind: 'error', reason: 'the EHR reported an OperationOutcome' } : { kind: 'empty' };
  }
  if (resource.resourceType !== 'Bundle') return { kind: 'resources', resources: [resource], partial: false };

  const bundle = resource as Bundle;
  const entries = (bundle.entry ?? []).map((e) => e.resource as Resource);
  const data = entries.filter((r) => r.resourceType !== 'OperationOutcome');
  if (data.length === 0 && entries.some(isErrorOutcome)) {
    return { kind: 'error', reason: 'the EHR reported an OperationOutcome' };
  }
  const partial = (bundle.link ?? []).some((l) => l.relation === 'next');
  return { kind: 'resources', resources: data, partial };
}
