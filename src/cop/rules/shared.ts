/**
 * Small selectors and formatters shared by several rules. Pure; facts in, values out.
 */
import { calendarDaysAgo } from '../../fhir/dates.js';
import { humanUnit } from '../../fhir/ucum.js';
import { ageInWords } from '../cards.js';
import type { ConditionFact, Measurement, MedicationFact, PatientFacts, Provenance } from '../facts-types.js';
import { MAX_SUMMARY_LENGTH, type Evidence, type Finding, type FindingSuggestion, type Indicator, type RuleContext } from '../rule-types.js';
import { compactNumber, durationText } from '../text.js';

// The number and duration formatters live in src/cop/text.ts (the order builders use them too); the rules get them here.
export { compactNumber, durationText, mgPerKgText, oneDecimal, roundToStep } from '../text.js';

/**
 * P-ADULT (decision 12): true, false, or unknown. A partial birth date is adult when the youngest
 * age it allows is ≥ 18, not adult when the oldest is < 18, and unknown only in between.
 */
export function adultStatus(facts: PatientFacts): boolean | 'unknown' {
  const age = facts.age;
  if (age.status === 'known') return age.years >= 18;
  if (age.status === 'range') return age.minYears >= 18 ? true : age.maxYears < 18 ? false : 'unknown';
  return 'unknown';
}

/** P-ADULT = true; an unknown age counts as not adult for dosing. */
export const isAdult = (facts: PatientFacts): boolean => adultStatus(facts) === true;

export const isSystemicGlucocorticoid = (med: MedicationFact): boolean =>
  med.classes.includes('systemic-glucocorticoid');

/** Active (or on-hold) systemic glucocorticoid orders: P-GC-ACTIVE. */
export const activeGlucocorticoids = (facts: PatientFacts): MedicationFact[] =>
  facts.medications.active.filter(isSystemicGlucocorticoid);

export const draftGlucocorticoids = (facts: PatientFacts): MedicationFact[] =>
  facts.medications.drafts.filter(isSystemicGlucocorticoid);

/** The draft the clinician just selected (order-select), if it is a systemic glucocorticoid. */
export const selectedGlucocorticoidDraft = (facts: PatientFacts): MedicationFact | undefined =>
  facts.medications.drafts.find((m) => m.selected && isSystemicGlucocorticoid(m));

export const draftsOfClass = (facts: PatientFacts, cls: MedicationFact['classes'][number]): MedicationFact[] =>
  facts.medications.drafts.filter((m) => m.classes.includes(cls));

export const isUnidentified = (med: MedicationFact): boolean => med.identifiedBy === 'none';

/**
 * Current orders whose drug nothing identifies (decision 10). Each could be a glucocorticoid,
 * clarithromycin or an interacting drug: P-GC-ACTIVE and the clarithromycin gates are then unknown.
 */
export const unidentifiedActiveOrders = (facts: PatientFacts): MedicationFact[] =>
  facts.medications.active.filter(isUnidentified);

/** "an active order (since 2026-10-01; "Take 4 tablets daily"): its medication was not found on the EHR's FHIR server". */
export function unidentifiedOrderText(med: MedicationFact, kind: 'active' | 'selected' | 'drafted'): string {
  const facts = [med.start ? `${kind === 'active' ? 'since' : 'dated'} ${med.start.slice(0, 10)}` : '', med.instructions ? `"${med.instructions}"` : '']
    .filter(Boolean).join('; ');
  const noun = kind === 'active' ? 'an active order' : kind === 'selected' ? 'the selected order' : 'a drafted order';
  return `${noun}${facts ? ` (${facts})` : ''}: ${med.unidentifiedReason ?? 'its medication could not be identified'}`;
}

/**
 * "2025-11-03, 12 days ago", "2025-11-15, today", "2025-11-14, 1 day ago" (decision 19: a calendar
 * date with its age in words, never a time stamp); "date unknown" when the date is unknown.
 */
export function whenText(p: Provenance): string {
  if (!p.date) return 'date unknown';
  const day = p.date.slice(0, 10);
  if (p.ageDays === undefined) return day;
  return `${day}, ${ageInWords(p.ageDays)}`;
}

/** The unit as a person writes it on a card: `mm[Hg]` → `mmHg`, `[lb_av]` → `lb`; others as they are. */
export const unitText = (unit: string): string => humanUnit(unit);

