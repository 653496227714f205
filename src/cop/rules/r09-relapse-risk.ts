/**
 * COP-R09: relapse-risk markers, information only (evidence: Lazor 2000, Barroso 2007).
 *
 * On order-select when a systemic glucocorticoid is chosen for COP, and on patient-view for any
 * COP chart, shows raised GGT/ALP (P-CHOLESTASIS) and the symptom-to-treatment interval as facts. No interval threshold is
 * applied: the 22 weeks of LAZOR-2000 is a group mean, not a cut-off (decision 8).
 */
import { calendarDaysAgo, parseFhirDate } from '../../fhir/dates.js';
import type { LabVsUln, PatientFacts } from '../facts-types.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import { evidenceWithProvenance, fitSummary, selectedGlucocorticoidDraft } from './shared.js';
import { P_CHOLESTASIS } from './predicate-thresholds.js';

type Marker = { name: 'GGT' | 'ALP'; lab: LabVsUln };

/** Symptom onset → first glucocorticoid order (or today when untreated), in whole calendar days. */
type Interval =
  | { status: 'known'; days: number; onset: string; treatmentStart?: string; approximate: boolean }
  | { status: 'unknown'; reason: string };

/** "2.4"; two decimals near 1 so that a value just above the ULN never reads "1.0×". */
export function ratioText(ratio: number): string {
  const one = ratio.toFixed(1);
  return one === '1.0' ? ratio.toFixed(2) : one;
}

function markerText(m: Marker): string {
  return `${m.name} ${ratioText(m.lab.ratio)}× ULN${m.lab.ulnSource === 'fallback' ? ' (fallback ULN)' : ''}`;
}

function markers(facts: PatientFacts): Marker[] {
  const { ggt, alp } = facts.cholestasis;
  const found: Marker[] = [];
  if (ggt) found.push({ name: 'GGT', lab: ggt });
  if (alp) found.push({ name: 'ALP', lab: alp });
  return found;
}

