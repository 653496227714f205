/**
 * What the service refuses (400) in the body of a hook call or a feedback post, written once.
 * The service applies each check where its call reaches it and answers the first refusal: the
 * hook route checks the body and the hook, invoke.ts the context (its schema, the draft orders'
 * resources, the selections), prefetch resolution the prefetch values, and the resolved Patient
 * last. `cop-cds check request` runs them all on a captured body (`requestRefusals`), so the
 * checker finds what the service would refuse, with the service's own words.
 *
 * Not here, because the body alone does not decide them: a fhirServer outside the allow-list
 * (403), required data that can be neither read from prefetch nor fetched (412), and a fetched
 * resource that is malformed (its key is then unavailable, never a 400 to the EHR).
 */
import type { Resource } from 'fhir/r4.js';
import { BadRequestError, type ErrorCode } from '../errors.js';
import { READ_OBSERVATION_LOINC_CODES } from '../cop/valuesets.js';
import { resourceProblems, type ReadScope } from '../fhir/schemas.js';
import { classifyPrefetchValue, isObject, type PrefetchValueState } from './prefetch-values.js';
import type { CdsServiceDefinition } from './service-definition.js';
import {
  contextSchemas, feedbackSchema, hookRequestSchema, SUPPORTED_HOOKS,
  type FeedbackRequest, type HookContext, type HookRequest, type SupportedHook,
} from './wire.js';

/** One thing wrong in the body. */
export interface RequestProblem {
  /** Keys and indexes from the body's root, e.g. `['context', 'selections', 1]`. */
  path: PropertyKey[];
  /** What is wrong there, for a reader shown the path beside it (the CLI prints it). */
  message: string;
}

/** A 400 of the service: its OperationOutcome is `message`, then one issue per `details` line. */
export interface RequestRefusal {
  message: string;
  /** As the service answers them: a long list is cut (the problems below are not). */
  details: string[];
  code: ErrorCode;
  problems: RequestProblem[];
}

export const refusalError = (refusal: RequestRefusal): BadRequestError =>
  new BadRequestError(refusal.message, refusal.details, refusal.code);

export type Checked<T> = { ok: true; value: T } | { ok: false; refusal: RequestRefusal };

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
  code?: string;
}

/** More lines than this are not answered (the body stays small; the first ones say what to fix). */
const MAX_REPORTED_PROBLEMS = 20;

/** How the service words a zod issue: `context.patientId: message`, or `(body): message` at the root. */
export function issueLines(issues: readonly ZodIssueLike[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((i) => {
    const path = [...prefix, ...i.path];
    return `${path.length > 0 ? path.map(String).join('.') : '(body)'}: ${i.message}`;
  });
}

const isMissing = (issue: ZodIssueLike): boolean => issue.code === 'invalid_type' && issue.message.includes('received undefined');

function zodRefusal(message: string, issues: readonly ZodIssueLike[], prefix: readonly PropertyKey[] = [], code: ErrorCode = 'COP_ERR_INVALID_REQUEST'): RequestRefusal {
  return {
    message,
    details: issueLines(issues, prefix),
    code,
    problems: issues.map((i) => ({ path: [...prefix, ...i.path], message: isMissing(i) ? 'required, missing' : i.message })),
  };
}

/** The body of `POST /cds-services/{id}` against the CDS Hooks request schema (the context is checked per hook). */
export function checkHookRequest(body: unknown): Checked<HookRequest> {
  const parsed = hookRequestSchema.safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, refusal: zodRefusal('Invalid CDS Hooks request', parsed.error.issues) };
}

/** The body of `POST /cds-services/{id}/feedback`. */
export function checkFeedback(body: unknown): Checked<FeedbackRequest> {
  const parsed = feedbackSchema.safeParse(body);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, refusal: zodRefusal('Invalid feedback', parsed.error.issues, [], 'COP_ERR_INVALID_FEEDBACK') };
}

/** A service answers one hook: a request naming another is refused. */
export function wrongHookRefusal(service: Pick<CdsServiceDefinition, 'id' | 'hook'>, hook: string): RequestRefusal | undefined {
  if (hook === service.hook) return undefined;
  const message = `Service ${service.id} answers hook "${service.hook}", not "${hook}"`;
  return { message, details: [], code: 'COP_ERR_WRONG_HOOK', problems: [{ path: ['hook'], message }] };
}

/** The context against the hook's context schema. */
export function checkContext(hook: SupportedHook, context: unknown): Checked<HookContext> {
  const parsed = contextSchemas[hook].safeParse(context);
  return parsed.success
    ? { ok: true, value: parsed.data as HookContext }
    : { ok: false, refusal: zodRefusal(`Invalid context for hook ${hook}`, parsed.error.issues, ['context']) };
}

