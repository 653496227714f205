/**
 * `cop-cds call`: what an EHR does when a hook fires. Discovery (GET /cds-services), pick the
 * service, build the request (from a patient file, or by running the service's prefetch
 * templates against a FHIR server with GET), sign it when a key is given (a fresh JWT per call,
 * aud = the URL called), POST it, and print the cards (or the raw JSON).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fillTemplate } from '../cds/prefetch.js';
import type { HookContext } from '../cds/wire.js';
import { checkResponse } from './check.js';
import { redate, shiftDaysFor } from './redate.js';
import { outcomeDiagnostics, renderCards, renderProblems, type Painter } from './render.js';
import { CliError, type Signer } from './sign.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Output {
  write(text: string): void;
}

export interface CallOptions {
  /** `http://host:port`, `…/cds-services` or `…/cds-services/{id}`. */
  url: string;
  hook?: string;
  service?: string;
  patientFile?: string;
  fhir?: string;
  patient?: string;
  encounter?: string;
  user?: string;
  drafts?: string[];
  fhirToken?: string;
  omitFhirServer?: boolean;
  signer?: Signer;
  /** Base URL the service knows itself by (its PUBLIC_BASE_URL), for `aud`; default: the URL called. */
  audBase?: string;
  json?: boolean;
  redate?: boolean;
  check?: boolean;
  timeoutMs?: number;
  out: Output;
  err: Output;
  /** Painters for stdout and stderr. */
  paint: Painter;
  paintErr: Painter;
  now?: () => Date;
}

interface Target {
  base: string;
  serviceId?: string;
}