/** "60.0 kg", "152 mmHg", "7.1%": a number with its unit as a person writes it (no space before %). */
export function quantityText(value: string, unit: string): string {
  const written = unitText(unit);
  return `${value}${written === '%' ? '' : ' '}${written}`;
}

/** "60.0 kg (2025-11-03, 12 days ago)", "152 mmHg (…)", "7.1% (…)": the unit as a person writes it. */
export function measurementText(m: Measurement, digits = 1): string {
  return `${quantityText(m.value.toFixed(digits), m.unit)} (${whenText(m)})`;
}

/** A reason text for a card: ISO time stamps cut to their calendar day, "24 h" written out. */
export const cardReasonText = (text: string): string =>
  text
    .replace(/(\d{4}-\d{2}-\d{2})T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?/g, '$1')
    .replace(/\b(\d+) h\b/g, (_m, n: string) => `${n} ${n === '1' ? 'hour' : 'hours'}`)
    .replace(/\b(\d+) d\b/g, (_m, n: string) => `${n} ${n === '1' ? 'day' : 'days'}`);

/** An evidence entry carrying where the value came from (date, age in days, resource reference). */
export function evidenceWithProvenance(label: string, value: string, p: Provenance): Evidence {
  const e: Evidence = { label, value };
  if (p.date) e.date = p.date;
  if (p.ageDays !== undefined) e.ageDays = p.ageDays;
  if (p.reference) e.reference = p.reference;
  return e;
}

export const evidenceOf = (label: string, m: Measurement, digits = 1): Evidence =>
  evidenceWithProvenance(label, quantityText(m.value.toFixed(digits), m.unit), m);

// ---------------------------------------------------------------------------------------------
// Weight, summaries, numbers and durations

/** The preferred summary when it fits, else the shorter fallback (which must fit). */
export const fitSummary = (preferred: string, fallback: string): string =>
  preferred.length <= MAX_SUMMARY_LENGTH ? preferred : fallback;

/** The weight a dose may be computed from: P-WEIGHT fresh or stale, else undefined. */
export function usableWeight(facts: PatientFacts): Measurement | undefined {
  const { state, kg } = facts.weight;
  return (state === 'fresh' || state === 'stale') && kg ? kg : undefined;
}

/**
 * A short evidence entry for a Condition the card only needs as a basis: "COP diagnosis recorded
 * (2026-11-10, 15 days ago)". A clinician reads no code; the Condition is in the card extension.
 */
export const shortConditionEvidence = (label: string, c: Provenance): Evidence =>
  evidenceWithProvenance(label, 'recorded', c);

/** Evidence entry for a Condition: "COP diagnosis: Cryptogenic organizing pneumonia (J84.116)". */
export const conditionEvidence = (label: string, c: { code: string; display?: string } & Provenance): Evidence =>
  evidenceWithProvenance(label, c.display ? `${c.display} (${c.code})` : c.code, c);

// ---------------------------------------------------------------------------------------------
// Medications and the glucocorticoid course

/** PredEq mg/day of an order; `undefined` when the dose could not be derived (never read as 0). */
export const predEqMgPerDay = (med: MedicationFact): number | undefined =>
  med.dailyDose?.prednisoneEquivalentMgPerDay;

/**
 * Decision 6 on order-sign: a COP patient with a systemic glucocorticoid course
 * drafted. The scope of the steroid-safety rules (R10–R13) in this hook.
 */
export const isCopGlucocorticoidDraftAtSign = (facts: PatientFacts, context: RuleContext): boolean =>
  context.hook === 'order-sign' && facts.cop.present && draftGlucocorticoids(facts).length > 0;

/** Inside a recency window of whole calendar days (decision 9); an undated fact is never recent. */
export const isWithinDays = (p: Provenance, days: number): boolean =>
  p.ageDays !== undefined && p.ageDays <= days;

/**
 * Evidence entry for an order: its name and daily dose (or why the dose is unknown). With `now`
 * (the request's site clock) the start date carries its age ("2026-09-16, 70 days ago").
 */
export function medicationEvidence(label: string, med: MedicationFact, now?: Date): Evidence {
  const e: Evidence = { label, value: `${med.name}, ${doseText(med)}`, reference: med.reference };
  if (med.plannedDurationDays !== undefined) e.value += `; planned ${durationText(med.plannedDurationDays)}`;
  return withStart(e, med, now);
}

