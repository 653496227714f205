/**
 * COP-R03: paediatric or unknown age (cop-rules §R03). All evidence behind the dosing support
 * comes from adult cohorts, so for a COP patient who is not known to be an adult the service
 * withholds dose suggestions (R01, R05's numeric check, R06, R10–R12 all require P-ADULT) and
 * says so on every hook. No suggestions.
 */
import type { PatientFacts } from '../facts-types.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import { conditionEvidence, isAdult } from './shared.js';

const UNKNOWN_AGE_REASONS = {
  'no-birth-date': 'no birth date is recorded',
  'ambiguous-birth-date': 'only a birth year is recorded and the age is ambiguous',
  'patient-unavailable': 'the patient record could not be read',
} as const;

export function evaluateR03(facts: PatientFacts, _context: RuleContext): Finding | undefined {
  if (!facts.cop.present || isAdult(facts)) return undefined;
  // §0.4.3: when the patient record itself could not be read, no card for that domain.
  if (facts.age.status === 'unknown' && facts.age.reason === 'patient-unavailable') return undefined;

  const age = facts.age.status === 'known' ? String(facts.age.years) : 'unknown';
  const detail = [
    facts.age.status === 'known'
      ? `Age ${facts.age.years} years: under 18.`
      : `Age unknown: ${UNKNOWN_AGE_REASONS[facts.age.reason]}; an unknown age counts as not adult for dosing.`,
    'All evidence behind this dosing support comes from adult cohorts, so no dose suggestion, numeric dose check or clarithromycin option is offered.',
  ];
  const evidence: Evidence[] = [{ label: 'Age', value: facts.age.status === 'known' ? `${facts.age.years} years` : 'unknown' }];
  if (facts.cop.condition) evidence.push(conditionEvidence('COP diagnosis', facts.cop.condition));
  return {
    ruleId: 'COP-R03',
    indicator: 'info',
    summary: `COP dosing support is validated for adults only; age ${age}. Specialist (paediatric respiratory) dosing required.`,
    detail,
    evidence,
    // The cohorts and reviews behind the dosing support are all of adults.
    citations: ['CORDIER-2006', 'KING-2022'],
  };
}

export const r03: Rule = { id: 'COP-R03', evaluate: evaluateR03 };
