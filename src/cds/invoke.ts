/**
 * One hook call, end to end, without HTTP: validate the context for the hook → resolve prefetch
 * (fetching gaps through the FHIR fallback) → facts → rules → patient-view suppression → cards →
 * record what was shown (so feedback can be joined to it).
 */
import type { Bundle } from 'fhir/r4.js';
import type { FastifyBaseLogger } from 'fastify';
import { renderCard, type RenderOptions, type SiteOverrideReasons } from './cards.js';
import { evaluateRules } from '../cop/evaluate.js';
import { extractFacts } from '../cop/facts.js';
import type { Thresholds } from '../cop/knowledge.js';
import type { Finding, FormularyProfile, HookName, RuleContext } from '../cop/rule-types.js';
import type { RuleId } from '../cop/knowledge.js';
import { appliesTo, applySuppression, ONCE_PER_INTERVAL_RULES, suppressionWindows } from '../cop/suppression.js';
import type { Terminology } from '../cop/valuesets.js';
import { storeErrorReason } from '../store/errors.js';
import type { CdsStore } from '../store/types.js';
import { shownCardsOf } from './card-records.js';
import { ForbiddenError } from '../errors.js';
import { DEFAULT_SITE_TIME_ZONE, siteClock } from '../fhir/dates.js';
import type { FhirAllowlist } from './fhir-allowlist.js';
import type { FhirFallback } from './fhir-fallback.js';
import type { CdsObserver } from './observer.js';
import { resolvePrefetch } from './prefetch.js';
import { checkContext, draftOrderRefusal, patientRefusal, refusalError, selectionRefusal } from './request-checks.js';
import type { RegisteredService } from './service-registry.js';
import type { CdsResponse, HookContext, HookRequest } from './wire.js';

export interface InvokeDeps {
  thresholds: Thresholds;
  formulary: FormularyProfile;
  medicationRequestIntent: 'order' | 'proposal';
  fallback: FhirFallback;
  /** FHIR servers a request may name as `fhirServer` (built once at start-up). */
  fhirAllowlist: FhirAllowlist;
  /** Time for all FHIR calls of one hook call, from its start (FHIR_DEADLINE_MS). */
  fhirDeadlineMs: number;
  clock: () => Date;
  /** IANA zone whose calendar date is "today" for facts and rules (SITE_TIME_ZONE; default UTC). */
  siteTimeZone?: string;
  newId: () => string;
  /** Shown cards and feedback; also the history the patient-view suppression windows read. */
  store: CdsStore;
  /** Keyed hash of a patient id: the only form in which a patient reaches the store. */
  patientKeyOf: (patientId: string) => string;
  /** Operator metrics (service calls, cards, feedback); none when metrics are off. */
  observer?: CdsObserver;
  /** The code lists with the site's local codes (site configuration; built once at start-up). */
  terminology?: Terminology;
  /** The site's override reasons per rule (site configuration). */
  overrideReasons?: SiteOverrideReasons;
}

export interface InvokeOptions {
  evidenceUrl?: string;
  log: FastifyBaseLogger;
  /**
   * Takes what the call's log should say about it (the rules that fired, how many were suppressed)
   * to put on the call's one access line; without it, the call logs its own "rules evaluated" line.
   */
  logFields?: (fields: Record<string, unknown>) => void;
}

/** The context for the service's hook, then its draft orders, then its selections: the first refusal is the answer. */
function parseContext(service: RegisteredService, request: HookRequest): HookContext {
  const checked = checkContext(service.definition.hook, request.context);
  if (!checked.ok) throw refusalError(checked.refusal);
  const context = checked.value;
  const malformed = draftOrderRefusal(context);
  if (malformed) throw refusalError(malformed);
  const dangling = selectionRefusal(context);
  if (dangling) throw refusalError(dangling);
  return context;
}

export async function invokeService(
  service: RegisteredService,
  request: HookRequest,
  deps: InvokeDeps,
  options: InvokeOptions,
): Promise<CdsResponse> {
  // Before anything else, and whether or not prefetch is complete: a request naming a server the
  // operator did not allow gets no outbound call at all (R-FRA-05, SSRF).
  if (request.fhirServer !== undefined && deps.fhirAllowlist.match(request.fhirServer) === undefined) {
    throw new ForbiddenError(
      `fhirServer ${JSON.stringify(request.fhirServer.slice(0, 200))} is not an allowed FHIR server; the operator lists allowed servers in CDS_FHIR_ALLOWLIST (or CDS_FHIR_ALLOW_HTTP for local demos)`,
    );
  }
  // Not AbortSignal.timeout: its timer cannot be cleared, so every call's would live on for the
  // whole deadline after the answer (600 timers at 200 calls/s with the 3 s default).
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(new DOMException('The hook call\'s FHIR deadline passed', 'TimeoutError')), deps.fhirDeadlineMs);
  try {
    return await answerCall(service, request, deps, options, deadline.signal);
  } finally {
    clearTimeout(deadlineTimer);
  }
}

