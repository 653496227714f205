/**
 * `cop-cds check`: a captured EHR request or a service response against the CDS Hooks 2.0 rules,
 * one problem per field, each with its JSON path and a rule id (R-…: this tool's numbering of the
 * CDS Hooks 2.0 requirements, given next to each check below). A request gets, first, everything
 * the service itself would refuse, found by the service's own checks (src/cds/request-checks.ts:
 * its zod schemas, the draft orders' and prefetch resources, the selections, the patient) and in
 * its words; then what the spec asks beyond them. Responses (and discovery documents) are checked
 * against the spec's card, suggestion, action, link and coding rules.
 */
import { USER_TOKENS } from '../cds/prefetch-tokens.js';
import { requestRefusals, type RequestStage } from '../cds/request-checks.js';
import { CARD_SUMMARY_MAX, SUPPORTED_HOOKS } from '../cds/wire.js';

export interface Problem {
  /** JSONPath-like: `$.cards[0].summary`. */
  path: string;
  /** R-…: this tool's numbering of the CDS Hooks 2.0 requirements. */
  rule: string;
  message: string;
  /** `error`: breaks a MUST; `warning`: a SHOULD or a likely interoperability problem. */
  severity: 'error' | 'warning';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RELATIVE_REFERENCE = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;
const DRAFT_ORDER_TYPES = new Set(['MedicationRequest', 'ServiceRequest', 'NutritionOrder', 'VisionPrescription', 'DeviceRequest']);
/** The spec's "<140-character" card summary: fewer than 140 characters (as the OpenAPI document says). */
export const SUMMARY_MAX = CARD_SUMMARY_MAX;

/** `$.a.b[0]` from a path of keys and indexes; keys that are not identifiers are quoted. */
export function jsonPath(parts: readonly PropertyKey[], root = '$'): string {
  let out = root;
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

function isAbsoluteUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

class Report {
  readonly problems: Problem[] = [];
  error(path: string, rule: string, message: string): void {
    this.problems.push({ path, rule, message, severity: 'error' });
  }
  warn(path: string, rule: string, message: string): void {
    this.problems.push({ path, rule, message, severity: 'warning' });
  }
}

// ---- null / empty values (R-GEN-02/03/04) -------------------------------------------------------

/**
 * Every `null`, `""`, `[]` or `{}` under `value`. `allowNull(path)` and `allowEmpty(path)` name
 * the exceptions (prefetch values may be null; `cards: []` and `services: []` may be empty).
 */
function emptyValues(
  report: Report,
  value: unknown,
  parts: PropertyKey[],
  allow: { nullAt?: (parts: PropertyKey[]) => boolean; emptyAt?: (parts: PropertyKey[]) => boolean } = {},
): void {
  const path = jsonPath(parts);
  if (value === null) {
    if (!allow.nullAt?.(parts)) report.error(path, 'R-GEN-02', 'null is not allowed here: leave the element out');
    return;
  }
  if (value === '') {
    report.error(path, 'R-GEN-03', 'empty string: leave the element out');
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      if (!allow.emptyAt?.(parts)) report.error(path, 'R-GEN-04', 'empty array: leave the element out');
      return;
    }
    value.forEach((v, i) => emptyValues(report, v, [...parts, i], allow));
    return;
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) {
      if (!allow.emptyAt?.(parts)) report.error(path, 'R-GEN-03', 'empty object: leave the element out');
      return;
    }
    for (const [k, v] of entries) emptyValues(report, v, [...parts, k], allow);
  }
}

// ---- requests ------------------------------------------------------------------------------------

/** The rule a zod issue on a request path breaks. */
function requestRule(parts: readonly PropertyKey[]): string {
  const [top, second] = parts;
  switch (top) {
    case 'hook':
      return 'R-REQ-01';
    case 'hookInstance':
      return 'R-REQ-02';
    case 'fhirServer':
      return 'R-REQ-03';
    case 'fhirAuthorization': {
      const byField: Record<string, string> = {
        access_token: 'R-AUTHZ-01',
        token_type: 'R-AUTHZ-02',
        expires_in: 'R-AUTHZ-03',
        scope: 'R-AUTHZ-04',
        subject: 'R-AUTHZ-05',
        patient: 'R-AUTHZ-06',
      };
      return (typeof second === 'string' && byField[second]) || 'R-REQ-04';
    }
    case 'context':
      return 'R-REQ-05';
    case 'prefetch':
      return 'R-REQ-06';
    case 'extension':
      return 'R-EXT-02';
    default:
      return 'R-REQ-05';
  }
}