/**
 * A short evidence entry for an order whose dose the card's text already states: its name and
 * mg/day ("prednisone 20 MG Oral Tablet, 20 mg/day", "…, dose could not be derived (…)"), dated by its start.
 */
export function shortMedicationEvidence(label: string, med: MedicationFact, now?: Date): Evidence {
  const mgPerDay = med.dailyDose?.mgPerDay;
  const predEq = predEqMgPerDay(med);
  const dose = mgPerDay === undefined
    ? `dose could not be derived${med.doseUnknownReason ? ` (${med.doseUnknownReason})` : ''}`
    : `${compactNumber(mgPerDay, 2)} mg/day${predEq !== undefined && Math.abs(predEq - mgPerDay) > 1e-9 ? ` (PredEq ${compactNumber(predEq, 2)} mg/day)` : ''}`;
  return withStart({ label, value: `${med.name}, ${dose}`, reference: med.reference }, med, now);
}

function withStart(e: Evidence, med: MedicationFact, now: Date | undefined): Evidence {
  if (!med.start) return e;
  e.date = med.start;
  const ageDays = now ? calendarDaysAgo(med.start, now) : undefined;
  if (ageDays !== undefined) e.ageDays = ageDays;
  return e;
}

/** At most this many unidentified orders are listed one by one on a card (the rest are counted). */
export const MAX_UNIDENTIFIED_LISTED = 2;

/** A dosage text quoted on a card, cut to this many characters. */
const MAX_QUOTED_INSTRUCTIONS = 40;

const quotedInstructions = (text: string): string =>
  `"${text.length > MAX_QUOTED_INSTRUCTIONS ? `${text.slice(0, MAX_QUOTED_INSTRUCTIONS - 1).trimEnd()}…` : text}"`;

/**
 * Orders nothing identifies (decision 10), as a card states them: why they could not be identified,
 * said once when it is the same for all (the usual case), and one evidence entry per order with its
 * dosage text and start date (its own reason only when the reasons differ), at most
 * MAX_UNIDENTIFIED_LISTED of them.
 */
export function unidentifiedOrdersText(orders: readonly MedicationFact[], label: string, now: Date): { sharedReason?: string; evidence: Evidence[] } {
  const reasonOf = (m: MedicationFact) => cardReasonText(m.unidentifiedReason ?? 'its medication could not be identified');
  const reasons = [...new Set(orders.map(reasonOf))];
  const sharedReason = reasons.length === 1 ? reasons[0] : undefined;
  const listed = orders.slice(0, MAX_UNIDENTIFIED_LISTED);
  const evidence = listed.map((m) => {
    const e = shortMedicationEvidence(label, m, now);
    e.value = [m.instructions ? quotedInstructions(m.instructions) : 'no dosage text', ...(sharedReason ? [] : [reasonOf(m)])].join(', ');
    return e;
  });
  if (orders.length > listed.length) evidence.push({ label: 'Other unidentified orders', value: String(orders.length - listed.length) });
  return { ...(sharedReason ? { sharedReason } : {}), evidence };
}

/** "2026-09-16 (70 days ago)" for an order's start; the bare day without `now`. */
export function startText(med: MedicationFact, now?: Date): string | undefined {
  if (!med.start) return undefined;
  const ageDays = now ? calendarDaysAgo(med.start, now) : undefined;
  return ageDays === undefined ? med.start.slice(0, 10) : `${med.start.slice(0, 10)} (${ageInWords(ageDays)})`;
}

/** "10 mg once daily = 10 mg/day", plus the PredEq when it differs from the drug's own mg. */
function doseText(med: MedicationFact): string {
  if (!med.dailyDose) return `dose could not be derived${med.doseUnknownReason ? ` (${med.doseUnknownReason})` : ''}`;
  const predEq = predEqMgPerDay(med);
  const showPredEq = predEq !== undefined && predEq !== med.dailyDose.mgPerDay;
  return showPredEq ? `${med.dailyDose.derivation} (PredEq ${compactNumber(predEq)} mg/day)` : med.dailyDose.derivation;
}

/** "age 54", "age 39–40" (a partial birth date) or "age unknown", for lines that explain why adult-only advice was withheld. */
export function ageText(facts: PatientFacts): string {
  const age = facts.age;
  if (age.status === 'known') return `age ${age.years}`;
  if (age.status === 'range') return `age ${age.minYears}–${age.maxYears}`;
  return 'age unknown';
}

