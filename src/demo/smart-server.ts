/**
 * The demo FHIR endpoint as a SMART-enabled demo server (development only, like the rest of
 * /demo/fhir), so that a SMART link on a card launches from the CDS Hooks Sandbox:
 *
 *   POST {base}/_services/smart/Launch   the Sandbox asks for a launch id for {patient, appContext}
 *   GET  {base}/.well-known/smart-configuration
 *   GET  {base}/auth/authorize           EHR launch: the launch id → a one-time code (PKCE S256)
 *   POST {base}/auth/token               code + verifier → token answer with patient, appContext,
 *                                        need_patient_banner
 *
 * Nothing is authenticated (the demo data are synthetic and the FHIR routes are open): this exists
 * to exercise the standard flow, not to protect anything. Launches and codes live in memory, are
 * bounded in number and expire; a code is used once and only with the redirect URI on the origin of
 * the app the launch was made for (no open redirect).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { operationOutcome } from '../errors.js';
import { FHIR_ID } from '../fhir/schemas.js';

const LAUNCH_TTL_MS = 10 * 60_000;
const CODE_TTL_MS = 60_000;
const MAX_PENDING = 1000;
const SCOPES = 'launch patient/Patient.r patient/Observation.rs patient/Patient.read patient/Observation.read';

interface LaunchContext { patient: string; appContext?: string; appOrigin: string; expires: number }
interface CodeGrant { launch: LaunchContext; redirectUri: string; clientId: string; challenge: string; scope: string; expires: number }

/** A Map that keeps at most `max` entries (oldest dropped) and forgets expired ones. */
function boundedStore<T extends { expires: number }>(max: number) {
  const map = new Map<string, T>();
  return {
    put(value: T): string {
      const key = randomBytes(18).toString('base64url');
      map.set(key, value);
      while (map.size > max) map.delete(map.keys().next().value as string);
      return key;
    },
    take(key: string, now: number, once: boolean): T | undefined {
      const value = map.get(key);
      if (once || (value && value.expires <= now)) map.delete(key);
      return value && value.expires > now ? value : undefined;
    },
  };
}

const launchBody = z.object({
  launchUrl: z.url({ protocol: /^https?$/ }),
  parameters: z.object({
    patient: z.string().regex(FHIR_ID),
    appContext: z.string().max(4096).optional(),
    smart_messaging_origin: z.string().max(2048).optional(),
  }),
});

const authorizeQuery = z.object({
  response_type: z.literal('code'),
  client_id: z.string().min(1).max(200),
  redirect_uri: z.url({ protocol: /^https?$/ }),
  scope: z.string().max(2000).optional(),
  state: z.string().max(2000),
  launch: z.string().min(1).max(200),
  code_challenge: z.string().regex(/^[A-Za-z0-9_-]{43,128}$/),
  code_challenge_method: z.literal('S256'),
  aud: z.string().optional(),
});

const tokenForm = z.object({
  grant_type: z.literal('authorization_code'),
  code: z.string().min(1).max(200),
  redirect_uri: z.string(),
  client_id: z.string().optional(),
  code_verifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/),
});

/** Form fields arrive as arrays (the demo endpoint's form parser); take the first of each. */
const firstValues = (body: unknown): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries((body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : typeof v === 'string' ? v : undefined]));

const oauthError = (reply: FastifyReply, status: number, error: string, description: string): FastifyReply =>
  reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description });

export interface DemoSmartOptions {
  clock: () => Date;
  /** The demo FHIR base as the caller reaches it (…/demo/fhir). */
  baseOf: (request: FastifyRequest) => string;
  /** Route options shared with the demo FHIR routes (CORS `*`, no rate limit). */
  routeOptions: Record<string, unknown>;
  /** Demo patient ids that may be launched. */
  patientIds: ReadonlySet<string>;
}

