/**
 * COP-R03: paediatric or unknown age (decision 12: partial birth dates). All evidence behind the dosing
 * support comes from adult cohorts, so for a COP patient who is not known to be an adult the
 * service withholds dose suggestions (R01, R05's numeric check, R06, R10–R12 all require P-ADULT)
 * and says so on every hook. No suggestions.
 *
 * "Paediatric" only for a patient known to be under 18 (an exact age, or a partial birth date
 * whose oldest possible age is < 18); an unknown age (no birth date, or a partial one that allows
 * ages on both sides of 18) asks to confirm the age instead.
 */
import type { PatientFacts } from '../facts-types.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import { adultStatus, ageText, shortConditionEvidence } from './shared.js';

const CITATIONS: Finding['citations'] = ['CORDIER-2006', 'KING-2022'];
const NOT_OFFERED = 'The evidence behind this dosing support comes from adults (Cordier 2006; King & Lee 2022), so no dose suggestion, numeric dose check or clarithromycin option is offered.';

/** "16 years", "16–17 years" (partial birth date), "not recorded". */
function ageValue(facts: PatientFacts): string {
  const age = facts.age;
  if (age.status === 'known') return `${age.years} years`;
  if (age.status === 'range') return `${age.minYears}–${age.maxYears} years (partial birth date)`;
  return 'not recorded';
}

export function evaluateR03(facts: PatientFacts, _context: RuleContext): Finding | undefined {
  if (!facts.cop.present) return undefined;
  const adult = adultStatus(facts);
  if (adult === true) return undefined;
  // When the patient record itself could not be read, no card: nothing is inferred from missing data.
  if (facts.age.status === 'unknown' && facts.age.reason === 'patient-unavailable') return undefined;

  const evidence: Evidence[] = [{ label: 'Age', value: ageValue(facts) }];
  if (facts.cop.condition) evidence.push(shortConditionEvidence('COP diagnosis', facts.cop.condition));

  if (adult === false) {
    const age = ageText(facts);
    return {
      ruleId: 'COP-R03',
      indicator: 'info',
      summary: `COP dosing support is validated for adults only; ${age}. Specialist (paediatric respiratory) dosing required.`,
      detail: [
        facts.age.status === 'range'
          ? `Birth date recorded only in part: ${age}, under 18 on every possible birthday.`
          : `${age.charAt(0).toUpperCase()}${age.slice(1)} years: under 18.`,
        NOT_OFFERED,
      ],
      evidence,
      // The cohorts and reviews behind the dosing support are all of adults.
      citations: CITATIONS,
    };
  }

  const why = facts.age.status === 'range'
    ? `Birth date recorded only in part: ${ageText(facts)}, so it is not known whether the patient is 18 yet.`
    : 'No birth date is recorded.';
  return {
    ruleId: 'COP-R03',
    indicator: 'info',
    summary: 'Age not recorded or uncertain: confirm the age; COP dosing support is for adults.',
    detail: [`${why} An unknown age counts as not adult for dosing.`, NOT_OFFERED],
    evidence,
    citations: CITATIONS,
  };
}

export const r03: Rule = {
  id: 'COP-R03',
  title: 'Paediatric or unknown age',
  purpose: 'COP in a patient not known to be an adult: dosing support is withheld. Under 18 → specialist (paediatric respiratory) dosing; age unknown or uncertain → confirm the age.',
  hooks: ['order-select', 'order-sign', 'patient-view'],
  reads: ['patient', 'conditions'],
  thresholds: [],
  citations: ['CORDIER-2006', 'KING-2022'],
  background: [
    'The cohorts and reviews behind the dosing support (Lazor 2000, Lohr 1997, Cordier 2006, King & Lee 2022) are of adults. For a COP patient not known to be ' +
      '18 or older the service withholds the starting-dose suggestion (COP-R01), the mg/kg dose check (COP-R05), the clarithromycin option (COP-R06) and the ' +
      'steroid-safety order suggestions (COP-R10 to R12).',
    'A year-only or year-month birth date counts as adult when the youngest age it allows is 18 or more, as under 18 when the oldest is below 18, and as ' +
      'unknown in between: then the card asks to confirm the age rather than calling the patient paediatric.',
  ],
  evaluate: evaluateR03,
};