/** Why a card that could suggest an order suggests none for this patient (see suggestToAdultsOnly). */
export const adultOnlySuggestionLine = (facts: PatientFacts): string =>
  `No order suggested: ${ageText(facts)}, and this advice is validated for adults only (see COP-R03).`;

/**
 * Order suggestions go only to a patient known to be an adult (P-ADULT; an unknown age counts as
 * not adult): the evidence behind them is from adults, and COP-R03 speaks for everyone else. The
 * one place a card's suggestions are gated by age: for an adult `finding` gets `suggestions()`,
 * otherwise a detail line says why no order is suggested (COP-R11, COP-R12). COP-R01 and COP-R10
 * have P-ADULT in their firing condition instead, so they give no card at all to a non-adult.
 */
export function suggestToAdultsOnly(finding: Finding, facts: PatientFacts, suggestions: () => FindingSuggestion[]): void {
  if (isAdult(facts)) finding.suggestions = suggestions();
  else finding.detail.push(adultOnlySuggestionLine(facts));
}

/** Evidence entry for P-ON-GC-WEEKS with the run's start date; undefined when not on GC. */
export function glucocorticoidRunEvidence(facts: PatientFacts): Evidence | undefined {
  const { onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: start } = facts.medications;
  if (weeks === undefined) return undefined;
  const e: Evidence = { label: 'On systemic glucocorticoid', value: `${weeks} weeks (current run)` };
  if (start) e.date = start;
  return e;
}

// ---------------------------------------------------------------------------------------------
// Indicators and pregnancy

/** Severity order of card indicators, for sorting and for "the most severe wins". */
export const INDICATOR_RANK: Record<Indicator, number> = { info: 0, warning: 1, critical: 2 };

/** The most severe indicator of several reasons (one card per rule, decision 7); info when none. */
export const highestIndicator = (indicators: Indicator[]): Indicator =>
  indicators.reduce<Indicator>((max, i) => (INDICATOR_RANK[i] > INDICATOR_RANK[max] ? i : max), 'info');

/** "2026-10-31 (31 days ago)": a fact's calendar day as written, with its age (decision 19). */
export function dayWithAge(p: Provenance): string {
  if (!p.date) return 'date unknown';
  const day = p.date.slice(0, 10);
  const n = p.ageDays;
  if (n === undefined) return day;
  if (n < 0) return `${day} (in the future)`;
  return `${day} (${n === 0 ? 'today' : n === 1 ? '1 day ago' : `${n} days ago`})`;
}

/** Why P-PREGNANT is n/a: "male", "not female", "age 62". */
function pregnancyNotApplicableBecause(facts: PatientFacts): string {
  if (facts.sex === 'male') return 'male';
  if (facts.sex !== 'female') return 'not female';
  return ageText(facts);
}

type DatedText = Provenance & { text: string; outdated?: string };

/** "not pregnant, 2026-09-01 (91 days ago: too old to rule out pregnancy)", or without the date. */
function recordText(r: DatedText, withDate: boolean): string {
  if (!withDate) return r.outdated ? `${r.text} (${r.outdated})` : r.text;
  const when = dayWithAge(r);
  return `${r.text}, ${r.outdated && when.endsWith(')') ? `${when.slice(0, -1)}: ${r.outdated})` : when}`;
}

/**
 * P-PREGNANT in words, with what it rests on (decision 15): the last recorded status is always
 * named, even outside the window. With dates (card detail): "pregnant, 2026-10-31 (31 days ago)",
 * "unknown; last recorded not pregnant, 2026-09-01 (91 days ago: too old to rule out pregnancy)",
 * "not applicable (male)". Without dates, for an Evidence entry that carries the date itself.
 */
export function pregnancyStatusText(facts: PatientFacts, withDate = true): string {
  const p = facts.pregnancy;
  const last = p.lastRecorded ? recordText(p.lastRecorded, withDate) : undefined;
  const statusWord = { yes: 'pregnant', no: 'not pregnant' } as const;
  switch (p.status) {
    case 'yes':
    case 'no': {
      // An active condition decided "yes" while the last test says something else: both.
      if (p.evidence && p.lastRecorded && !isSameRecord(p.evidence, p.lastRecorded)) {
        return `${statusWord[p.status]} (${recordText(p.evidence, withDate)}); last recorded ${last}`;
      }
      const record = p.lastRecorded ?? p.evidence;
      if (!record) return statusWord[p.status];
      const text = recordText(record, withDate);
      return text.toLowerCase().startsWith(statusWord[p.status]) ? text : `${statusWord[p.status]} (${text})`;
    }
    case 'unknown':
      if (last) return `unknown; last recorded ${last}`;
      return p.domain === 'unavailable' ? 'unknown (pregnancy data could not be read)' : 'unknown (none recorded)';
    default:
      return `not applicable (${pregnancyNotApplicableBecause(facts)})${last ? `; last recorded ${last}` : ''}`;
  }
}

