/**
 * Prefetch resolution: read each prefetch key by its state (CDS Hooks 2.0 §Prefetch; R-PF-11),
 * fetch what is missing through the FHIR fallback in parallel, and pool the resources by type.
 *
 *   key absent / not a resource   → fetch it; if that fails: unavailable (412 if required)
 *   value null                    → the EHR ran the query and found nothing: available, empty
 *   OperationOutcome (or a Bundle
 *   holding only error outcomes)  → the EHR's own fetch failed: unavailable, not re-queried
 *   searchset Bundle              → its entries; with a `next` link on `fhirServer` the remaining
 *                                   pages are read through the fallback (R-PF-14), else the key
 *                                   keeps its partial data and is reported partial
 */
import type {
  AllergyIntolerance, Bundle, Condition, Encounter, MedicationRequest, MedicationStatement, Observation,
  Patient, Resource, ServiceRequest,
} from 'fhir/r4.js';
import type { DataDomain, ResourcePool } from '../cop/facts-types.js';
import { BadRequestError, PreconditionFailedError } from '../errors.js';
import { FHIR_ID, resourceProblems } from '../fhir/schemas.js';
import { pathUnderBase } from './fhir-allowlist.js';
import type { FetchBudget, FhirFallback, FhirFetchRequest } from './fhir-fallback.js';
import { bundleResources, createMedicationResolver, type MedicationReferenceResult } from './medication-references.js';
import { userTokenValues } from './prefetch-tokens.js';
import { classifyPrefetchValue, isObject, type PrefetchValueState } from './prefetch-values.js';
import { envelopeRefusalOf, prefetchResourceRefusal, refusalError, SERVICE_READ_SCOPE } from './request-checks.js';
import type { CdsServiceDefinition } from './service-definition.js';
import type { HookContext } from './wire.js';

// Classified in prefetch-values.ts, which the request checks share; re-exported for the code and tests that import it from here.
export { classifyPrefetchValue, type PrefetchValueState } from './prefetch-values.js';

/**
 * Fills `{{context.x}}` and user tokens. Returns undefined when a token has no value (e.g. no
 * encounterId), in which case the key cannot be fetched. Every value placed in the URL must be a
 * FHIR id (not `.` or `..`, which would step off the resource path) and is percent-encoded; any
 * other value is refused (400), as the context schema already does for the ids it knows.
 */
/** A FHIR id, or `Type/id` with a FHIR id (encoded, its `/` cannot start a path segment). */
const isUrlToken = (value: string): boolean => {
  const slash = value.indexOf('/');
  return slash < 0 ? FHIR_ID.test(value) : /^[A-Z][A-Za-z]{1,63}$/.test(value.slice(0, slash)) && FHIR_ID.test(value.slice(slash + 1));
};

export function fillTemplate(template: string, context: HookContext): string | undefined {
  const userTokens: Record<string, string | undefined> = userTokenValues(context.userId);
  let unresolved = false;
  const filled = template.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_m, token: string) => {
    const value = token.startsWith('context.') ? context[token.slice('context.'.length)] : userTokens[token];
    if (typeof value !== 'string' || value.length === 0) {
      unresolved = true;
      return '';
    }
    if (!isUrlToken(value)) {
      const where = token.startsWith('context.') ? token : `context.userId (${token})`;
      throw new BadRequestError(`${where} must be a FHIR id (1-64 of A-Z a-z 0-9 - ., not dots only) to be placed in a FHIR URL`, [`template: ${template}`]);
    }
    return encodeURIComponent(value);
  });
  return unresolved ? undefined : filled;
}

export interface PrefetchResolution {
  pool: ResourcePool;
  /** Per key: where the data came from, for logs (no PHI: states and counts only). */
  sources: Record<string, 'prefetch' | 'fetched' | 'unavailable'>;
  partialKeys: string[];
  /** External Medication references: how many were in the request, read, or left unresolved. */
  medicationReferences: MedicationReferenceResult['counts'];
}

export interface ResolveInput {
  service: CdsServiceDefinition;
  context: HookContext;
  prefetch: Record<string, unknown> | undefined;
  fhirServer?: string;
  accessToken?: string;
  hookInstance: string;
  fallback: FhirFallback;
  /** Aborted at the hook call's FHIR deadline; passed to every fetch (default: never aborted). */
  signal?: AbortSignal;
  /** What this hook call's fetches have read, shared by all of them (default: a fresh one per call). */
  budget?: FetchBudget;
}

const NEVER_ABORTED = new AbortController().signal;

