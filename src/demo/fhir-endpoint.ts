/**
 * The embedded demo FHIR R4 endpoint (development only): `/demo/fhir`, read-only, open (no
 * authentication, no rate limit, CORS `*`), holding the synthetic patients of ./patients.ts, so
 * the CDS Hooks Sandbox or a SMART launcher can be pointed at it with no other server.
 *
 * A demo server, NOT a conformant one: it answers `metadata`, reads, and searches (GET, and POST
 * `_search` with a form body) on a handful of types with a few parameters: `_id`, `patient` /
 * `subject` (a bare id or `Patient/id`), `code` (comma list of `system|code` or `code`), `status`
 * and `clinical-status` (comma lists), `name` (Patient), `_sort` (`date` / `-date`) and `_count`
 * (a cut without paging). Every other parameter is ignored, never refused. Anything that would
 * write answers 405.
 *
 * Registered by buildApp only when `config.demoFhir` is on (never under NODE_ENV=production).
 * `allowOwnDemoFhir` lets the service's FHIR fallback call this endpoint on its own port, so the
 * Sandbox works without CDS_FHIR_ALLOW_HTTP.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Bundle, CapabilityStatement, CapabilityStatementRestResource, Resource } from 'fhir/r4.js';
import type { FhirAllowlist } from '../cds/fhir-allowlist.js';
import { normaliseFhirBase } from '../cds/fhir-allowlist.js';
import { operationOutcome, type ErrorCode, type IssueCode } from '../errors.js';
import { DEMO_PATIENTS, demoResources } from './patients.js';
import { registerDemoSmartServer } from './smart-server.js';

export const DEMO_FHIR_PREFIX = '/demo/fhir';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export interface DemoFhirOptions {
  /** "Now" for the demo data's relative dates (the app's clock). */
  clock: () => Date;
  /** PUBLIC_BASE_URL, for `fullUrl`s and links; otherwise taken from the request's Host. */
  publicBaseUrl?: string;
}

type Json = Record<string, unknown>;
type Params = Record<string, string[]>;

interface TypeSupport {
  /** Reference fields naming the patient (`patient`/`subject` search). */
  patientRef?: (r: Json) => unknown;
  code?: (r: Json) => unknown;
  status?: (r: Json) => unknown;
  clinicalStatus?: (r: Json) => unknown;
  date?: (r: Json) => unknown;
  searchParams: string[];
}

const get = (r: Json, ...path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Json)[key] : undefined), r);

const TYPES: Record<string, TypeSupport> = {
  Patient: { searchParams: ['_id', 'name'] },
  Condition: {
    patientRef: (r) => get(r, 'subject', 'reference'),
    code: (r) => get(r, 'code'),
    clinicalStatus: (r) => get(r, 'clinicalStatus'),
    date: (r) => get(r, 'recordedDate') ?? get(r, 'onsetDateTime'),
    searchParams: ['_id', 'patient', 'subject', 'code', 'clinical-status'],
  },
  Observation: {
    patientRef: (r) => get(r, 'subject', 'reference'),
    code: (r) => get(r, 'code'),
    status: (r) => get(r, 'status'),
    date: (r) => get(r, 'effectiveDateTime') ?? get(r, 'effectivePeriod', 'start') ?? get(r, 'issued'),
    searchParams: ['_id', 'patient', 'subject', 'code', 'status'],
  },
  MedicationRequest: {
    patientRef: (r) => get(r, 'subject', 'reference'),
    code: (r) => get(r, 'medicationCodeableConcept'),
    status: (r) => get(r, 'status'),
    date: (r) => get(r, 'authoredOn'),
    searchParams: ['_id', 'patient', 'subject', 'code', 'status'],
  },
  AllergyIntolerance: {
    patientRef: (r) => get(r, 'patient', 'reference'),
    code: (r) => get(r, 'code'),
    clinicalStatus: (r) => get(r, 'clinicalStatus'),
    date: (r) => get(r, 'recordedDate'),
    searchParams: ['_id', 'patient', 'code', 'clinical-status'],
  },
  ServiceRequest: {
    patientRef: (r) => get(r, 'subject', 'reference'),
    code: (r) => get(r, 'code'),
    status: (r) => get(r, 'status'),
    date: (r) => get(r, 'authoredOn'),
    searchParams: ['_id', 'patient', 'subject', 'code', 'status'],
  },
  Encounter: {
    patientRef: (r) => get(r, 'subject', 'reference'),
    status: (r) => get(r, 'status'),
    date: (r) => get(r, 'period', 'start'),
    searchParams: ['_id', 'patient', 'subject', 'status'],
  },
};