// ---- FHIR resources the service reads --------------------------------------------------------

const MALFORMED_RESOURCES = 'FHIR resources are malformed where the service reads them';

interface FoundLine {
  path: PropertyKey[];
  /** The service's line: `prefetch.meds: MedicationRequest/abc: dosageInstruction: …`. */
  line: string;
}

/**
 * What the service reads of a resource, and so checks: an Observation by a code no rule reads is
 * checked only up to its code (its other elements are never looked at).
 */
export const SERVICE_READ_SCOPE: ReadScope = { observationLoincCodes: READ_OBSERVATION_LOINC_CODES };

const NO_LINES: FoundLine[] = [];

/** `where: MedicationRequest/abc: dosageInstruction: expected array` lines for one resource. */
function resourceLines(where: string, resource: Resource, path: PropertyKey[]): FoundLine[] {
  const problems = resourceProblems(resource, SERVICE_READ_SCOPE);
  if (problems.length === 0) return NO_LINES; // the usual case: no label, no arrays
  const label = `${resource.resourceType}${resource.id ? `/${resource.id}` : ''}`;
  return problems.map((p) => ({ path, line: `${where}: ${label}: ${p}` }));
}

function malformedResourcesRefusal(found: FoundLine[]): RequestRefusal | undefined {
  if (found.length === 0) return undefined;
  const details = found.slice(0, MAX_REPORTED_PROBLEMS).map((f) => f.line);
  if (found.length > details.length) details.push(`… and ${found.length - details.length} more`);
  return {
    message: MALFORMED_RESOURCES,
    details,
    code: 'COP_ERR_INVALID_REQUEST',
    problems: found.map((f) => ({ path: f.path, message: `${MALFORMED_RESOURCES}: ${f.line}` })),
  };
}

/** Draft orders (a context that passed its schema) whose elements the service reads are malformed. */
export function draftOrderRefusal(context: HookContext): RequestRefusal | undefined {
  return malformedResourcesRefusal(
    (context.draftOrders?.entry ?? []).flatMap((e, i) =>
      e.resource ? resourceLines(`context.draftOrders.entry.${i}`, e.resource, ['context', 'draftOrders', 'entry', i, 'resource']) : [],
    ),
  );
}

/** Each selection must name a draft order (`ResourceType/id` of an entry of draftOrders). */
export function selectionRefusal(context: HookContext): RequestRefusal | undefined {
  if (!context.selections || !context.draftOrders) return undefined;
  const drafted = new Set(
    (context.draftOrders.entry ?? []).flatMap((e) => (e.resource?.id ? [`${e.resource.resourceType}/${e.resource.id}`] : [])),
  );
  const dangling = context.selections.flatMap((selection, i) => (drafted.has(selection) ? [] : [{ selection, i }]));
  if (dangling.length === 0) return undefined;
  return {
    message: 'Every context.selections item must name an entry in context.draftOrders (ResourceType/id)',
    details: dangling.map(({ selection }) => `not in draftOrders: ${selection}`),
    code: 'COP_ERR_INVALID_REQUEST',
    problems: dangling.map(({ selection, i }) => ({
      path: ['context', 'selections', i],
      message: `${selection} is not in context.draftOrders (each selection must point to a draft order)`,
    })),
  };
}

const MALFORMED_PREFETCH = 'Prefetch values are malformed FHIR';

/** Prefetch values under these keys whose envelope is broken (checked before anything walks them). */
export function prefetchEnvelopeRefusal(prefetch: Record<string, unknown> | undefined, keys: readonly string[]): RequestRefusal | undefined {
  return envelopeRefusalOf(keys.map((key) => ({ key, state: classifyPrefetchValue(prefetch?.[key]) })));
}

/** The same, for values already classified (the service classifies each value once). */
export function envelopeRefusalOf(classified: readonly { key: string; state: PrefetchValueState }[]): RequestRefusal | undefined {
  const found = classified.flatMap(({ key, state }): FoundLine[] => {
    return state.kind === 'malformed' ? state.problems.map((p) => ({ path: ['prefetch', key], line: `prefetch.${key}${p.startsWith('(') ? '' : '.'}${p}` })) : [];
  });
  if (found.length === 0) return undefined;
  return {
    message: MALFORMED_PREFETCH,
    details: found.slice(0, MAX_REPORTED_PROBLEMS).map((f) => f.line),
    code: 'COP_ERR_INVALID_REQUEST',
    problems: found.map((f) => ({ path: f.path, message: `${MALFORMED_PREFETCH}: ${f.line}` })),
  };
}