/** Checks a CDS Hooks 2.0 service request (what an EHR POSTs to `/cds-services/{id}`). */
export function checkRequest(body: unknown): Problem[] {
  const report = new Report();
  if (!isObject(body)) {
    report.error('$', 'R-REQ-05', 'the request body must be a JSON object');
    return report.problems;
  }
  // What the service refuses (400): all of it, where the service answers only the first.
  const refusals = requestRefusals(body);
  const refused = (stage: RequestStage): void => {
    for (const { refusal } of refusals.filter((r) => r.stage === stage)) {
      for (const problem of refusal.problems) report.error(jsonPath(problem.path), requestRule(problem.path), problem.message);
    }
  };
  refused('request');

  if (typeof body.hookInstance === 'string' && body.hookInstance.length > 0 && !UUID.test(body.hookInstance)) {
    report.warn('$.hookInstance', 'R-REQ-02', 'should be a UUID (globally unique, unguessable)');
  }
  if (typeof body.fhirServer === 'string' && body.fhirServer.startsWith('http:')) {
    report.warn('$.fhirServer', 'R-REQ-03', 'must be https when production data is exchanged');
  }
  const authz = body.fhirAuthorization;
  // zod skips the object-level refinement when a field already failed: say it anyway.
  if (authz !== undefined && body.fhirServer === undefined && !report.problems.some((p) => p.path === '$.fhirServer')) {
    report.error('$.fhirServer', 'R-REQ-03', 'fhirServer is required when fhirAuthorization is present');
  }
  if (isObject(authz) && typeof authz.token_type === 'string' && authz.token_type !== 'Bearer') {
    report.error('$.fhirAuthorization.token_type', 'R-AUTHZ-02', `must be "Bearer", not ${JSON.stringify(authz.token_type)}`);
  }

  const hook = body.hook;
  const context = body.context;
  if (typeof hook === 'string' && isObject(context)) {
    if ((SUPPORTED_HOOKS as string[]).includes(hook)) {
      refused('context');
      checkDraftOrders(report, context, hook);
    } else {
      report.warn('$.hook', 'R-REQ-01', `hook "${hook}" is not one this checker knows (patient-view, order-select, order-sign): context not checked`);
    }
  }

  const prefetch = body.prefetch;
  if (isObject(prefetch)) {
    for (const [key, value] of Object.entries(prefetch)) {
      if (value === null) continue;
      if (!isObject(value) || typeof value.resourceType !== 'string') {
        report.error(jsonPath(['prefetch', key]), 'R-REQ-06', 'a prefetch value must be a FHIR resource, a Bundle, an OperationOutcome or null');
      }
    }
  }
  refused('prefetch');

  emptyValues(report, body, [], { nullAt: (parts) => parts.length === 2 && parts[0] === 'prefetch' });
  return report.problems;
}

/**
 * order-select / order-sign: what the hook definitions (CDS Hooks 2.0 order-select, order-sign)
 * ask of draftOrders beyond the service's checks (that each selection names a draft order is one
 * of those, above).
 */
function checkDraftOrders(report: Report, context: Json, hook: string): void {
  const bundle = context.draftOrders;
  if (!isObject(bundle)) return;
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  entries.forEach((entry, i) => {
    const resource = isObject(entry) ? entry.resource : undefined;
    if (!isObject(resource)) return;
    const type = String(resource.resourceType);
    if (!DRAFT_ORDER_TYPES.has(type)) {
      report.warn(jsonPath(['context', 'draftOrders', 'entry', i, 'resource', 'resourceType']), 'R-REQ-05', `${type} is not an R4 order type (MedicationRequest, ServiceRequest, NutritionOrder, VisionPrescription, DeviceRequest)`);
    }
    if (typeof resource.id !== 'string') report.error(jsonPath(['context', 'draftOrders', 'entry', i, 'resource', 'id']), 'R-REQ-05', 'a draft order needs an id (selections point to ResourceType/id)');
  });
  if (hook === 'order-sign' && context.selections !== undefined) {
    report.warn('$.context.selections', 'R-REQ-05', 'order-sign has no selections (that is order-select)');
  }
}

// ---- responses -------------------------------------------------------------------------------------