export const DEMO_FHIR_TYPES = Object.keys(TYPES);

/** Every value of every parameter, comma lists split: `code=a,b&code=c` → [[a, b], [c]] (AND of ORs). */
function valuesOf(params: Params, name: string): string[][] {
  return (params[name] ?? []).map((v) => v.split(',').map((x) => x.trim()).filter((x) => x.length > 0)).filter((l) => l.length > 0);
}

function codingsOf(concept: unknown): { system?: string; code?: string }[] {
  const codings = (concept as { coding?: unknown } | undefined)?.coding;
  return Array.isArray(codings) ? (codings as { system?: string; code?: string }[]) : [];
}

/** A token search value (`system|code`, `|code`, `code`) against a CodeableConcept. */
function tokenMatches(concept: unknown, token: string): boolean {
  const bar = token.indexOf('|');
  const system = bar >= 0 ? token.slice(0, bar) : undefined;
  const code = bar >= 0 ? token.slice(bar + 1) : token;
  return codingsOf(concept).some(
    (c) => (code === '' || c.code === code) && (system === undefined || (system === '' ? c.system === undefined : c.system === system)),
  );
}

const patientIdOf = (value: string): string => value.replace(/^.*Patient\//, '');

function matches(type: string, support: TypeSupport, r: Json, params: Params): boolean {
  for (const ids of valuesOf(params, '_id')) if (!ids.includes(String(r.id))) return false;
  for (const name of ['patient', 'subject']) {
    for (const refs of valuesOf(params, name)) {
      if (type === 'Patient') {
        if (!refs.map(patientIdOf).includes(String(r.id))) return false;
        continue;
      }
      const ref = support.patientRef?.(r);
      if (typeof ref !== 'string' || !refs.some((v) => `Patient/${patientIdOf(v)}` === ref)) return false;
    }
  }
  if (support.code) for (const tokens of valuesOf(params, 'code')) if (!tokens.some((t) => tokenMatches(support.code!(r), t))) return false;
  if (support.status) for (const statuses of valuesOf(params, 'status')) if (!statuses.includes(String(support.status(r)))) return false;
  if (support.clinicalStatus) {
    for (const statuses of valuesOf(params, 'clinical-status')) {
      if (!statuses.some((s) => tokenMatches(support.clinicalStatus!(r), s))) return false;
    }
  }
  if (type === 'Patient') {
    for (const names of valuesOf(params, 'name')) {
      const text = JSON.stringify(r.name ?? []).toLowerCase();
      if (!names.some((n) => text.includes(n.toLowerCase()))) return false;
    }
  }
  return true;
}

function sortKey(support: TypeSupport, r: Json): number {
  const value = support.date?.(r);
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
}

/** Query string or form body → name → values (repeated names kept). */
function paramsFrom(query: unknown, body?: unknown): Params {
  const out: Params = {};
  const add = (source: unknown): void => {
    if (source === null || typeof source !== 'object') return;
    for (const [k, v] of Object.entries(source as Json)) {
      const list = Array.isArray(v) ? v : [v];
      for (const item of list) if (typeof item === 'string') (out[k] ??= []).push(item);
    }
  };
  add(query);
  add(body);
  return out;
}

function baseUrlOf(request: FastifyRequest, publicBaseUrl: string | undefined): string {
  return `${publicBaseUrl ?? `${request.protocol}://${request.host}`}${DEMO_FHIR_PREFIX}`;
}

function sendFhir(reply: FastifyReply, status: number, resource: unknown): FastifyReply {
  return reply.code(status).type(FHIR_JSON).send(JSON.stringify(resource));
}

const sendOutcome = (reply: FastifyReply, status: number, code: IssueCode, message: string, errorCode?: ErrorCode): FastifyReply =>
  sendFhir(reply, status, operationOutcome(code, message, [], errorCode));

function capabilityStatement(base: string, now: Date): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: now.toISOString(),
    publisher: 'COP CDS (demo)',
    kind: 'instance',
    software: { name: 'COP CDS embedded demo FHIR server' },
    implementation: {
      description: 'Read-only demo FHIR R4 server with synthetic COP patients (development only; not a conformant FHIR server)',
      url: base,
    },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Unknown search parameters are ignored. _count cuts the result; there is no paging.',
        resource: Object.entries(TYPES).map(([type, support]) => ({
          type: type as CapabilityStatementRestResource['type'],
          interaction: [{ code: 'read' as const }, { code: 'search-type' as const }],
          searchParam: [
            ...support.searchParams.map((name) => ({
              name,
              type: (name === '_id' || name === 'code' || name.endsWith('status') ? 'token' : name === 'name' ? 'string' : 'reference') as
                'token' | 'string' | 'reference',
            })),
            ...(support.date ? [{ name: 'date', type: 'date' as const, documentation: 'Only as _sort=date / _sort=-date' }] : []),
          ],
        })),
      },
    ],
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/cors route options (merged over the app-wide ones). */
    cors?: { origin?: string; methods?: string; allowedHeaders?: string; exposedHeaders?: string; maxAge?: number };
  }
}