export function registerDemoSmartServer(app: FastifyInstance, options: DemoSmartOptions): void {
  const launches = boundedStore<LaunchContext>(MAX_PENDING);
  const codes = boundedStore<CodeGrant>(MAX_PENDING);
  const now = (): number => options.clock().getTime();
  const base = options.baseOf;

  app.post('/_services/smart/Launch', options.routeOptions, async (request, reply) => {
    const parsed = launchBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(operationOutcome('invalid', 'Launch needs {"launchUrl": "<app URL>", "parameters": {"patient": "<id>", "appContext"?: "<text>"}}'));
    const { launchUrl, parameters } = parsed.data;
    if (!options.patientIds.has(parameters.patient)) return reply.code(404).send(operationOutcome('not-found', 'The patient is not one of the demo patients'));
    const launch_id = launches.put({
      patient: parameters.patient,
      ...(parameters.appContext !== undefined ? { appContext: parameters.appContext } : {}),
      appOrigin: new URL(launchUrl).origin,
      expires: now() + LAUNCH_TTL_MS,
    });
    return reply.header('cache-control', 'no-store').send({ launch_id });
  });

  app.get('/.well-known/smart-configuration', options.routeOptions, async (request, reply) => {
    const b = base(request);
    return reply.send({
      issuer: b,
      authorization_endpoint: `${b}/auth/authorize`,
      token_endpoint: `${b}/auth/token`,
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: SCOPES.split(' '),
      response_types_supported: ['code'],
      capabilities: ['launch-ehr', 'client-public', 'context-ehr-patient', 'context-banner', 'permission-patient', 'permission-v1', 'permission-v2'],
    });
  });

  app.get('/auth/authorize', options.routeOptions, async (request, reply) => {
    const parsed = authorizeQuery.safeParse(request.query);
    if (!parsed.success) return oauthError(reply, 400, 'invalid_request', `authorize needs response_type=code, client_id, redirect_uri, state, launch and a PKCE S256 code_challenge (${parsed.error.issues[0]?.path.join('.')})`);
    const q = parsed.data;
    const launch = launches.take(q.launch, now(), false);
    if (!launch) return oauthError(reply, 400, 'invalid_request', 'unknown or expired launch id: launch the app again from the card');
    // No open redirect: the code goes back only to the app the launch was made for.
    if (new URL(q.redirect_uri).origin !== launch.appOrigin) return oauthError(reply, 400, 'invalid_request', 'redirect_uri is not on the origin of the launched app');
    const code = codes.put({ launch, redirectUri: q.redirect_uri, clientId: q.client_id, challenge: q.code_challenge, scope: q.scope ?? SCOPES, expires: now() + CODE_TTL_MS });
    const target = new URL(q.redirect_uri);
    target.searchParams.set('code', code);
    target.searchParams.set('state', q.state);
    return reply.header('cache-control', 'no-store').redirect(target.href, 302);
  });

  app.post('/auth/token', options.routeOptions, async (request, reply) => {
    const parsed = tokenForm.safeParse(firstValues(request.body));
    if (!parsed.success) return oauthError(reply, 400, 'invalid_request', 'token needs grant_type=authorization_code, code, redirect_uri and code_verifier (form-encoded)');
    const f = parsed.data;
    const grant = codes.take(f.code, now(), true);
    if (!grant || grant.redirectUri !== f.redirect_uri || (f.client_id !== undefined && f.client_id !== grant.clientId)) {
      return oauthError(reply, 400, 'invalid_grant', 'unknown, used or expired code, or another redirect_uri or client');
    }
    const challenge = createHash('sha256').update(f.code_verifier).digest('base64url');
    if (challenge !== grant.challenge) return oauthError(reply, 400, 'invalid_grant', 'code_verifier does not match the code_challenge');
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
      access_token: randomBytes(24).toString('base64url'),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: grant.scope,
      patient: grant.launch.patient,
      ...(grant.launch.appContext !== undefined ? { appContext: grant.launch.appContext } : {}),
      need_patient_banner: true,
    });
  });
}