function checkCoding(report: Report, value: unknown, parts: PropertyKey[], needDisplay: { rule: string } | undefined): void {
  const path = jsonPath(parts);
  if (!isObject(value)) {
    report.error(path, 'R-COD-01', 'must be a Coding object {system, code, display?}');
    return;
  }
  if (!isNonEmptyString(value.system)) report.error(`${path}.system`, 'R-COD-02', 'Coding.system is required');
  if (!isNonEmptyString(value.code)) report.error(`${path}.code`, 'R-COD-01', 'Coding.code is required');
  if (value.display !== undefined && typeof value.display !== 'string') report.error(`${path}.display`, 'R-COD-03', 'must be a string');
  if (needDisplay && !isNonEmptyString(value.display)) report.error(`${path}.display`, needDisplay.rule, 'an override reason must have a display');
}

function checkAction(report: Report, action: unknown, parts: PropertyKey[]): void {
  const path = jsonPath(parts);
  if (!isObject(action)) {
    report.error(path, 'R-ACT-01', 'an action must be an object');
    return;
  }
  const type = action.type;
  if (type !== 'create' && type !== 'update' && type !== 'delete') {
    report.error(`${path}.type`, 'R-ACT-01', `must be create, update or delete${type === undefined ? '' : `, not ${JSON.stringify(type)}`}`);
  }
  if (!isNonEmptyString(action.description)) report.error(`${path}.description`, 'R-ACT-02', 'description is required (on systemActions too)');
  if (type === 'create' || type === 'update') {
    const resource = action.resource;
    if (!isObject(resource) || typeof resource.resourceType !== 'string') {
      report.error(`${path}.resource`, 'R-ACT-03', `${type} needs the whole FHIR resource in resource`);
    }
    if (type === 'update' && isObject(resource) && resource.id === undefined) {
      report.warn(`${path}.resource.id`, 'R-ACT-03', 'an update should carry the id of the resource it replaces');
    }
  }
  if (type === 'delete') {
    if (action.resource !== undefined) {
      report.error(`${path}.resource`, 'R-ACT-03', 'delete uses resourceId ("Type/id"); resource for delete is the deprecated 1.0 form');
    }
    if (action.resourceId === undefined) {
      report.error(`${path}.resourceId`, 'R-ACT-04', 'delete needs resourceId (a relative reference, e.g. ServiceRequest/123)');
    }
  }
  if (action.resourceId !== undefined) {
    const ids = Array.isArray(action.resourceId) ? action.resourceId : [action.resourceId];
    if (!ids.every((id) => typeof id === 'string' && RELATIVE_REFERENCE.test(id))) {
      report.error(`${path}.resourceId`, 'R-ACT-04', 'must be a relative reference ResourceType/id');
    }
  }
}

function checkLink(report: Report, link: unknown, parts: PropertyKey[]): void {
  const path = jsonPath(parts);
  if (!isObject(link)) {
    report.error(path, 'R-LINK-01', 'a link must be an object {label, url, type}');
    return;
  }
  if (!isNonEmptyString(link.label)) report.error(`${path}.label`, 'R-LINK-01', 'label is required');
  if (!isNonEmptyString(link.url)) report.error(`${path}.url`, 'R-LINK-02', 'url is required');
  else if (link.type === 'absolute' && !isAbsoluteUrl(link.url)) report.error(`${path}.url`, 'R-LINK-02', 'an absolute link needs an absolute http(s) URL');
  if (link.type !== 'absolute' && link.type !== 'smart') {
    report.error(`${path}.type`, 'R-LINK-03', `must be "absolute" or "smart"${link.type === undefined ? ' (missing)' : `, not ${JSON.stringify(link.type)}`}`);
  }
  if (link.appContext !== undefined) {
    if (link.type !== 'smart') report.error(`${path}.appContext`, 'R-LINK-04', 'appContext is only allowed on smart links');
    else if (typeof link.appContext !== 'string') report.error(`${path}.appContext`, 'R-LINK-04', 'must be a string');
  }
  if (link.autolaunchable !== undefined && typeof link.autolaunchable !== 'boolean') {
    report.error(`${path}.autolaunchable`, 'R-LINK-05', 'must be a boolean');
  }
}

