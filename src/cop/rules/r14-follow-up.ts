/**
 * COP-R14 Follow-up review, PFTs and imaging, order-sign.
 *
 * When the first COP treatment (a systemic glucocorticoid or clarithromycin) is signed and no
 * respiratory review is booked, suggest PFTs and chest imaging at the configured review interval.
 * The interval is a configurable default: the "BTS 6-week review" is unverified, so BTS is not cited.
 * A renewal (a draft whose `priorPrescription` references an active order, decision 14) continues
 * a course and is not a first order.
 */
import { calendarDaysAgo } from '../../fhir/dates.js';
import type { MedicationFact, PatientFacts, ServiceRequestFact } from '../facts-types.js';
import type { Evidence, Finding, FindingSuggestion, Rule, RuleContext } from '../rule-types.js';
import { addDays, buildServiceRequest, LOINC } from '../service-orders.js';
import { renewedOrder } from './renewal.js';
import { ageInWords } from '../cards.js';
import { courseOrderEvidence } from './pulse.js';
import { activeGlucocorticoids, draftGlucocorticoids, draftsOfClass } from './shared.js';

/** The PFT panel LOINC code, confirmed against the PFT FHIR IG. */
export const PFT_PANEL_LOINC = { system: LOINC, code: '81458-2', display: 'Pulmonary function test panel' } as const;

/** No confirmed code for chest imaging: ordered by text, mapped to a local code by the EHR. */
export const CHEST_IMAGING_TEXT = 'Chest imaging (CT or radiograph): COP response review';

/** Words that mark a request as a clinical follow-up review. */
const REVIEW_WORDS = /\b(review|follow[- ]?up)\b/i;

/** Requests in these states will not happen, so they do not count as a booked review. */
const CLOSED_STATUSES = new Set(['completed', 'revoked', 'entered-in-error']);

export const r14: Rule = {
  id: 'COP-R14',
  title: 'Follow-up review, PFTs and imaging',
  purpose: 'A first COP treatment signed with no respiratory review booked: suggests PFTs and chest imaging at the review interval.',
  hooks: ['order-sign'],
  reads: ['conditions', 'meds', 'followUp'],
  thresholds: ['reviewWeeks'],
  citations: ['COP-CDS-REVIEW'],
  background: [
    'When the first COP treatment (a systemic glucocorticoid or clarithromycin) is signed and no future respiratory review, PFT panel or follow-up ' +
      'request is on record, the card suggests PFTs (spirometry, DLCO; LOINC 81458-2) and chest imaging for a review at 6 weeks, to assess the ' +
      'response with symptoms, lung function and imaging.',
    'The 6-week interval is a local default (4–8 weeks), not a guideline recommendation: the "BTS 6-week review" attribution could not be verified, ' +
      'so BTS is not cited.',
    'A renewal of an active order, or a course already running, is not a first treatment: no card.',
    'Chest imaging is ordered by name; the EHR maps it to its local imaging order.',
  ],
  reviewNotes: [
    'The 6-week review is a local default (4–8 weeks), not a guideline interval; BTS is not cited for it.',
    'No code is confirmed for chest imaging: the ServiceRequest is by text.',
  ],
  evaluate,
};

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'order-sign' || !facts.cop.present) return undefined;
  const treatmentDrafts = [...draftGlucocorticoids(facts), ...draftsOfClass(facts, 'clarithromycin')];
  if (treatmentDrafts.length === 0 || isContinuation(facts, treatmentDrafts)) return undefined;
  if (facts.serviceRequests.some((sr) => isBookedReview(sr, context.now))) return undefined;

  const weeks = context.thresholds.reviewWeeks;
  const reviewDate = addDays(context.now, weeks * 7);
  return {
    ruleId: 'COP-R14',
    indicator: 'info',
    summary: `Schedule clinical review with spirometry, DLCO and chest imaging at ~${weeks} weeks.`,
    detail: [
      `First COP treatment, no respiratory review booked: suggested for ${reviewDate} (${ageInWords(-weeks * 7)}).`,
      'Response is judged on symptoms, lung function and imaging; no guideline sets the interval.',
    ],
    evidence: evidenceFor(treatmentDrafts, context),
    suggestions: [reviewSuggestion(facts, weeks, reviewDate)],
    citations: ['COP-CDS-REVIEW'],
  };
}

/**
 * COP treatment has already started: an active glucocorticoid or clarithromycin, or a drafted order
 * that renews an active order (decision 14), even one whose drug could not be identified.
 */
function isContinuation(facts: PatientFacts, drafts: MedicationFact[]): boolean {
  return activeGlucocorticoids(facts).length > 0 ||
    facts.medications.active.some((m) => m.classes.includes('clarithromycin')) ||
    drafts.some((d) => renewedOrder(d, facts.medications.active) !== undefined);
}

/** A PFT panel or review request, drafted or not, still open, dated today or later. */
export function isBookedReview(sr: ServiceRequestFact, now: Date): boolean {
  if (sr.status && CLOSED_STATUSES.has(sr.status)) return false;
  const daysAgo = calendarDaysAgo(sr.occurrence, now);
  if (daysAgo === undefined || daysAgo > 0) return false;
  const isPftPanel = sr.codes.some((c) => c.code === PFT_PANEL_LOINC.code && (c.system === undefined || c.system === LOINC));
  const texts = [sr.text, ...sr.codes.map((c) => c.display)];
  return isPftPanel || texts.some((text) => text !== undefined && REVIEW_WORDS.test(text));
}

/** One suggestion with both orders: the at-most-one renderer would otherwise force a choice. */
function reviewSuggestion(facts: PatientFacts, weeks: number, occurrence: string): FindingSuggestion {
  const pft = buildServiceRequest({
    patientId: facts.patientId,
    coding: { ...PFT_PANEL_LOINC },
    text: 'Pulmonary function tests (spirometry, DLCO): COP response review',
    occurrence,
    category: 'procedure',
  });
  const imaging = buildServiceRequest({ patientId: facts.patientId, text: CHEST_IMAGING_TEXT, occurrence, category: 'imaging' });
  return {
    label: `Order PFTs and chest imaging for week ${weeks}`,
    isRecommended: false,
    actions: [
      { type: 'create', description: `Pulmonary function test panel (LOINC 81458-2) on ${occurrence}`, resource: pft },
      { type: 'create', description: `Chest imaging on ${occurrence}`, resource: imaging },
    ],
  };
}

function evidenceFor(drafts: MedicationFact[], context: RuleContext): Evidence[] {
  return [
    ...drafts.map((d) => courseOrderEvidence('Drafted', d, context.thresholds, context.now)),
    { label: 'Respiratory review', value: 'none booked' },
  ];
}
