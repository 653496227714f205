/**
 * The taper-plan SMART app, served under /smart/:
 *  - launch.html: the SMART launch URL (EHR launch with `iss` + `launch`, e.g. a SMART launcher or
 *    the CDS Hooks Sandbox following a COP-R01 card's smart link) → FHIR.oauth2.authorize.
 *  - index.html: the redirect URI; FHIR.oauth2.ready() reads Patient, the latest body weight and the
 *    card's `appContext`, then renders the plan. `index.html?demo=1&weightKg=…` is a preview without
 *    SMART (no FHIR server, no token), used by the browser test and for a quick look.
 *  - launch.js, app.js, app.css: those pages' script and style. The pages and these files are real
 *    files in public/ (the scripts are checked by tsc: tsconfig.public.json), served as they are
 *    by @fastify/static; `npm run build` copies them into dist/src/smart/public.
 *  - plan: the dose arithmetic, computed here by taperPlan (no clinical logic in the browser).
 *  - fhir-client.js: fhirclient's browser build (no CDN), copied into dist/vendor by `npm run build`
 *    (fhirclient is a development dependency); from the sources, read from node_modules.
 * These pages have their own CSP (the app-wide one is `default-src 'none'` for a JSON API).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Thresholds } from '../cop/knowledge.js';
import { taperPlan } from '../cop/dosing.js';
import { glucocorticoidName, initialPhasePlan } from '../cop/formulary.js';
import type { FormularyProfile } from '../cop/rule-types.js';
import { BadRequestError, ConfigError } from '../errors.js';
import { SMART_PREFIX } from './constants.js';

export { SMART_CLIENT_ID_DEFAULT, SMART_LAUNCH_PATH, SMART_PREFIX } from './constants.js';

/**
 * Scripts, styles and images only from this origin; XHR to this origin (the plan) and to any https
 * FHIR/authorization server (the `iss` is only known at launch), and to plain-http ones outside
 * production (local launchers and FHIR servers run on http://127.0.0.1). No inline script or style.
 * Framed only by the EHR origins an operator lists (SMART_FRAME_ANCESTORS; default: never).
 */