function checkCard(report: Report, card: unknown, i: number, uuids: Map<string, string>): void {
  const parts = ['cards', i];
  const path = jsonPath(parts);
  if (!isObject(card)) {
    report.error(path, 'R-RESP-01', 'a card must be an object');
    return;
  }
  const noteUuid = (value: unknown, at: string, rule: string, what: string) => {
    if (value === undefined) {
      report.warn(at, rule, `no uuid: feedback on this ${what} is impossible`);
      return;
    }
    if (!isNonEmptyString(value)) {
      report.error(at, rule, 'uuid must be a string');
      return;
    }
    if (!UUID.test(value)) report.warn(at, rule, 'uuid should be a UUID');
    const seen = uuids.get(value);
    if (seen) report.error(at, rule, `uuid is not unique (also at ${seen})`);
    else uuids.set(value, at);
  };
  noteUuid(card.uuid, `${path}.uuid`, 'R-CARD-01', 'card');

  const summary = card.summary;
  if (!isNonEmptyString(summary)) report.error(`${path}.summary`, 'R-CARD-02', 'summary is required (one sentence, fewer than 140 characters)');
  else {
    const length = [...summary].length;
    if (length > SUMMARY_MAX) report.error(`${path}.summary`, 'R-CARD-02', `summary is ${length} characters; it must be fewer than 140`);
  }
  if (card.detail !== undefined && typeof card.detail !== 'string') report.error(`${path}.detail`, 'R-CARD-03', 'detail must be a (Markdown) string');

  if (card.indicator !== 'info' && card.indicator !== 'warning' && card.indicator !== 'critical') {
    report.error(`${path}.indicator`, 'R-CARD-04', `must be info, warning or critical${card.indicator === undefined ? ' (missing)' : `, not ${JSON.stringify(card.indicator)}`}`);
  }

  const source = card.source;
  if (!isObject(source)) report.error(`${path}.source`, 'R-CARD-05', 'source is required: {label, url?, icon?, topic?}');
  else {
    if (!isNonEmptyString(source.label)) report.error(`${path}.source.label`, 'R-SRC-01', 'source.label is required');
    if (source.url !== undefined && !(typeof source.url === 'string' && isAbsoluteUrl(source.url))) report.error(`${path}.source.url`, 'R-SRC-02', 'must be an absolute URL');
    if (source.icon !== undefined && !(typeof source.icon === 'string' && isAbsoluteUrl(source.icon))) report.error(`${path}.source.icon`, 'R-SRC-03', 'must be an absolute URL');
    if (source.topic !== undefined) checkCoding(report, source.topic, [...parts, 'source', 'topic'], undefined);
  }

  const behavior = card.selectionBehavior;
  if (behavior !== undefined && behavior !== 'at-most-one' && behavior !== 'any') {
    report.error(`${path}.selectionBehavior`, 'R-CARD-07', `must be "at-most-one" or "any", not ${JSON.stringify(behavior)}`);
  }
  const suggestions = card.suggestions;
  if (suggestions !== undefined) {
    if (!Array.isArray(suggestions)) report.error(`${path}.suggestions`, 'R-CARD-06', 'must be an array of suggestions');
    else {
      if (suggestions.length > 0 && behavior === undefined) {
        report.error(`${path}.selectionBehavior`, 'R-CARD-06', 'required when the card has suggestions ("at-most-one" or "any")');
      }
      const recommended: number[] = [];
      suggestions.forEach((s, j) => {
        const sp = jsonPath([...parts, 'suggestions', j]);
        if (!isObject(s)) {
          report.error(sp, 'R-SUG-01', 'a suggestion must be an object');
          return;
        }
        if (!isNonEmptyString(s.label)) report.error(`${sp}.label`, 'R-SUG-01', 'label is required');
        noteUuid(s.uuid, `${sp}.uuid`, 'R-SUG-02', 'suggestion');
        if (s.isRecommended !== undefined && typeof s.isRecommended !== 'boolean') report.error(`${sp}.isRecommended`, 'R-SUG-03', 'must be a boolean');
        if (s.isRecommended === true) recommended.push(j);
        if (s.actions !== undefined) {
          if (!Array.isArray(s.actions)) report.error(`${sp}.actions`, 'R-SUG-04', 'must be an array of actions');
          else s.actions.forEach((a, k) => checkAction(report, a, [...parts, 'suggestions', j, 'actions', k]));
        }
      });
      if (recommended.length > 1 && behavior !== 'any') {
        report.error(
          jsonPath([...parts, 'suggestions', recommended[1]!, 'isRecommended']),
          'R-SUG-03',
          `${recommended.length} suggestions are recommended (${recommended.map((j) => `[${j}]`).join(', ')}) while selectionBehavior is ${JSON.stringify(behavior ?? 'absent')}: at most one unless "any"`,
        );
      }
    }
  }

  const reasons = card.overrideReasons;
  if (reasons !== undefined) {
    if (!Array.isArray(reasons)) report.error(`${path}.overrideReasons`, 'R-CARD-08', 'must be an array of Codings');
    else reasons.forEach((r, j) => checkCoding(report, r, [...parts, 'overrideReasons', j], { rule: 'R-CARD-08' }));
  }
  const links = card.links;
  if (links !== undefined) {
    if (!Array.isArray(links)) report.error(`${path}.links`, 'R-CARD-09', 'must be an array of links');
    else links.forEach((l, j) => checkLink(report, l, [...parts, 'links', j]));
  }
  if (card.extension !== undefined && !isObject(card.extension)) report.error(`${path}.extension`, 'R-EXT-02', 'an extension must be a JSON object');
}