/** What every fetch of one key carries besides its URL. */
function fetchFields(input: ResolveInput, key: string): Omit<FhirFetchRequest, 'relativeUrl'> {
  return {
    key,
    hookInstance: input.hookInstance,
    signal: input.signal ?? NEVER_ABORTED,
    ...(input.budget ? { budget: input.budget } : {}),
    ...(input.fhirServer ? { fhirServer: input.fhirServer } : {}),
    ...(input.accessToken ? { accessToken: input.accessToken } : {}),
  };
}

const nextLinkOf = (value: unknown): string | undefined =>
  ((value as Bundle).link ?? []).find((l) => l.relation === 'next' && typeof l.url === 'string')?.url;

/**
 * A paginated prefetch Bundle (R-PF-14): the remaining pages are read through the fallback when
 * the `next` link lies on `fhirServer`. Without a server, off it, or when that read fails, the
 * data already sent is kept and the key stays partial.
 */
async function readRemainingPages(
  input: ResolveInput,
  key: string,
  bundle: unknown,
  state: Extract<PrefetchValueState, { kind: 'resources' }>,
): Promise<PrefetchValueState> {
  const next = nextLinkOf(bundle);
  const relativeUrl = next !== undefined && input.fhirServer ? pathUnderBase(next, input.fhirServer) : undefined;
  if (relativeUrl === undefined) return state;
  const fetched = await input.fallback({ ...fetchFields(input, key), relativeUrl, pagesAlreadyRead: 1 });
  const rest = fetched.status === 'ok' ? classifyPrefetchValue(fetched.resource) : undefined;
  // The server's pages are not the client's data: a malformed one is not read, the key stays partial.
  if (rest?.kind !== 'resources' || hasResourceProblems(rest.resources)) return state;
  return { kind: 'resources', resources: [...state.resources, ...rest.resources], partial: rest.partial };
}

/** The resources of a prefetch value as sent (a Bundle's entries with their fullUrls, or one resource). */
function sentResources(value: unknown): ReturnType<typeof bundleResources> {
  if (!isObject(value) || typeof value.resourceType !== 'string') return { resources: [], fullUrls: [] };
  if (value.resourceType === 'Bundle') return bundleResources(value as unknown as Bundle);
  return { resources: [value as unknown as Resource], fullUrls: [undefined] };
}