/** Splits the service URL into the CDS base (…/cds-services stripped) and an optional service id. */
export function parseServiceUrl(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`not a URL: ${url} (e.g. http://localhost:8080 or http://localhost:8080/cds-services/cop-order-select)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`the service URL must be http(s): ${url}`);
  const path = u.pathname.replace(/\/+$/, '');
  const m = /^(.*?)\/cds-services(?:\/([^/]+))?$/.exec(path);
  const basePath = m ? m[1]! : path;
  const serviceId = m?.[2] ? decodeURIComponent(m[2]) : undefined;
  return { base: `${u.origin}${basePath}`, ...(serviceId ? { serviceId } : {}) };
}

const readJson = (file: string, what: string): unknown => {
  try {
    return JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new CliError(`${what} ${file}: ${(error as Error).message}`);
  }
};

async function http(
  method: 'GET' | 'POST',
  url: string,
  options: { timeoutMs: number; bearer?: string; body?: string; accept?: string },
): Promise<{ status: number; statusText: string; body: unknown; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: options.accept ?? 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
      },
      ...(options.body !== undefined ? { body: options.body } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new CliError(`${method} ${url}: ${why}`, 1);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, statusText: response.statusText, body, text };
}

function httpFailure(what: string, res: { status: number; statusText: string; body: unknown; text: string }, err: Output, p: Painter): number {
  err.write(`${p.paint(`${what}: HTTP ${res.status} ${res.statusText}`, 'red', 'bold')}\n`);
  const diagnostics = outcomeDiagnostics(res.body);
  if (diagnostics.length > 0) for (const d of diagnostics) err.write(`  ${d}\n`);
  else if (res.text) err.write(`  ${res.text.slice(0, 500)}\n`);
  if (res.status === 401) err.write(p.paint('  (authentication: give --key, --iss and --kid; aud must be the service’s own URL: see --aud)\n', 'dim'));
  return 1;
}

interface DiscoveryEntry {
  id: string;
  hook: string;
  title?: string;
  prefetch?: Record<string, string>;
}

function pickService(services: DiscoveryEntry[], id: string | undefined, hook: string | undefined): DiscoveryEntry {
  const known = services.map((s) => `${s.id} (${s.hook})`).join(', ') || 'none';
  if (id) {
    const found = services.filter((s) => s.id === id);
    const match = (hook ? found.find((s) => s.hook === hook) : undefined) ?? found[0];
    if (!match) throw new CliError(`no service "${id}" in discovery; the service offers: ${known}`, 1);
    return match;
  }
  if (!hook) throw new CliError(`give --hook or --service (or a request file with "hook"); the service offers: ${known}`);
  const match = services.find((s) => s.hook === hook);
  if (!match) throw new CliError(`no service for hook "${hook}"; the service offers: ${known}`, 1);
  return match;
}

/** Draft orders from `--draft` files: a resource each, or a Bundle whose entries are taken. */
function readDrafts(files: string[]): Json[] {
  return files.flatMap((file) => {
    const value = readJson(file, '--draft');
    if (isObject(value) && value.resourceType === 'Bundle') {
      return (Array.isArray(value.entry) ? value.entry : []).map((e) => (isObject(e) ? e.resource : undefined)).filter(isObject);
    }
    if (!isObject(value) || typeof value.resourceType !== 'string' || typeof value.id !== 'string') {
      throw new CliError(`--draft ${file}: not a FHIR resource with an id (e.g. a MedicationRequest with status draft)`);
    }
    return [value];
  });
}

/** GET each template like an EHR: 404 on a read → null; an error outcome passed on; other failures leave the key out. */
async function prefetchFromFhir(
  templates: Record<string, string>,
  context: Json,
  fhirBase: string,
  options: CallOptions,
): Promise<Json> {
  const base = fhirBase.replace(/\/+$/, '');
  const results = await Promise.all(
    Object.entries(templates).map(async ([key, template]) => {
      const relative = fillTemplate(template, context as HookContext);
      if (relative === undefined) return { key, note: 'left out (a token has no value in this context)' };
      const res = await http('GET', `${base}/${relative}`, {
        timeoutMs: options.timeoutMs ?? 30_000,
        accept: 'application/fhir+json',
        ...(options.fhirToken ? { bearer: options.fhirToken } : {}),
      });
      if (res.status === 404 && !relative.includes('?')) return { key, value: null, note: 'null (read answered 404)' };
      if (res.status >= 200 && res.status < 300 && isObject(res.body)) return { key, value: res.body, note: describe(res.body) };
      if (isObject(res.body) && res.body.resourceType === 'OperationOutcome') return { key, value: res.body, note: `OperationOutcome (HTTP ${res.status})` };
      return { key, note: `left out (HTTP ${res.status})` };
    }),
  );
  const prefetch: Json = {};
  for (const r of results) {
    if ('value' in r) prefetch[r.key] = r.value;
    options.err.write(options.paintErr.paint(`  prefetch ${r.key}: ${r.note}\n`, 'dim'));
  }
  return prefetch;
}

function describe(resource: Json): string {
  if (resource.resourceType !== 'Bundle') return `${String(resource.resourceType)}/${String(resource.id ?? '?')}`;
  const n = Array.isArray(resource.entry) ? resource.entry.length : 0;
  const next = Array.isArray(resource.link) && resource.link.some((l) => isObject(l) && l.relation === 'next');
  return `Bundle, ${n} entr${n === 1 ? 'y' : 'ies'}${next ? ' (first page; next link kept)' : ''}`;
}

async function buildRequest(service: DiscoveryEntry, file: Json | undefined, options: CallOptions): Promise<Json> {
  const isRequest = file !== undefined && (isObject(file.context) || typeof file.hook === 'string');
  const fileContext = isRequest && isObject(file.context) ? file.context : undefined;
  const filePrefetch = isRequest ? (isObject(file.prefetch) ? file.prefetch : undefined) : file;

  const patientFromPrefetch = isObject(filePrefetch?.patient) ? filePrefetch.patient.id : undefined;
  const patientId = options.patient ?? fileContext?.patientId ?? patientFromPrefetch;
  if (typeof patientId !== 'string') throw new CliError('no patient id: give --patient, or a file whose context.patientId or prefetch.patient.id names one');
  const context: Json = {
    ...(fileContext ?? {}),
    userId: options.user ?? fileContext?.userId ?? 'Practitioner/cop-cds-cli',
    patientId,
    ...(options.encounter ? { encounterId: options.encounter } : {}),
  };
  if (options.drafts && options.drafts.length > 0) {
    const drafts = readDrafts(options.drafts);
    context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) };
    if (service.hook === 'order-select') context.selections = drafts.map((d) => `${String(d.resourceType)}/${String(d.id)}`);
  }
  if (service.hook === 'order-select' || service.hook === 'order-sign') {
    if (!isObject(context.draftOrders)) throw new CliError(`${service.hook} needs draft orders: give --draft <MedicationRequest.json> or a request file with context.draftOrders`);
    if (service.hook === 'order-select' && !Array.isArray(context.selections)) {
      const entries = Array.isArray(context.draftOrders.entry) ? context.draftOrders.entry : [];
      context.selections = entries.map((e) => (isObject(e) && isObject(e.resource) ? `${String(e.resource.resourceType)}/${String(e.resource.id)}` : '')).filter(Boolean);
    }
  }
  if (service.hook !== 'order-select') delete context.selections;
  if (service.hook === 'patient-view') delete context.draftOrders;

  const request: Json = {
    hook: service.hook,
    hookInstance: randomUUID(),
    ...(isRequest && typeof file.fhirServer === 'string' ? { fhirServer: file.fhirServer } : {}),
    ...(isRequest && isObject(file.fhirAuthorization) ? { fhirAuthorization: file.fhirAuthorization } : {}),
    context,
  };
  if (options.fhir) {
    options.err.write(options.paintErr.paint(`Prefetch from ${options.fhir} (${Object.keys(service.prefetch ?? {}).length} templates):\n`, 'dim'));
    request.prefetch = await prefetchFromFhir(service.prefetch ?? {}, context, options.fhir, options);
    if (!options.omitFhirServer) request.fhirServer = options.fhir.replace(/\/+$/, '');
  } else if (filePrefetch && Object.keys(filePrefetch).length > 0) {
    request.prefetch = filePrefetch;
  }
  if (options.fhirToken) {
    request.fhirAuthorization = {
      access_token: options.fhirToken,
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'patient/*.read',
      subject: 'cop-cds',
      patient: patientId,
    };
  }
  if (options.redate) return redate(request, shiftDaysFor((options.now ?? (() => new Date()))())) as Json;
  return request;
}

export async function call(options: CallOptions): Promise<number> {
  const { base, serviceId: idFromUrl } = parseServiceUrl(options.url);
  const audBase = (options.audBase ?? base).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (options.fhir && options.patientFile) throw new CliError('give either --patient-file or --fhir with --patient, not both');
  if (!options.fhir && !options.patientFile) throw new CliError('give --patient-file <request-or-prefetch.json>, or --fhir <base> --patient <id>');
  if (options.fhir && !options.patient) throw new CliError('--fhir needs --patient <id>');

  const file = options.patientFile ? readJson(options.patientFile, '--patient-file') : undefined;
  if (file !== undefined && !isObject(file)) throw new CliError(`--patient-file ${options.patientFile}: not a JSON object (a CDS Hooks request, or a prefetch object)`);
  const hook = options.hook ?? (isObject(file) && typeof file.hook === 'string' ? file.hook : undefined);

  const discoveryUrl = `${base}/cds-services`;
  const discovery = await http('GET', discoveryUrl, {
    timeoutMs,
    ...(options.signer ? { bearer: await options.signer(`${audBase}/cds-services`) } : {}),
  });
  if (discovery.status !== 200) return httpFailure(`GET ${discoveryUrl}`, discovery, options.err, options.paintErr);
  const services = isObject(discovery.body) && Array.isArray(discovery.body.services) ? (discovery.body.services.filter(isObject) as unknown as DiscoveryEntry[]) : undefined;
  if (!services) throw new CliError(`GET ${discoveryUrl}: not a CDS Hooks discovery document ({"services": [...]})`, 1);
  const service = pickService(services, options.service ?? idFromUrl, hook);

  const request = await buildRequest(service, file as Json | undefined, options);
  const serviceUrl = `${base}/cds-services/${encodeURIComponent(service.id)}`;
  const res = await http('POST', serviceUrl, {
    timeoutMs,
    body: JSON.stringify(request),
    ...(options.signer ? { bearer: await options.signer(`${audBase}/cds-services/${encodeURIComponent(service.id)}`) } : {}),
  });
  if (res.status !== 200) return httpFailure(`POST ${serviceUrl}`, res, options.err, options.paintErr);
  if (res.body === undefined) {
    options.err.write(`POST ${serviceUrl}: HTTP 200 but the body is not JSON\n`);
    return 1;
  }
  if (options.json) options.out.write(`${JSON.stringify(res.body, null, 2)}\n`);
  else options.out.write(renderCards(res.body, options.paint, `${service.id} (${service.hook})`));
  if (options.check !== false) {
    const problems = checkResponse(res.body);
    if (problems.length > 0) {
      options.err.write(options.paintErr.paint('\nThe response breaks CDS Hooks 2.0 rules:\n', 'yellow'));
      options.err.write(renderProblems(problems, options.paintErr, 'response'));
    }
  }
  return 0;
}