/** Every demo route: CORS `*` (the Sandbox runs in the browser), no rate limit, cross-origin CORP. */
const OPEN = {
  config: {
    cors: { origin: '*', methods: 'GET, POST, OPTIONS', allowedHeaders: 'Accept, Authorization, Content-Type, Prefer', maxAge: 600 },
    rateLimit: false as const,
  },
  helmet: { crossOriginResourcePolicy: { policy: 'cross-origin' as const } },
};

export const demoFhirRoutes: FastifyPluginAsync<DemoFhirOptions> = async (app, options) => {
  // Form bodies for POST {Type}/_search; this plugin's context only (the CDS routes stay JSON-only).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    const params: Params = {};
    for (const [k, v] of new URLSearchParams(body as string)) (params[k] ??= []).push(v);
    done(null, params);
  });

  const resources = (): Json[] => demoResources(options.clock()) as unknown as Json[];
  const unknownType = (reply: FastifyReply, type: string): FastifyReply =>
    sendOutcome(reply, 404, 'not-supported', `Resource type ${type.slice(0, 64)} is not served by this demo server`, 'COP_ERR_NOT_FOUND');

  function search(request: FastifyRequest, reply: FastifyReply, type: string, params: Params): FastifyReply {
    const support = TYPES[type];
    if (!support) return unknownType(reply, type);
    const base = baseUrlOf(request, options.publicBaseUrl);
    let found = resources().filter((r) => r.resourceType === type && matches(type, support, r, params));
    const sort = params._sort?.[0]?.split(',')[0]?.trim();
    if (sort === '-date' || sort === 'date') {
      const dir = sort === '-date' ? -1 : 1;
      found = found.map((r) => ({ r, k: sortKey(support, r) })).sort((a, b) => dir * (a.k - b.k) || 0).map((x) => x.r);
    }
    const total = found.length;
    const count = Number.parseInt(params._count?.[0] ?? '', 10);
    if (Number.isInteger(count) && count >= 0) found = found.slice(0, count);
    const query = new URLSearchParams(Object.entries(params).flatMap(([k, vs]) => vs.map((v) => [k, v] as [string, string]))).toString();
    const bundle: Bundle = {
      resourceType: 'Bundle',
      meta: { lastUpdated: options.clock().toISOString() },
      type: 'searchset',
      total,
      link: [{ relation: 'self', url: `${base}/${type}${query ? `?${query}` : ''}` }],
      entry: found.map((resource) => ({
        fullUrl: `${base}/${type}/${String(resource.id)}`,
        resource: resource as unknown as Resource,
        search: { mode: 'match' as const },
      })),
    };
    return sendFhir(reply, 200, bundle);
  }

  // A SMART-enabled demo server too: the Sandbox's launch request, EHR launch, PKCE token answer.
  registerDemoSmartServer(app, {
    clock: options.clock,
    baseOf: (request) => baseUrlOf(request, options.publicBaseUrl),
    routeOptions: OPEN,
    patientIds: new Set(DEMO_PATIENTS.map((p) => p.id)),
  });

  app.get('/metadata', OPEN, async (request, reply) =>
    sendFhir(reply, 200, capabilityStatement(baseUrlOf(request, options.publicBaseUrl), options.clock())),
  );

  app.get<{ Params: { type: string } }>('/:type', OPEN, async (request, reply) =>
    search(request, reply, request.params.type, paramsFrom(request.query)),
  );

  app.post<{ Params: { type: string } }>('/:type/_search', OPEN, async (request, reply) =>
    search(request, reply, request.params.type, paramsFrom(request.query, request.body)),
  );

  app.get<{ Params: { type: string; id: string } }>('/:type/:id', OPEN, async (request, reply) => {
    const { type, id } = request.params;
    if (!TYPES[type]) return unknownType(reply, type);
    const resource = resources().find((r) => r.resourceType === type && r.id === id);
    if (!resource) return sendOutcome(reply, 404, 'not-found', `${type}/${id.slice(0, 64)} is not known to this demo server`);
    return sendFhir(reply, 200, resource);
  });

  // Read-only: anything that would write (or a transaction/batch on the base) answers 405, whatever its
  // body or Content-Type (onRequest: before any body parser could answer 415).
  const readOnly = async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    sendOutcome(reply.header('allow', 'GET, POST (_search only)'), 405, 'not-supported', 'The demo FHIR server is read-only', 'COP_ERR_READ_ONLY');
  app.route({ method: ['POST'], url: '/', ...OPEN, onRequest: readOnly, handler: readOnly });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/:type', ...OPEN, onRequest: readOnly, handler: readOnly });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/:type/:id', ...OPEN, onRequest: readOnly, handler: readOnly });

  // CORS preflights: @fastify/cors answers them in its onRequest hook with these routes' `*` origin.
  app.options('/', OPEN, async (_request, reply) => reply.code(204).send());
  app.options('/*', OPEN, async (_request, reply) => reply.code(204).send());
};