export async function resolvePrefetch(call: ResolveInput): Promise<PrefetchResolution> {
  // One byte and entry budget for every fetch of this hook call (keys, pages, Medications).
  const input: ResolveInput = { ...call, budget: call.budget ?? { bytes: 0, items: 0 } };
  const entries = Object.entries(input.service.prefetch) as [DataDomain, { template: string; required: boolean }][];
  // Envelopes first: nothing below walks a value whose entries, links or issues are not what FHIR
  // says. Each value is classified once (the envelope check walks every entry).
  const classified = new Map(entries.map(([key]) => [key, classifyPrefetchValue(input.prefetch?.[key])] as const));
  const broken = envelopeRefusalOf([...classified].map(([key, state]) => ({ key, state })));
  if (broken) throw refusalError(broken);
  // External Medications (decision 10): index what came with the request, then start reading the
  // rest at once, beside the prefetch fetches; orders that arrive through a fetch add their own.
  const medicationResolver = createMedicationResolver({
    ...(input.fhirServer ? { fhirServer: input.fhirServer } : {}),
    read: (relativeUrl) => input.fallback({ ...fetchFields(input, 'medication'), relativeUrl }),
  });
  const sent = [bundleResources(input.context.draftOrders as Bundle | undefined), ...entries.map(([key]) => sentResources(input.prefetch?.[key]))];
  for (const s of sent) medicationResolver.addResources(s.resources, s.fullUrls);
  for (const s of sent) medicationResolver.resolveOrdersOf(s.resources);
  const withMedicationReads = <T extends { key: string; state: PrefetchValueState; source: string }>(resolved: T): T => {
    // Picks up fetched keys and pages read after a `next` link; a value as sent was indexed above.
    if (resolved.state.kind === 'resources' && resolved.state !== classified.get(resolved.key as DataDomain)) {
      medicationResolver.addResources(resolved.state.resources);
      medicationResolver.resolveOrdersOf(resolved.state.resources);
    }
    return resolved;
  };
  const states = await Promise.all(
    entries.map(async ([key, spec]) => withMedicationReads(await (async () => {
      const value = input.prefetch?.[key];
      const state = classified.get(key)!;
      if (state.kind === 'resources' && state.partial) {
        return { key, spec, state: await readRemainingPages(input, key, value, state), source: 'prefetch' as const };
      }
      if (state.kind !== 'missing' && state.kind !== 'invalid') return { key, spec, state, source: 'prefetch' as const };
      const relativeUrl = fillTemplate(spec.template, input.context);
      if (relativeUrl === undefined) {
        return { key, spec, state: { kind: 'error', reason: 'a template token has no value in the context' } as PrefetchValueState, source: 'unavailable' as const };
      }
      const fetched = await input.fallback({ ...fetchFields(input, key), relativeUrl });
      if (fetched.status === 'unavailable') {
        return { key, spec, state: { kind: 'error', reason: fetched.reason } as PrefetchValueState, source: 'unavailable' as const };
      }
      const fetchedState = classifyPrefetchValue(fetched.resource);
      // Malformed where the rules read it: the server's fault, so the key is unavailable (never a 400 to the EHR).
      if (fetchedState.kind === 'malformed' || fetchedState.kind === 'invalid' || (fetchedState.kind === 'resources' && hasResourceProblems(fetchedState.resources))) {
        return { key, spec, state: { kind: 'error', reason: 'the FHIR server answered with a malformed resource' } as PrefetchValueState, source: 'unavailable' as const };
      }
      return { key, spec, state: fetchedState, source: 'fetched' as const };
    })())),
  );

  const missingRequired = states.filter((s) => s.spec.required && (s.state.kind === 'error' || s.state.kind === 'invalid' || s.state.kind === 'missing'));
  if (missingRequired.length > 0) {
    throw new PreconditionFailedError(
      `Required FHIR data is missing and could not be fetched: ${missingRequired.map((s) => s.key).join(', ')}`,
      missingRequired.map((s) => `${s.key}: ${'reason' in s.state ? s.state.reason : 'not supplied'} (template ${s.spec.template})`),
    );
  }

  // What the EHR sent is its to fix (400); fetched data was checked as it came (a bad answer is an
  // unavailable key), so it is not validated a second time here.
  const malformed = prefetchResourceRefusal(
    states.flatMap(({ key, state, source }) => (state.kind === 'resources' && source === 'prefetch' ? [{ key, resources: state.resources }] : [])),
  );
  if (malformed) throw refusalError(malformed);

  const references = await medicationResolver.settle();
  const pool = emptyPool();
  pool.medications = references.medications;
  pool.unresolvedMedications = references.unresolved;
  const sources: PrefetchResolution['sources'] = {};
  const partialKeys: string[] = [];
  const seen = new Set<string>();
  for (const { key, state, source } of states) {
    const available = state.kind === 'resources' || state.kind === 'empty';
    pool.domains[key] = available ? 'available' : 'unavailable';
    sources[key] = available ? source : 'unavailable';
    if (state.kind !== 'resources') continue;
    if (state.partial) partialKeys.push(key);
    for (const resource of state.resources) addToPool(pool, resource, seen);
  }
  return { pool, sources, partialKeys, medicationReferences: references.counts };
}

const hasResourceProblems = (resources: readonly Resource[]): boolean => resources.some((r) => resourceProblems(r, SERVICE_READ_SCOPE).length > 0);

export function emptyPool(): ResourcePool {
  return {
    observations: [], conditions: [], medicationRequests: [], medicationStatements: [], allergies: [], serviceRequests: [],
    medications: new Map(), unresolvedMedications: new Map(), domains: {},
  };
}

/** Adds a resource under its type, once per type/id (the same resource may come under two keys). */
function addToPool(pool: ResourcePool, resource: Resource, seen: Set<string>): void {
  if (resource.id) {
    const identity = `${resource.resourceType}/${resource.id}`;
    if (seen.has(identity)) return;
    seen.add(identity);
  }
  switch (resource.resourceType) {
    case 'Patient': pool.patient ??= resource as Patient; break;
    case 'Encounter': pool.encounter ??= resource as Encounter; break;
    case 'Observation': pool.observations.push(resource as Observation); break;
    case 'Condition': pool.conditions.push(resource as Condition); break;
    case 'MedicationRequest': pool.medicationRequests.push(resource as MedicationRequest); break;
    case 'MedicationStatement': pool.medicationStatements.push(resource as MedicationStatement); break;
    case 'AllergyIntolerance': pool.allergies.push(resource as AllergyIntolerance); break;
    case 'ServiceRequest': pool.serviceRequests.push(resource as ServiceRequest); break;
    default: break; // Other types are not read by the COP rules.
  }
}