export function symptomToTreatment(facts: PatientFacts, now: Date): Interval {
  const onset = facts.cop.condition?.onset;
  const parsed = parseFhirDate(onset);
  if (!onset || !parsed) return { status: 'unknown', reason: 'no symptom onset recorded on the COP condition' };
  // A year-only onset leaves the interval uncertain by up to a year: not shown as a number.
  if (parsed.precision === 'year') return { status: 'unknown', reason: `symptom onset recorded to the year only (${onset})` };
  const treatmentStart = facts.medications.glucocorticoidRunStart;
  // Day as written (decision 22); without a run, today on the site's calendar (`now`: the site clock).
  const end = treatmentStart ? parseFhirDate(treatmentStart)?.day : now;
  if (!end) return { status: 'unknown', reason: `glucocorticoid start date not readable (${treatmentStart})` };
  const days = calendarDaysAgo(onset, end);
  if (days === undefined || days < 0) {
    return { status: 'unknown', reason: treatmentStart ? 'the glucocorticoid run started before the recorded symptom onset' : 'symptom onset recorded in the future' };
  }
  const interval: Interval = { status: 'known', days, onset, approximate: parsed.precision === 'month' };
  if (treatmentStart) interval.treatmentStart = treatmentStart;
  return interval;
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function weeksText(days: number): string {
  const weeks = Math.floor(days / 7);
  if (weeks === 0) return days === 1 ? '1 day' : `${days} days`;
  return weeks === 1 ? '1 week' : `${weeks} weeks`;
}

function intervalSummary(i: Extract<Interval, { status: 'known' }>): string {
  if (i.days === 0) return i.treatmentStart ? 'symptom onset on the day of the first glucocorticoid order' : 'symptom onset today';
  const amount = `${i.approximate ? '≈' : ''}${weeksText(i.days)}`;
  return i.treatmentStart ? `symptom onset ${amount} before the first glucocorticoid order` : `symptom onset ${amount} ago`;
}

function intervalLine(i: Interval): string {
  if (i.status === 'unknown') return `- Symptom-to-treatment interval unknown: ${i.reason}.`;
  const end = i.treatmentStart ? `first glucocorticoid order ${i.treatmentStart.slice(0, 10)}` : 'today, no glucocorticoid started yet';
  const amount = i.approximate
    ? `≈${weeksText(i.days)} (onset known to the month only)`
    : i.days >= 7 ? `${weeksText(i.days)} (${i.days} days)` : weeksText(i.days);
  // Shown as a fact: the study reports group means, so no interval threshold applies (see background).
  return `- Symptom onset ${i.onset.slice(0, 10)} to ${end}: ${amount}.`;
}

/** The ratio to the ULN of each marker found; the values, ULNs and dates are the data used. */
function labLines(facts: PatientFacts, windowDays: number): string[] {
  if (facts.cholestasis.domain === 'unavailable') return ['- Liver enzymes (GGT/ALP) could not be read: cholestasis not assessed.'];
  const found = markers(facts);
  if (found.length === 0) return [`- No GGT or ALP within ${windowDays} days: cholestasis not assessed.`];
  const why = 'fallback ULN: the lab sent no reference range';
  const allFallback = found.every((m) => m.lab.ulnSource === 'fallback');
  const text = found.map(({ name, lab }) =>
    `${name} ${ratioText(lab.ratio)}× ULN${lab.ulnSource === 'fallback' && !allFallback ? ` (${why})` : ''}${lab.elevated ? '' : ', not raised'}`);
  const whyAll = found.length > 1 ? 'fallback ULNs: the lab sent no reference ranges' : why;
  return [`- ${text.join('; ')}${allFallback ? ` (${whyAll})` : ''}.`];
}

function labEvidence(m: Marker): Evidence {
  return evidenceWithProvenance(m.name, `${m.lab.value} ${m.lab.unit}, ULN ${m.lab.uln} ${m.lab.unit}`, m.lab);
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (!facts.cop.present) return undefined;
  // order-select: "GC for COP", the order being chosen is a systemic glucocorticoid.
  // patient-view: any COP chart; the interval ends at the first GC order, or today if untreated.
  if (context.hook === 'order-select' ? !selectedGlucocorticoidDraft(facts) : context.hook !== 'patient-view') return undefined;
  const raised = facts.cholestasis.elevated ? markers(facts).filter((m) => m.lab.elevated) : [];
  const interval = symptomToTreatment(facts, context.now);
  if (raised.length === 0 && interval.status === 'unknown') return undefined;

  const markerPart = raised.map(markerText).join(' / ');
  const parts = [markerPart, interval.status === 'known' ? intervalSummary(interval) : ''].filter(Boolean);
  const association = parts.length > 1 ? 'these were' : raised.length > 0 ? 'raised values were' : 'a longer delay was';
  const shortParts = [markerPart, interval.status === 'known' ? `onset-to-treatment ${weeksText(interval.days)}` : ''].filter(Boolean);
  const summary = capitalise(fitSummary(
    `${parts.join('; ')}. In one series ${association} associated with multiple relapses; plan follow-up.`,
    fitSummary(
      `${parts.join('; ')}. In one series ${association} associated with multiple relapses.`,
      fitSummary(`${parts.join('; ')}. Relapse-risk markers (one series).`, `${shortParts.join('; ')}: relapse-risk markers.`),
    ),
  ));
  return {
    ruleId: 'COP-R09',
    indicator: 'info',
    summary,
    detail: [
      [...labLines(facts, context.thresholds.labWindowDays), intervalLine(interval)].join('\n'),
      'In one series, patients with ≥ 3 relapses had higher GGT and ALP and a longer delay to treatment (group means, not cut-offs); relapses did not worsen outcome (Lazor 2000).',
      'Plan follow-up; do not prolong or intensify therapy pre-emptively.',
    ],
    // The interval line states the onset and the treatment start with their dates.
    evidence: markers(facts).map(labEvidence),
    citations: ['LAZOR-2000', 'BARROSO-2007'],
  };
}

export const r09: Rule = {
  id: 'COP-R09',
  title: 'Relapse-risk markers',
  purpose: 'Shows raised GGT/ALP and the symptom-to-treatment interval as facts associated with relapse in one series; no threshold is applied to the interval.',
  hooks: ['order-select', 'patient-view'],
  reads: ['conditions', 'labs', 'meds'],
  thresholds: [...P_CHOLESTASIS],
  citations: ['LAZOR-2000', 'BARROSO-2007'],
  background: [
    'Lazor 2000 (retrospective, 48 patients), patients with ≥ 3 relapses vs none: GGT mean 124 vs 29 IU/L; ALP 190 vs 110 IU/L; delay from first symptoms to treatment 22 ± 17 vs 11 ± 8 weeks. These are group means, not cut-offs: no interval threshold is applied, and the interval is shown as a fact. Relapses did not worsen outcome.',
    'Barroso 2007 did not find the GGT association (relapsers had lower GGT), so the cholestasis signal is not consistent across series.',
    'Plan follow-up; do not prolong or intensify therapy pre-emptively.',
  ],
  evaluate,
};