async function answerCall(
  service: RegisteredService,
  request: HookRequest,
  deps: InvokeDeps,
  options: InvokeOptions,
  fhirDeadline: AbortSignal,
): Promise<CdsResponse> {
  const context = parseContext(service, request);
  const now = deps.clock();
  // Facts and rules count days on the site's calendar (decision 22): they get the site clock, whose
  // UTC fields are the site's local date and time. The store and the suppression windows keep `now`.
  const siteNow = siteClock(now, deps.siteTimeZone ?? DEFAULT_SITE_TIME_ZONE);

  const resolution = await resolvePrefetch({
    service: service.definition,
    context,
    prefetch: request.prefetch,
    hookInstance: request.hookInstance,
    fallback: deps.fallback,
    signal: fhirDeadline,
    ...(request.fhirServer ? { fhirServer: request.fhirServer } : {}),
    ...(request.fhirAuthorization ? { accessToken: request.fhirAuthorization.access_token } : {}),
  });
  // A Patient that is not the context's patient must never drive a dose (safety, not leniency).
  const otherPatient = patientRefusal(resolution.pool.patient, context.patientId);
  if (otherPatient) throw refusalError(otherPatient);
  options.log.debug({ sources: resolution.sources, partialKeys: resolution.partialKeys, medicationReferences: resolution.medicationReferences }, 'prefetch resolved');

  const facts = extractFacts(
    resolution.pool,
    {
      patientId: context.patientId,
      selections: context.selections ?? [],
      ...(context.draftOrders ? { draftOrders: context.draftOrders as Bundle } : {}),
    },
    siteNow,
    deps.thresholds,
    deps.terminology,
  );
  const ruleContext: RuleContext = {
    hook: service.definition.hook,
    now: siteNow,
    thresholds: deps.thresholds,
    formulary: deps.formulary,
    medicationRequestIntent: deps.medicationRequestIntent,
  };
  const patientKey = deps.patientKeyOf(context.patientId);
  const evaluated = evaluateRules(service.rules, facts, ruleContext);
  const findings = await suppressRepeats(evaluated, ruleContext.hook, patientKey, now, deps, options.log, fhirDeadline);
  const evaluation = { rules: findings.map((f) => `${f.ruleId}:${f.indicator}`), suppressed: evaluated.length - findings.length };
  if (options.logFields) options.logFields(evaluation);
  else options.log.info(evaluation, 'rules evaluated');
  const renderOptions: RenderOptions = {
    newId: deps.newId,
    ...(options.evidenceUrl ? { evidenceUrl: options.evidenceUrl } : {}),
    ...(deps.overrideReasons ? { overrideReasons: deps.overrideReasons } : {}),
  };
  const cards = findings.map((f) => renderCard(f, renderOptions));
  const shown = shownCardsOf(cards, { serviceId: service.definition.id, hook: ruleContext.hook, hookInstance: request.hookInstance, patientKey, shownAt: now });
  try {
    await deps.store.recordShownCards(shown);
  } catch (err) {
    // The cards are the answer; a record the store cannot take must not cost it.
    options.log.warn({ reason: storeErrorReason(err), records: shown.length }, 'shown cards not recorded: the store is unavailable');
  }
  deps.observer?.cardsShown(shown);
  return { cards };
}

/** Least time the suppression reads get when the FHIR deadline has (nearly) passed. */
const MIN_SUPPRESSION_WAIT_MS = 250;

/**
 * patient-view only: drop cards overridden within 24 h and reminders already shown this interval.
 * When the store cannot answer (down, frozen past the call's deadline), the cards are answered
 * unsuppressed, logged and counted: a repeated card is noise, a missing card a gap in care.
 */
async function suppressRepeats(
  findings: Finding[],
  hook: HookName,
  patientKey: string,
  now: Date,
  deps: InvokeDeps,
  log: FastifyBaseLogger,
  deadline: AbortSignal,
): Promise<Finding[]> {
  if (!appliesTo(hook) || findings.length === 0) return findings;
  const windows = suppressionWindows(now, deps.thresholds);
  const ruleIds = findings.map((f) => f.ruleId);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const oncePerInterval = ruleIds.filter((id) => ONCE_PER_INTERVAL_RULES.includes(id));
    const reads = Promise.all([
      deps.store.overriddenRules(patientKey, ruleIds, windows.overrideSince),
      // No once-per-interval rule fired: nothing to ask the store (a round trip saved per call).
      oncePerInterval.length > 0 ? deps.store.shownRules(patientKey, oncePerInterval, windows.intervalSince, hook) : Promise.resolve(new Set<RuleId>()),
    ]);
    const late = new Promise<never>((_, reject) => {
      const expire = (): void => {
        timer = setTimeout(() => reject(new Error('no answer within the hook deadline')), MIN_SUPPRESSION_WAIT_MS);
      };
      if (deadline.aborted) expire();
      else {
        onAbort = expire;
        deadline.addEventListener('abort', onAbort, { once: true });
      }
    });
    reads.catch(() => undefined);
    const [overridden, shownWithinInterval] = await Promise.race([reads, late]);
    return applySuppression(findings, { overridden, shownWithinInterval });
  } catch (err) {
    log.warn({ reason: storeErrorReason(err), rules: ruleIds }, 'store unavailable: cards answered without suppression');
    deps.observer?.storeUnavailable?.('suppression');
    return findings;
  } finally {
    clearTimeout(timer);
    if (onAbort) deadline.removeEventListener('abort', onAbort);
  }
}
