/**
 * COP-R02: no usable body weight. A glucocorticoid is being drafted for COP but
 * the weight is absent (none, or older than the stale window), conflicting or invalid (unit not
 * recognised, implausible), so no weight-based dose is computed (unknown ≠ normal).
 * The card gives the fixed range in words and offers a Task to measure the weight.
 */
import type { Measurement, PatientFacts } from '../facts-types.js';
import { buildTask } from '../service-orders.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import { ageInWords } from '../cards.js';
import { cardReasonText, draftGlucocorticoids, evidenceOf, fitSummary, isAdult, mgPerKgText, unitText } from './shared.js';
import { P_WEIGHT } from './predicate-thresholds.js';

const UNUSABLE_STATES = new Set(['absent', 'conflicting', 'invalid']);

/** The chart's latest weight as it was recorded (before any unit conversion; the unit as a person writes it), for "last: …". */
function recordedValue(m: Measurement): { value: number; unit: string } {
  const { value, unit } = m.original ?? { value: m.value, unit: m.unit };
  const written = unitText(unit);
  return { value, unit: written.length > MAX_UNIT_SHOWN ? `${written.slice(0, MAX_UNIT_SHOWN - 1).trimEnd()}…` : written };
}

/** A sender's unit text is cut to this many characters on the card. */
const MAX_UNIT_SHOWN = 24;

/** "132 lbs, 2026-10-01" or "none"; with `withAge` (the card's summary) "132 lbs, 2026-10-01, 2 days ago". */
export function lastWeightText(latest: Measurement | undefined, withAge = false): string {
  if (!latest) return 'none';
  const { value, unit } = recordedValue(latest);
  const age = withAge && latest.ageDays !== undefined ? `, ${ageInWords(latest.ageDays)}` : '';
  return `${value} ${unit}, ${latest.date ? `${latest.date.slice(0, 10)}${age}` : 'date unknown'}`;
}

function evidenceFor(facts: PatientFacts): Evidence[] {
  const latest = facts.weight.latest;
  if (!latest) return [{ label: 'Last weight', value: 'none recorded' }];
  const { value, unit } = recordedValue(latest);
  return [{ ...evidenceOf('Last weight', latest), value: `${value} ${unit}` }];
}

export function evaluateR02(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'order-select' && context.hook !== 'order-sign') return undefined;
  // A weight domain that could not be read at all gives no card (never infer from missing data).
  if (facts.weight.domain !== 'available') return undefined;
  // Adults only: for a child the card would promise a dose suggestion that R03 withholds.
  if (!facts.cop.present || !isAdult(facts) || draftGlucocorticoids(facts).length === 0) return undefined;
  if (!UNUSABLE_STATES.has(facts.weight.state)) return undefined;

  const t = context.thresholds;
  const last = lastWeightText(facts.weight.latest, true);
  // The latest weight itself is in the evidence list, with its date and age.
  const detail = [
    `No weight-based dose was computed: ${cardReasonText(facts.weight.reason ?? `weight ${facts.weight.state}`)}.`,
    // Fixed text; the 40–60 mg/day figure is the summary's typical adult dose, not a threshold.
    `Usual adult range ${mgPerKgText(t.minMgPerKg)}–${mgPerKgText(t.maxMgPerKg)} mg/kg/day; many adults 40–60 mg/day (Lazor 2000; Cordier 2006).`,
  ];
  return {
    ruleId: 'COP-R02',
    indicator: 'warning',
    summary: fitSummary(
      `No usable body weight (last: ${last}). Record weight to get a dose suggestion.`,
      'No usable body weight (see detail). Record weight to get a dose suggestion.',
    ),
    detail,
    evidence: evidenceFor(facts),
    suggestions: [{
      label: 'Measure body weight',
      isRecommended: false,
      actions: [{
        type: 'create',
        description: 'Task: measure body weight',
        resource: buildTask({ patientId: facts.patientId, description: 'Measure body weight', codeText: 'Body weight (LOINC 29463-7)' }),
      }],
    }],
    // The weight-based range the card quotes comes from the adult cohorts behind COP-R01.
    citations: ['LAZOR-2000', 'CORDIER-2006'],
  };
}

export const r02: Rule = {
  id: 'COP-R02',
  title: 'Weight missing, stale, implausible or unit not recognised',
  purpose: 'No usable body weight (none, older than the stale limit, conflicting, implausible or in an unknown unit): no dose is computed, and a task to measure the weight is offered.',
  hooks: ['order-select', 'order-sign'],
  reads: ['patient', 'conditions', 'weight', 'encounter'],
  thresholds: [...P_WEIGHT, 'minMgPerKg', 'maxMgPerKg'],
  citations: ['LAZOR-2000', 'CORDIER-2006'],
  background: [
    'A weight-based dose needs a usable weight: the latest body weight (LOINC 29463-7), final, amended or corrected, in a unit of mass, plausible (30–250 kg by default), ' +
      'not contradicted by another weight within 24 hours (more than 10% apart), and at most 90 days old. A weight 31–90 days old still gives a dose on the ' +
      'COP-R01 card, with a warning to confirm it.',
    'Without one, no dose is computed (unknown is never read as normal): the card gives the usual adult range in words and offers a task to measure the weight.',
  ],
  evaluate: evaluateR02,
};
