/**
 * Findings → CDS Hooks cards. Rendering only: no rule is re-evaluated here. Adds what every card
 * needs (uuid, source with the rule id as topic, citations as links, the evidence the rule used)
 * and keeps the wire rules: no null or empty values, summary under 140 characters,
 * selectionBehavior on every card with suggestions, at most one recommended suggestion.
 */
import type { Card, Coding, Link, Suggestion } from './card-types.js';
import { CITATIONS, RULE_CODE_SYSTEM, RULE_TITLES, type RuleId } from './knowledge.js';
import { MAX_SUMMARY_LENGTH, type Evidence, type Finding, type OverrideReason, type ServiceApp } from './rule-types.js';

/** CodeSystem of the override reasons this service offers. */
export const OVERRIDE_REASON_SYSTEM = 'https://cop-cds.example.org/fhir/CodeSystem/override-reasons';
export const SOURCE_LABEL = 'COP CDS';

export interface RenderOptions {
  newId: () => string;
  /** Absolute URL of the evidence page, used as `source.url`. */
  evidenceUrl?: string;
  /** A site's override reasons per rule (site configuration): replace the rule's own list. */
  overrideReasons?: SiteOverrideReasons;
  /**
   * Where each app of this service is launched, relative to its base URL (the CDS layer knows:
   * src/cds/cards.ts). A finding's link to an app with no path here is left out.
   */
  appPaths?: Readonly<Partial<Record<ServiceApp, string>>>;
}

export type SiteOverrideReasons = Readonly<Partial<Record<RuleId, readonly OverrideReason[]>>>;

/** "today", "12 days ago", "10 weeks ago", "in 5 months" (decision 19: a calendar date with its age, in words). */
export function ageInWords(ageDays: number): string {
  if (ageDays === 0) return 'today';
  const span = spanInWords(Math.abs(ageDays));
  return ageDays < 0 ? `in ${span}` : `${span} ago`;
}

/**
 * A span as a clinician says it: days up to a month, weeks up to 12 weeks, months up to 2 years,
 * then years. The exact date is always printed beside it, so rounding to the nearest unit loses nothing.
 */
function spanInWords(days: number): string {
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (days < 31) return plural(days, 'day');
  if (days < 84) return plural(Math.round(days / 7), 'week');
  if (days < 730) return plural(Math.round(days / 30.44), 'month');
  return plural(Math.round(days / 365.25), 'year');
}

/** "Weight 60.0 kg (2026-11-20, 5 days ago)": one datum of the card's "Data used" line. */
export function evidenceText(e: Evidence): string {
  const when = e.date ? ` (${e.date.slice(0, 10)}${e.ageDays !== undefined ? `, ${ageInWords(e.ageDays)}` : ''})` : '';
  return `${e.label} ${e.value}${when}`;
}

/**
 * The card extension that carries the data behind a card in machine-readable form: each datum with
 * its resource reference and full date, which the text leaves out (decision 19: no raw ids in text).
 */
export const EVIDENCE_EXTENSION = 'org.example.cop-cds.evidence';

function fitSummary(summary: string): string {
  const oneLine = summary.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_SUMMARY_LENGTH ? oneLine : `${oneLine.slice(0, MAX_SUMMARY_LENGTH - 1).trimEnd()}…`;
}

/** Why (the rule's lines), then the data used on one line (decision 20). */
function renderDetail(finding: Finding): string | undefined {
  const parts = finding.detail.filter((d) => d.trim().length > 0);
  const dataUsed = finding.evidence.filter((e) => !e.statedInDetail);
  if (dataUsed.length > 0) parts.push(`_Data used: ${dataUsed.map(evidenceText).join('; ')}._`);
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

function evidenceExtension(finding: Finding): Record<string, unknown> | undefined {
  if (finding.evidence.length === 0) return undefined;
  return {
    [EVIDENCE_EXTENSION]: finding.evidence.map((e) => ({
      label: e.label,
      value: e.value,
      ...(e.date ? { date: e.date } : {}),
      ...(e.reference ? { reference: e.reference } : {}),
    })),
  };
}

function renderSuggestions(finding: Finding, newId: () => string): Suggestion[] | undefined {
  if (!finding.suggestions || finding.suggestions.length === 0) return undefined;
  let recommendedSeen = false;
  return finding.suggestions.map((s) => {
    // With at-most-one, at most one suggestion may be recommended (CDS Hooks 3.0 invariant cds-resp-1).
    const isRecommended = s.isRecommended === true && !recommendedSeen;
    if (isRecommended) recommendedSeen = true;
    return { label: s.label, uuid: newId(), isRecommended, actions: s.actions };
  });
}

/** Where the evidence page lives: `evidenceUrl` is `<service base URL>/evidence/cop`. */
export const EVIDENCE_PATH = '/evidence/cop';

/** The service's absolute base URL, from the evidence page's URL; undefined when none is known. */
function serviceBaseOf(evidenceUrl: string | undefined): string | undefined {
  if (!evidenceUrl || !/^https?:\/\//.test(evidenceUrl) || !evidenceUrl.endsWith(EVIDENCE_PATH)) return undefined;
  return evidenceUrl.slice(0, -EVIDENCE_PATH.length);
}

export function renderCard(finding: Finding, options: RenderOptions): Card {
  const topic: Coding = { system: RULE_CODE_SYSTEM, code: finding.ruleId, display: RULE_TITLES[finding.ruleId] };
  const card: Card = {
    uuid: options.newId(),
    summary: fitSummary(finding.summary),
    indicator: finding.indicator,
    // Each card's source lands on its own rule's section of the evidence page.
    source: { label: SOURCE_LABEL, topic, ...(options.evidenceUrl ? { url: `${options.evidenceUrl}#${finding.ruleId}` } : {}) },
  };
  const detail = renderDetail(finding);
  if (detail) card.detail = detail;
  const suggestions = renderSuggestions(finding, options.newId);
  if (suggestions) {
    card.suggestions = suggestions;
    card.selectionBehavior = 'at-most-one';
  }
  if (finding.overrideReasons && finding.overrideReasons.length > 0) {
    // Only where the rule offers override reasons: a site replaces the list, it never adds one.
    const reasons = options.overrideReasons?.[finding.ruleId] ?? finding.overrideReasons;
    card.overrideReasons = reasons.map((r) => ({ system: OVERRIDE_REASON_SYSTEM, code: r.code, display: r.display }));
  }
  const links: Link[] = [];
  const base = serviceBaseOf(options.evidenceUrl);
  if (base) {
    for (const l of finding.links ?? []) {
      const path = options.appPaths?.[l.app];
      if (path) links.push({ label: l.label, url: `${base}${path}`, type: 'smart', ...(l.appContext ? { appContext: l.appContext } : {}) });
    }
  }
  for (const key of new Set(finding.citations)) {
    const c = CITATIONS[key];
    // A section of the service's own evidence page needs the service's URL; without one it is left out.
    const url = c.url.startsWith('#') ? (options.evidenceUrl ? `${options.evidenceUrl}${c.url}` : undefined) : c.url;
    if (url) links.push({ label: c.label, url, type: 'absolute' });
  }
  if (links.length > 0) card.links = links;
  const extension = evidenceExtension(finding);
  if (extension) card.extension = extension;
  return card;
}
