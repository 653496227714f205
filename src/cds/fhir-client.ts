/**
 * The FHIR fallback over HTTP: GET `{fhirServer}/{relativeUrl}` for a prefetch key the EHR did not
 * send, following `next` links of a searchset (R-PF-10, R-PF-14, R-FRA-02, R-FRA-07).
 *
 * One undici Agent serves every hook call, so connections to the EHR stay warm (keep-alive) and
 * their number is bounded (FHIR_MAX_CONNECTIONS per origin). Each GET has its own timeout
 * (FHIR_REQUEST_TIMEOUT_MS) and also stops at the hook call's deadline (the request's signal).
 *
 * Failures come back as `unavailable` with a reason for the 412 body and the logs. Reasons never
 * hold the URL (it carries the patient id), the token, or anything the server wrote. Nothing here
 * logs, and the token lives only in the headers of the calls of one hook request.
 */
import type { Bundle, BundleLink, OperationOutcome, Resource } from 'fhir/r4.js';
import { Agent, request } from 'undici';
import type { FhirSettings } from './fhir-settings.js';
import { envelopeProblems } from '../fhir/schemas.js';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.js';
import { createFhirAllowlist, pathUnderBase, type FhirAllowlist } from './fhir-allowlist.js';
import type { FetchBudget, FhirFallback, FhirFetchRequest, FhirFetchResult } from './fhir-fallback.js';
import { checkJsonLimits } from './json-limits.js';
import type { FhirFailureClass, FhirFetchObserver } from './observer.js';

export interface FhirClient {
  fallback: FhirFallback;
  /** Closes the connection pool once in-flight calls end (each is bounded by its deadline). */
  close(): Promise<void>;
  /** Per-server circuit breaker (FHIR_BREAKER_FAILURES, FHIR_BREAKER_COOLDOWN_MS). */
  breaker: CircuitBreaker;
}

/** A FHIR answer larger than this is refused rather than buffered (a long chart is a few MB). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Idle keep-alive connections are dropped after this long. */
const KEEP_ALIVE_MS = 30_000;

type Page = { kind: 'resource'; resource: Resource } | { kind: 'gone' } | { kind: 'failed'; reason: string; cls: FhirFailureClass };

/** How a call bears on the server's circuit: it worked, it failed, or it says nothing (our own deadline). */
type Verdict = 'success' | 'failure' | 'neutral';

/** Answers a working server gives: 4xx (refusals, not found, bad search) except timeouts and throttling. */
const serverAnswered = (status: number): boolean => status < 500 && status !== 408 && status !== 429;

const DEADLINE_REASON = 'the FHIR deadline of this hook call (FHIR_DEADLINE_MS) passed';
const OVER_BYTES_REASON = 'the FHIR data of this hook call reached its size limit (BODY_LIMIT_BYTES, as for prefetch)';
const OVER_ENTRIES_REASON = 'the FHIR data of this hook call reached its entry limit (MAX_JSON_ARRAY_LENGTH, as for prefetch)';

