/**
 * MedicationsFact: current medications (P-GC-ACTIVE candidates), drafted orders, macrolide allergy
 * and P-ON-GC-WEEKS (length of the current continuous systemic glucocorticoid run).
 */
import type {
  AllergyIntolerance, Bundle, MedicationRequest, MedicationStatement,
} from 'fhir/r4.js';
import { calendarDaysAgo } from '../../fhir/dates.js';
import { allergyCodings, allergyTexts, codeIn } from '../../fhir/fhirpath.js';
import type { DomainStatus, MedicationFact, MedicationsFact, Tristate } from '../facts-types.js';
import { MACROLIDE_NAMES, SYSTEMS, wordMatcher, type Terminology } from '../valuesets.js';
import { namesAMedication, type MedicationLookup } from './medication-identity.js';
import { medicationFactFromRequest, medicationFactFromStatement } from './medication-record.js';

const ACTIVE_REQUEST_STATUSES: ReadonlySet<string> = new Set(['active', 'on-hold']);
const ACTIVE_REQUEST_INTENTS: ReadonlySet<string> = new Set(['order', 'plan', 'original-order']);

export function isCurrentRequest(r: MedicationRequest): boolean {
  return ACTIVE_REQUEST_STATUSES.has(r.status) && ACTIVE_REQUEST_INTENTS.has(r.intent);
}

export function isCurrentStatement(s: MedicationStatement): boolean {
  return s.status === 'active';
}

/** MedicationRequests in `context.draftOrders`. */
export function draftMedicationRequests(draftOrders: Bundle | undefined): MedicationRequest[] {
  return (draftOrders?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
}

// ---------------------------------------------------------------------------------------------
// Macrolide allergy

const mentionsMacrolide = wordMatcher([...MACROLIDE_NAMES, 'macrolides?']);
const INACTIVE_ALLERGY: ReadonlySet<string> = new Set(['inactive', 'resolved']);
const DISQUALIFIED_ALLERGY: ReadonlySet<string> = new Set(['refuted', 'entered-in-error']);

export function isMacrolideAllergy(allergy: AllergyIntolerance, terminology: Terminology): boolean {
  if (DISQUALIFIED_ALLERGY.has(codeIn(allergy.verificationStatus) ?? '')) return false;
  if (INACTIVE_ALLERGY.has(codeIn(allergy.clinicalStatus) ?? '')) return false;
  const clarithromycinIngredients = terminology.clarithromycinRxnormIngredients;
  const coded = allergyCodings(allergy).some(
    (c) =>
      (c.system === SYSTEMS.rxnorm && c.code !== undefined && clarithromycinIngredients.includes(c.code)) ||
      (c.system === SYSTEMS.atc && c.code?.startsWith('J01FA') === true),
  );
  return coded || allergyTexts(allergy).some(mentionsMacrolide);
}

function macrolideAllergy(allergies: readonly AllergyIntolerance[], domain: DomainStatus, terminology: Terminology): Tristate {
  if (allergies.some((a) => isMacrolideAllergy(a, terminology))) return 'present';
  return domain === 'unavailable' ? 'unknown' : 'absent';
}

// ---------------------------------------------------------------------------------------------
// P-ON-GC-WEEKS

interface Interval {
  /** Days ago the course started (larger = earlier). */
  startAgo: number;
  /** Days ago it ended per its planned duration; 0 while it runs to today. */
  endAgo: number;
  start: string;
}

/**
 * The current run of systemic glucocorticoid orders: each order covers start → start + planned
 * duration (or → today when open-ended); orders whose gap is ≤ `gapDays` merge into one run; the
 * run that ends latest is "current". Orders without a start date cannot be placed and are skipped.
 */
export function glucocorticoidRun(
  active: readonly MedicationFact[],
  now: Date,
  gapDays: number,
): { start: string; weeks: number } | undefined {
  const intervals: Interval[] = [];
  for (const med of active) {
    if (!med.classes.includes('systemic-glucocorticoid') || !med.start) continue;
    const startAgo = calendarDaysAgo(med.start, now);
    if (startAgo === undefined) continue;
    const endAgo = med.plannedDurationDays !== undefined ? Math.max(0, startAgo - med.plannedDurationDays) : 0;
    intervals.push({ startAgo, endAgo: Math.min(endAgo, startAgo), start: med.start });
  }
  if (intervals.length === 0) return undefined;

  // Walk back from the interval that ends latest, absorbing every interval that overlaps or
  // ends within `gapDays` of the run's current start.
  intervals.sort((a, b) => a.endAgo - b.endAgo || b.startAgo - a.startAgo);
  const first = intervals[0] as Interval;
  let run = { startAgo: first.startAgo, start: first.start };
  let grew = true;
  while (grew) {
    grew = false;
    for (const i of intervals) {
      if (i.startAgo > run.startAgo && i.endAgo - run.startAgo <= gapDays) {
        run = { startAgo: i.startAgo, start: i.start };
        grew = true;
      }
    }
  }
  return { start: run.start, weeks: Math.floor(Math.max(0, run.startAgo) / 7) };
}

// ---------------------------------------------------------------------------------------------

export interface MedicationInputs {
  requests: readonly MedicationRequest[];
  statements: readonly MedicationStatement[];
  allergies: readonly AllergyIntolerance[];
  draftOrders: Bundle | undefined;
  selections: readonly string[];
  medsDomain: DomainStatus;
  /** `medsHistory` (completed and stopped orders) could be read. */
  pastDomain: DomainStatus;
  allergiesDomain: DomainStatus;
  glucocorticoidGapDays: number;
  /** External Medications the orders reference (found in the request or fetched), decision 10. */
  lookup?: MedicationLookup;
  /** The deployment's terminology (built once at start-up). */
  terminology: Terminology;
}

export function extractMedications(inputs: MedicationInputs, now: Date): MedicationsFact {
  const { lookup, terminology } = inputs;
  const read = { terminology, ...(lookup ? { lookup } : {}) };
  const active = [
    ...inputs.requests.filter(isCurrentRequest).map((r) => medicationFactFromRequest(r, read)),
    ...inputs.statements.filter(isCurrentStatement).map((s) => medicationFactFromStatement(s, lookup, terminology)),
  ];
  const past = inputs.requests
    .filter((r) => !isCurrentRequest(r) && r.status !== 'entered-in-error' && r.status !== 'draft')
    .map((r) => medicationFactFromRequest(r, read));
  const selections = new Set(inputs.selections);
  // A draft naming no drug is an empty order form, not an order: it gets no card.
  const drafts = draftMedicationRequests(inputs.draftOrders).filter(namesAMedication).map((r) =>
    medicationFactFromRequest(r, {
      ...read,
      draft: true,
      selected: r.id !== undefined && selections.has(`MedicationRequest/${r.id}`),
    }),
  );
  const fact: MedicationsFact = {
    active,
    drafts,
    past,
    pastDomain: inputs.pastDomain,
    macrolideAllergy: macrolideAllergy(inputs.allergies, inputs.allergiesDomain, terminology),
    domain: inputs.medsDomain,
  };
  const run = glucocorticoidRun(active, now, inputs.glucocorticoidGapDays);
  if (run) {
    fact.onGlucocorticoidWeeks = run.weeks;
    fact.glucocorticoidRunStart = run.start;
  }
  return fact;
}