export function smartCsp(options: { allowHttp: boolean; frameAncestors: readonly string[] }): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' https:${options.allowHttp ? ' http:' : ''}`,
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${options.frameAncestors.length > 0 ? options.frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

export interface SmartAppOptions {
  thresholds: Thresholds;
  formulary: FormularyProfile;
  /** Allow plain-http FHIR and authorization servers (outside production). */
  allowHttp: boolean;
  /** EHR origins that may show the app in a frame; empty: none. */
  frameAncestors: readonly string[];
}

const planQuerySchema = z.object({
  weightKg: z.coerce.number().finite().positive().max(500),
  formulary: z.enum(['us', 'uk']).optional(),
});

export interface PlanDay {
  day: number;
  week: number;
  doseMg: number;
  step: number;
  /** First day of a step (a dose change). */
  stepStart: boolean;
}

export interface PlanResponse {
  weightKg: number;
  formulary: FormularyProfile;
  drug: string;
  maxDailyDoseMg: number;
  totalDays: number;
  cumulativeMg: number;
  initialDose: { doseMg: number; mgPerKg: number; capped: boolean };
  steps: ReturnType<typeof taperPlan>;
  days: PlanDay[];
}

/** The 24-week plan as the app shows it: taperPlan's steps, expanded to one entry per day. */
export function planFor(weightKg: number, thresholds: Thresholds, formulary: FormularyProfile): PlanResponse {
  const steps = taperPlan(weightKg, thresholds);
  const initial = initialPhasePlan(weightKg, thresholds, formulary);
  const days: PlanDay[] = [];
  for (const s of steps) {
    for (let d = s.fromDay; d <= s.toDay; d++) {
      days.push({ day: d, week: Math.floor((d - 1) / 7) + 1, doseMg: s.doseMg, step: s.sequence, stepStart: d === s.fromDay });
    }
  }
  return {
    weightKg,
    formulary,
    drug: glucocorticoidName(formulary),
    maxDailyDoseMg: thresholds.maxDailyDoseMg,
    totalDays: days.length,
    cumulativeMg: days.reduce((n, d) => n + d.doseMg, 0),
    initialDose: { doseMg: initial.dose.doseMg, mgPerKg: initial.dose.mgPerKg, capped: initial.dose.capped },
    steps,
    days,
  };
}

const FHIR_CLIENT_FILE = 'fhir-client.pure.min.js';

/** The built service's vendored copy (dist/src/smart → dist/vendor), else the development dependency. */
function fhirClientBrowserBuild(): string {
  const vendored = fileURLToPath(new URL(`../../vendor/${FHIR_CLIENT_FILE}`, import.meta.url));
  if (existsSync(vendored)) return readFileSync(vendored, 'utf8');
  try {
    return readFileSync(createRequire(import.meta.url).resolve(`fhirclient/build/${FHIR_CLIENT_FILE}`), 'utf8');
  } catch {
    throw new ConfigError([`the SMART app's browser client (${FHIR_CLIENT_FILE}) is missing: run npm run build, which copies it into dist/vendor`]);
  }
}

/** The app's own files (public/) and the type each is served with. */
const APP_FILES = {
  'launch.html': 'text/html; charset=utf-8',
  'index.html': 'text/html; charset=utf-8',
  'launch.js': 'text/javascript; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;
type AppFile = keyof typeof APP_FILES;

const hasAppFiles = (dir: string): boolean => Object.keys(APP_FILES).every((name) => existsSync(path.join(dir, name)));

/**
 * Where the app's files are: public/ beside this module (src/smart/public in the sources;
 * dist/src/smart/public, where `npm run build` copies them), else the sources' src/smart/public in
 * a directory above it (a build by tsc alone, such as the benchmark's, copies no file).
 */
export function smartPublicDir(here: string = path.dirname(fileURLToPath(import.meta.url))): string {
  if (hasAppFiles(path.join(here, 'public'))) return path.join(here, 'public');
  for (let dir = path.dirname(here); ; dir = path.dirname(dir)) {
    const sources = path.join(dir, 'src', 'smart', 'public');
    if (hasAppFiles(sources)) return sources;
    if (path.dirname(dir) === dir) break;
  }
  throw new ConfigError([`the SMART app's files (${Object.keys(APP_FILES).join(', ')}) are missing beside ${here}: run npm run build, which copies them into dist/src/smart/public`]);
}

export async function smartAppRoutes(app: FastifyInstance, options: SmartAppOptions): Promise<void> {
  const csp = smartCsp(options);
  const framable = options.frameAncestors.length > 0;
  /** The headers of every page, script and style of the app. */
  const appHeaders = (reply: FastifyReply, type: string): FastifyReply => {
    // X-Frame-Options cannot name origins; where frame-ancestors allows some, it must not say DENY.
    if (framable) reply.removeHeader('x-frame-options');
    return reply.type(type).header('content-security-policy', csp).header('cache-control', 'no-cache');
  };
  const fhirClientJs = fhirClientBrowserBuild();

  // Files only through the routes below (no wildcard: any other path is the app's 404), with the
  // app's headers alone: no ETag, Last-Modified, ranges or max-age of the plugin's own.
  await app.register(fastifyStatic, {
    root: smartPublicDir(),
    serve: false,
    etag: false,
    lastModified: false,
    acceptRanges: false,
    cacheControl: false,
    contentType: false,
    // Only the files named in APP_FILES are ever sent (the routes below).
    setHeaders: (reply, filePath) => appHeaders(reply, APP_FILES[path.basename(filePath) as AppFile]),
  });
  const file = (name: AppFile) => async (_request: unknown, reply: FastifyReply) => reply.sendFile(name);
  app.get(`${SMART_PREFIX}/launch.html`, file('launch.html'));
  app.get(`${SMART_PREFIX}/index.html`, file('index.html'));
  app.get(`${SMART_PREFIX}/`, file('index.html'));
  app.get(`${SMART_PREFIX}/launch.js`, file('launch.js'));
  app.get(`${SMART_PREFIX}/app.js`, file('app.js'));
  app.get(`${SMART_PREFIX}/app.css`, file('app.css'));
  app.get(`${SMART_PREFIX}/fhir-client.js`, async (_request, reply) => appHeaders(reply, 'text/javascript; charset=utf-8').send(fhirClientJs));

  app.get(`${SMART_PREFIX}/plan`, async (request, reply) => {
    const parsed = planQuerySchema.safeParse(request.query);
    const { weightMinKg, weightMaxKg } = options.thresholds;
    const range = `weightKg must be a plausible adult weight in kilograms (${weightMinKg}–${weightMaxKg}, as COP-R02 reads a charted weight)`;
    if (!parsed.success) throw new BadRequestError(`${range}; formulary is us or uk`);
    const { weightKg, formulary } = parsed.data;
    // The same range as a charted weight: a plan for 0.1 or 500 kg is no plan a clinician can use.
    if (weightKg < weightMinKg || weightKg > weightMaxKg) throw new BadRequestError(range);
    return reply.header('cache-control', 'no-store').send(planFor(weightKg, options.thresholds, formulary ?? options.formulary));
  });
}