/** The last recorded pregnancy status with its date ("not pregnant, 2026-09-01 (91 days ago: …)"), if any. */
export const lastPregnancyRecordText = (facts: PatientFacts): string | undefined =>
  facts.pregnancy.lastRecorded ? recordText(facts.pregnancy.lastRecorded, true) : undefined;

const isSameRecord = (a: Provenance, b: Provenance | undefined): boolean =>
  b !== undefined && a.reference === b.reference && a.date === b.date;

/**
 * Evidence entry for P-PREGNANT: the status in words, dated by the last recorded status (or by the
 * record that decided it); none for n/a with nothing recorded.
 */
export function pregnancyEvidence(facts: PatientFacts): Evidence[] {
  const p = facts.pregnancy;
  if (p.status === 'n/a' && !p.lastRecorded) return [];
  if (p.evidence && p.lastRecorded && !isSameRecord(p.evidence, p.lastRecorded)) {
    // An active condition decided it, and the last test says something else: both, each with its date.
    return [
      evidenceWithProvenance('Pregnancy status', `pregnant (${p.evidence.text})`, p.evidence),
      evidenceWithProvenance('Last pregnancy record', recordText(p.lastRecorded, false), p.lastRecorded),
    ];
  }
  const dated = p.lastRecorded ?? p.evidence;
  const value = pregnancyStatusText(facts, false);
  return [dated ? evidenceWithProvenance('Pregnancy status', value, dated) : { label: 'Pregnancy status', value }];
}

// ---------------------------------------------------------------------------------------------
// patient-view: the active course

/**
 * Decision 6 on patient-view: a COP patient with an active systemic glucocorticoid
 * course (P-GC-ACTIVE). The scope of the steroid-safety rules (R10–R13) in this hook.
 */
export const isCopGlucocorticoidActiveAtView = (facts: PatientFacts, context: RuleContext): boolean =>
  context.hook === 'patient-view' && facts.cop.present && activeGlucocorticoids(facts).length > 0;

/**
 * The glucocorticoid course the steroid-safety rules (R10–R13) judge: the drafted orders on
 * order-sign, the active orders on patient-view (decision 6); undefined outside that scope.
 */
export interface SteroidSafetyCourse {
  kind: 'drafted' | 'active';
  orders: MedicationFact[];
}

export function steroidSafetyCourse(facts: PatientFacts, context: RuleContext): SteroidSafetyCourse | undefined {
  if (isCopGlucocorticoidDraftAtSign(facts, context)) return { kind: 'drafted', orders: draftGlucocorticoids(facts) };
  if (isCopGlucocorticoidActiveAtView(facts, context)) return { kind: 'active', orders: activeGlucocorticoids(facts) };
  return undefined;
}

/** Sum of PredEq mg/day; undefined as soon as one dose is unknown (a partial sum would understate it). */
export function totalPredEqMgPerDay(meds: readonly MedicationFact[]): number | undefined {
  let total = 0;
  for (const med of meds) {
    const predEq = predEqMgPerDay(med);
    if (predEq === undefined) return undefined;
    total += predEq;
  }
  return total;
}

const RELAPSE_STATUSES: ReadonlySet<string> = new Set(['recurrence', 'relapse']);

/** P-COP conditions recorded as a recurrence or relapse (COP-R16 (c), COP-R18). */
export const copRelapseConditions = (facts: PatientFacts): ConditionFact[] =>
  (facts.cop.conditions ?? []).filter((c) => RELAPSE_STATUSES.has(c.clinicalStatus ?? ''));

/** The day a condition was recorded (recordedDate, else onset, else its provenance date), YYYY-MM-DD. */
export const conditionRecordDay = (c: ConditionFact): string | undefined => (c.recordedDate ?? c.onset ?? c.date)?.slice(0, 10);