/** Resources the EHR sent under prefetch keys whose elements the service reads are malformed. */
export function prefetchResourceRefusal(sent: readonly { key: string; resources: readonly Resource[] }[]): RequestRefusal | undefined {
  const found: FoundLine[] = [];
  for (const { key, resources } of sent) {
    for (const r of resources) {
      const lines = resourceLines(`prefetch.${key}`, r, ['prefetch', key]);
      if (lines.length > 0) found.push(...lines);
    }
  }
  return malformedResourcesRefusal(found);
}

/** A Patient that is not the context's patient must never drive a dose (safety, not leniency). */
export function patientRefusal(patient: { id?: string | undefined } | undefined, patientId: string, path: PropertyKey[] = ['prefetch', 'patient', 'id']): RequestRefusal | undefined {
  if (!patient?.id || patient.id === patientId) return undefined;
  const message = 'prefetch.patient is a different patient from context.patientId';
  return { message, details: [], code: 'COP_ERR_INVALID_REQUEST', problems: [{ path, message }] };
}

// ---- all of them, for the checker ------------------------------------------------------------

/** Which part of the call a refusal comes from: the body, its context, or its prefetch. */
export type RequestStage = 'request' | 'context' | 'prefetch';

export interface StagedRefusal {
  stage: RequestStage;
  refusal: RequestRefusal;
}

/** The first Patient among the resources sent under these keys (the one the service reads), and where it is. */
function firstPatient(prefetch: Record<string, unknown>, keys: readonly string[]): { patient: Resource; path: PropertyKey[] } | undefined {
  for (const key of keys) {
    const state = classifyPrefetchValue(prefetch[key]);
    if (state.kind !== 'resources') continue;
    const patient = state.resources.find((r) => r.resourceType === 'Patient');
    if (!patient) continue;
    const value = prefetch[key] as { entry?: { resource?: unknown }[] };
    const entry = patient === value ? -1 : (value.entry ?? []).findIndex((e) => e.resource === patient);
    return { patient, path: entry < 0 ? ['prefetch', key, 'id'] : ['prefetch', key, 'entry', entry, 'resource', 'id'] };
  }
  return undefined;
}

/**
 * Every refusal the service can tell from the body alone, in the order it checks them. The
 * service answers only the first; this goes on wherever the body still lets it (a bad context
 * does not hide a malformed prefetch value), so that one run lists what to fix.
 *
 * `service`: the service the body is for (its id, hook and prefetch keys). Without it, the body's
 * own hook is taken (an unknown hook: no context checks) and every prefetch key it sends is read,
 * as the service reads every key it declares in discovery.
 */
export function requestRefusals(body: unknown, service?: Pick<CdsServiceDefinition, 'id' | 'hook' | 'prefetch'>): StagedRefusal[] {
  const out: StagedRefusal[] = [];
  const add = (stage: RequestStage, refusal: RequestRefusal | undefined): void => {
    if (refusal) out.push({ stage, refusal });
  };
  const request = checkHookRequest(body);
  if (!request.ok) add('request', request.refusal);
  if (!isObject(body)) return out;
  if (service && typeof body.hook === 'string' && body.hook.length > 0) add('request', wrongHookRefusal(service, body.hook));

  const hook = service?.hook ?? (SUPPORTED_HOOKS as unknown[]).find((h) => h === body.hook) as SupportedHook | undefined;
  const rawContext = body.context;
  if (hook && isObject(rawContext)) {
    const context = checkContext(hook, rawContext);
    if (!context.ok) add('context', context.refusal);
    else {
      add('context', draftOrderRefusal(context.value));
      add('context', selectionRefusal(context.value));
    }
  }

  const prefetch = body.prefetch;
  if (isObject(prefetch)) {
    const keys = service ? Object.keys(service.prefetch) : Object.keys(prefetch);
    add('prefetch', prefetchEnvelopeRefusal(prefetch, keys));
    const sent = keys.flatMap((key) => {
      const state = classifyPrefetchValue(prefetch[key]);
      return state.kind === 'resources' ? [{ key, resources: state.resources }] : [];
    });
    add('prefetch', prefetchResourceRefusal(sent));
    const patient = firstPatient(prefetch, keys);
    const patientId = isObject(rawContext) ? rawContext.patientId : undefined;
    if (patient && typeof patientId === 'string') add('prefetch', patientRefusal(patient.patient, patientId, patient.path));
  }
  return out;
}