/** Registers the demo endpoint at /demo/fhir (the caller decides whether it is on). */
export async function registerDemoFhir(app: FastifyInstance, options: DemoFhirOptions): Promise<void> {
  await app.register(demoFhirRoutes, { ...options, prefix: DEMO_FHIR_PREFIX });
  app.log.info({ path: DEMO_FHIR_PREFIX }, 'demo FHIR endpoint on (synthetic patients; development only)');
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The allow-list plus this service's own demo endpoint: `http://{localhost|127.0.0.1|[::1]}:{port}/demo/fhir`
 * on the port the app actually listens on (read at call time, so port 0 works), and
 * `{PUBLIC_BASE_URL}/demo/fhir`. Nothing else is added.
 */
export function allowOwnDemoFhir(allowlist: FhirAllowlist, app: FastifyInstance, publicBaseUrl?: string): FhirAllowlist {
  const publicDemo = publicBaseUrl ? normaliseFhirBase(`${publicBaseUrl}${DEMO_FHIR_PREFIX}`) : undefined;
  const listeningPort = (): number | undefined => {
    const address = app.server.address() as AddressInfo | string | null;
    return address !== null && typeof address === 'object' ? address.port : undefined;
  };
  return {
    match(fhirServer) {
      const allowed = allowlist.match(fhirServer);
      if (allowed !== undefined) return allowed;
      const base = normaliseFhirBase(fhirServer);
      if (base === undefined) return undefined;
      if (publicDemo !== undefined && base === publicDemo) return base;
      const url = new URL(base);
      const port = listeningPort();
      const urlPort = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      const own = url.protocol === 'http:' && LOOPBACK.has(url.hostname) && port !== undefined && urlPort === port && url.pathname === DEMO_FHIR_PREFIX;
      return own ? base : undefined;
    },
  };
}