function checkDiscovery(report: Report, body: Json): void {
  const services = body.services;
  if (!Array.isArray(services)) {
    report.error('$.services', 'R-DISC-02', 'must be an array of services');
    return;
  }
  const ids = new Map<string, string>();
  services.forEach((s, i) => {
    const path = jsonPath(['services', i]);
    if (!isObject(s)) {
      report.error(path, 'R-DISC-04', 'a service must be an object');
      return;
    }
    for (const field of ['hook', 'description', 'id'] as const) {
      if (!isNonEmptyString(s[field])) report.error(`${path}.${field}`, 'R-DISC-04', `${field} is required (a string)`);
    }
    if (isNonEmptyString(s.id)) {
      if (!/^[A-Za-z0-9._-]+$/.test(s.id)) report.warn(`${path}.id`, 'R-DISC-11', 'keep the id URL-path-safe ([A-Za-z0-9._-])');
      const key = `${s.id} ${String(s.hook)}`;
      if (ids.has(key)) report.error(`${path}.id`, 'R-DISC-08', `id and hook repeat ${ids.get(key)}`);
      else ids.set(key, path);
    }
    if (s.title === undefined) report.warn(`${path}.title`, 'R-DISC-05', 'title is recommended');
    if (s.prefetch !== undefined) {
      if (!isObject(s.prefetch)) report.error(`${path}.prefetch`, 'R-DISC-06', 'must be an object of key → template');
      else {
        for (const [key, template] of Object.entries(s.prefetch)) {
          if (typeof template !== 'string') report.error(jsonPath(['services', i, 'prefetch', key]), 'R-DISC-06', 'a prefetch template must be a string');
          else checkTemplateTokens(report, template, jsonPath(['services', i, 'prefetch', key]));
        }
      }
    }
  });
}

function checkTemplateTokens(report: Report, template: string, path: string): void {
  for (const m of template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    const token = m[1] ?? '';
    const ok = USER_TOKENS.has(token) || /^context\.[A-Za-z][A-Za-z0-9]*$/.test(token);
    if (!ok) report.error(path, 'R-PF-02', `{{${token}}} is not a valid prefetch token (context.<field> or a user token)`);
    else if (token === 'context.selections' || token === 'context.draftOrders') {
      report.error(path, 'R-PF-03', `{{${token}}} is not a prefetch token (not a primitive context field)`);
    }
  }
}

/**
 * Checks a service response: `{cards, systemActions?}`, or a discovery document (`{services}`).
 * An OperationOutcome (an error body) is reported as not being a CDS Hooks response.
 */
export function checkResponse(body: unknown): Problem[] {
  const report = new Report();
  if (!isObject(body)) {
    report.error('$', 'R-RESP-01', 'the response body must be a JSON object {"cards": [...]}');
    return report.problems;
  }
  if (body.resourceType === 'OperationOutcome') {
    report.error('$', 'R-RESP-01', 'an OperationOutcome (an error answer), not a CDS Hooks response {"cards": [...]}');
    return report.problems;
  }
  if (body.services !== undefined && body.cards === undefined) {
    checkDiscovery(report, body);
    emptyValues(report, body, [], { emptyAt: (parts) => parts.length === 1 && parts[0] === 'services' });
    return report.problems;
  }
  const cards = body.cards;
  if (!Array.isArray(cards)) report.error('$.cards', 'R-RESP-01', 'cards is required: an array (empty when there is nothing to say)');
  else {
    const uuids = new Map<string, string>();
    cards.forEach((card, i) => checkCard(report, card, i, uuids));
  }
  const systemActions = body.systemActions;
  if (systemActions !== undefined) {
    if (!Array.isArray(systemActions)) report.error('$.systemActions', 'R-RESP-01', 'must be an array of actions');
    else systemActions.forEach((a, i) => checkAction(report, a, ['systemActions', i]));
  }
  emptyValues(report, body, [], { emptyAt: (parts) => parts.length === 1 && parts[0] === 'cards' });
  return report.problems;
}