const unavailable = (reason: string): FhirFetchResult => ({ status: 'unavailable', reason });
const failed = (reason: string, cls: FhirFailureClass): Page => ({ kind: 'failed', reason, cls });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `Patient/123` is a read; anything with a query or another shape is a search. */
const isRead = (relativeUrl: string): boolean => /^[A-Za-z]+\/[^/?#]+$/.test(relativeUrl);

const isSearchset = (r: Resource): r is Bundle => r.resourceType === 'Bundle' && (r as Bundle).type === 'searchset';

const nextLink = (bundle: Bundle): string | undefined =>
  (bundle.link ?? []).find((l: BundleLink) => l.relation === 'next' && typeof l.url === 'string' && l.url.length > 0)?.url;

function statusReason(status: number): string {
  if (status === 401 || status === 403) return `the FHIR server refused access (HTTP ${status})`;
  return `the FHIR server answered HTTP ${status}`;
}

/** Issue codes only (a closed FHIR value set), never diagnostics, which may quote patient data. */
function outcomeReason(outcome: OperationOutcome): string {
  const codes = [...new Set((outcome.issue ?? []).map((i) => i.code).filter((c) => typeof c === 'string' && /^[a-z-]{1,40}$/.test(c)))];
  return `the FHIR server answered with an OperationOutcome${codes.length > 0 ? ` (${codes.slice(0, 3).join(', ')})` : ''}`;
}

/** An error code such as ECONNREFUSED or UND_ERR_SOCKET; messages are not used as they may hold the URL. */
function networkReason(error: unknown): string {
  const codeOf = (e: unknown): unknown => (isObject(e) ? e.code : undefined);
  const code = codeOf(error) ?? (isObject(error) ? codeOf(error.cause) : undefined);
  return typeof code === 'string' && /^[A-Z0-9_]{1,60}$/.test(code)
    ? `the FHIR server could not be reached (${code})`
    : 'the FHIR server could not be reached';
}

/**
 * The body as text, counting its bytes against the hook call's budget as they arrive (shared by
 * the call's concurrent fetches); undefined, with the rest left unread, once the budget is spent.
 */
async function readWithinBudget(body: AsyncIterable<Buffer>, budget: FetchBudget, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    budget.bytes += chunk.length;
    if (budget.bytes > maxBytes) return undefined; // leaving the loop destroys the stream
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createFhirFallback(
  fhir: FhirSettings,
  allowlist: FhirAllowlist = createFhirAllowlist(fhir),
  breaker: CircuitBreaker = createCircuitBreaker({ failures: fhir.breakerFailures ?? 5, cooldownMs: fhir.breakerCooldownMs ?? 30_000 }),
  /** Told the result of each fetch that reaches a server (metrics); never given URL, token or body. */
  observe: FhirFetchObserver = () => undefined,
): FhirClient {
  const agent = new Agent({
    connections: fhir.maxConnections,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // Backstops: the per-call signal below normally ends a slow call first.
    connect: { timeout: fhir.requestTimeoutMs },
    headersTimeout: fhir.requestTimeoutMs,
    bodyTimeout: fhir.requestTimeoutMs,
    maxResponseSize: MAX_RESPONSE_BYTES,
  });

  /** One GET through the server's circuit breaker: fails fast while the circuit is open. */
  async function getPage(base: string, url: string, req: FhirFetchRequest): Promise<Page> {
    if (req.signal.aborted) return failed(DEADLINE_REASON, 'timeout');
    if (breaker.acquire(base) === 'reject') {
      return failed('FHIR server circuit open: it failed repeatedly and is not called until a cool-down passes (FHIR_BREAKER_COOLDOWN_MS)', 'circuit-open');
    }
    const { page, verdict } = await getPageOnce(url, req);
    if (verdict === 'success') breaker.success(base);
    else if (verdict === 'failure') breaker.failure(base);
    else breaker.neutral(base);
    return page;
  }

  /** One GET. Redirects are not followed: undici's `request` does not, so no hop off the allowed server. */
  async function getPageOnce(url: string, req: FhirFetchRequest): Promise<{ page: Page; verdict: Verdict }> {
    const deadlineReason = DEADLINE_REASON;
    const timeout = AbortSignal.timeout(fhir.requestTimeoutMs);
    const signal = AbortSignal.any([req.signal, timeout]);
    try {
      const response = await request(url, {
        dispatcher: agent,
        method: 'GET',
        headers: {
          accept: 'application/fhir+json',
          ...(req.accessToken ? { authorization: `Bearer ${req.accessToken}` } : {}),
        },
        signal,
      });
      const { statusCode, body } = response;
      if (statusCode < 200 || statusCode >= 300) {
        // Bounded: a server that sends an endless error body is cut off (and counted) by the timeout.
        await body.dump({ limit: 64 * 1024, signal });
        const verdict: Verdict = serverAnswered(statusCode) ? 'success' : 'failure';
        return { page: statusCode === 404 || statusCode === 410 ? { kind: 'gone' } : failed(statusReason(statusCode), 'http-status'), verdict };
      }
      // Not the server's fault: the call's budget is spent (other keys may have used it), so neutral.
      const budget = req.budget ?? { bytes: 0, items: 0 };
      const text = await readWithinBudget(body, budget, fhir.callBudget.maxBytes);
      if (text === undefined) return { page: failed(OVER_BYTES_REASON, 'over-budget'), verdict: 'neutral' };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { page: failed('the FHIR server answered with a body that is not JSON', 'invalid-response'), verdict: 'failure' };
      }
      if (!isObject(json) || typeof json.resourceType !== 'string') {
        return { page: failed('the FHIR server answered with JSON that is not a FHIR resource', 'invalid-response'), verdict: 'failure' };
      }
      // The same checks as a prefetch value, before any code here walks entries, links or issues.
      if (checkJsonLimits(json, { maxDepth: fhir.callBudget.maxDepth, maxArrayLength: fhir.callBudget.maxEntries }) !== undefined) {
        return { page: failed('the FHIR server answered with JSON nested too deep or with too long an array (MAX_JSON_DEPTH, MAX_JSON_ARRAY_LENGTH)', 'invalid-response'), verdict: 'failure' };
      }
      if (envelopeProblems(json).length > 0) {
        return { page: failed('the FHIR server answered with malformed FHIR (its entries, links, issues, types or ids)', 'invalid-response'), verdict: 'failure' };
      }
      const entries = Array.isArray(json.entry) ? json.entry.length : 0;
      budget.items += entries;
      if (budget.items > fhir.callBudget.maxEntries) return { page: failed(OVER_ENTRIES_REASON, 'over-budget'), verdict: 'neutral' };
      return { page: { kind: 'resource', resource: json as unknown as Resource }, verdict: 'success' };
    } catch (error) {
      // The hook call's deadline is this call's budget running out, not evidence against the server.
      if (req.signal.aborted) return { page: failed(deadlineReason, 'timeout'), verdict: 'neutral' };
      if (timeout.aborted) {
        return { page: failed(`the FHIR server did not answer within ${fhir.requestTimeoutMs} ms (FHIR_REQUEST_TIMEOUT_MS)`, 'timeout'), verdict: 'failure' };
      }
      return { page: failed(networkReason(error), 'network'), verdict: 'failure' };
    }
  }

  /**
   * Reads the pages after `first` while there is a `next` link on the same server, the page limit
   * and the deadline allow. Whatever stops it early leaves the `next` link on the merged Bundle, so
   * the caller sees the result as partial instead of silently complete.
   */
  async function followPages(first: Bundle, base: string, req: FhirFetchRequest): Promise<Bundle> {
    // Concatenated, never spread into push(): a page of many entries would overflow the stack.
    let entries = first.entry ?? [];
    let next = nextLink(first);
    let pages = (req.pagesAlreadyRead ?? 0) + 1;
    while (next !== undefined && pages < fhir.maxPages) {
      const relative = pathUnderBase(next, base);
      if (relative === undefined) break; // a link off the allowed server is never followed
      const page = await getPage(base, `${base}/${relative}`, req);
      if (page.kind !== 'resource' || !isSearchset(page.resource)) break;
      entries = entries.concat(page.resource.entry ?? []);
      next = nextLink(page.resource);
      pages += 1;
    }
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(first.total !== undefined ? { total: first.total } : {}),
      ...(next !== undefined ? { link: [{ relation: 'next', url: next }] } : {}),
      ...(entries.length > 0 ? { entry: entries } : {}),
    };
  }

  const fallback: FhirFallback = async (req) => {
    if (!req.fhirServer) return unavailable('the request names no fhirServer to fetch it from');
    const base = allowlist.match(req.fhirServer);
    if (base === undefined) return unavailable('fhirServer is not an allowed FHIR server');
    if ((req.pagesAlreadyRead ?? 0) >= fhir.maxPages) return unavailable('the page limit (FHIR_MAX_PAGES) was reached');

    const relativeUrl = req.relativeUrl.replace(/^\/+/, '');
    const first = await getPage(base, `${base}/${relativeUrl}`, req);
    if (first.kind === 'gone') {
      // A read that finds nothing is "no data"; a search that 404s means the server cannot answer it.
      if (isRead(relativeUrl)) return observed('ok', { status: 'ok', resource: null });
      return observed('http-status', unavailable(statusReason(404)));
    }
    if (first.kind === 'failed') return observed(first.cls, unavailable(first.reason));
    const resource = first.resource;
    if (resource.resourceType === 'OperationOutcome') return observed('outcome', unavailable(outcomeReason(resource as OperationOutcome)));
    if (!isSearchset(resource)) return observed('ok', { status: 'ok', resource });
    return observed('ok', { status: 'ok', resource: await followPages(resource, base, req) });
  };

  /** Reports a fetch that reached the HTTP layer; an observer that throws never changes the answer. */
  function observed(result: 'ok' | FhirFailureClass, answer: FhirFetchResult): FhirFetchResult {
    try {
      observe(result);
    } catch {
      // metrics only
    }
    return answer;
  }

  return {
    fallback,
    close: () => agent.close(),
    breaker,
  };
}
