/**
 * P-PREGNANT (decision 15: a positive status lasts 280 days unless something later ends it):
 *
 * - **yes** if the latest pregnancy status 82810-3 is pregnant (77386006) within
 *   `pregnancyPositiveWindowDays` (280 ⚠) and nothing later says otherwise (a later 82810-3 = not
 *   pregnant is then the latest; or a pregnancy Condition that ended after it), or an active
 *   pregnancy Condition;
 * - **no** if the latest 82810-3 is not pregnant (60001007) within `pregnancyObservationWindowDays` (30);
 * - **unknown** for a female who may be of child-bearing age (12–55) with neither;
 * - **n/a** otherwise.
 *
 * `lastRecorded` is the last recorded status whatever its age, so every card can show it with its date.
 */
import { daysFromTo } from '../../fhir/dates.js';
import { valueCodings } from '../../fhir/fhirpath.js';
import type { AgeFact, ConditionFact, DomainStatus, PregnancyFact, Provenance, Sex } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { LOINC_CODES, PREGNANCY_STATUS_VALUES, SYSTEMS } from '../valuesets.js';
import { observationProvenance, type ObservationIndex } from './observation-index.js';

const ACTIVE_CLINICAL: ReadonlySet<string> = new Set(['active', 'recurrence', 'relapse']);

type Recorded = Provenance & { text: string; outdated?: string };

interface StatusResult {
  pregnant: boolean;
  record: Recorded;
}

/** The latest 82810-3 that carries a recognised answer, whatever its age. */
function latestStatus(index: ObservationIndex): StatusResult | undefined {
  for (const obs of index.byLoinc(LOINC_CODES.pregnancyStatus)) {
    const answer = valueCodings(obs.resource).find(
      (c) => c.system === SYSTEMS.snomed && (c.code === PREGNANCY_STATUS_VALUES.pregnant || c.code === PREGNANCY_STATUS_VALUES.notPregnant),
    );
    if (!answer) continue;
    const pregnant = answer.code === PREGNANCY_STATUS_VALUES.pregnant;
    return { pregnant, record: { ...observationProvenance(obs), text: pregnant ? 'pregnant' : 'not pregnant' } };
  }
  return undefined;
}

/**
 * Whether an ended pregnancy Condition ended after `date` (a day as written). An end date is
 * compared by calendar day (same day = not later: the test may have come after). Without an end
 * date it ended after its onset, so an onset after the test is also later; otherwise it cannot be
 * placed and does not overrule the test (the safe reading).
 */
function endedAfter(c: ConditionFact, date: string | undefined): boolean {
  const end = c.date ?? c.onset;
  const days = daysFromTo(date, end);
  return days !== undefined && days > 0;
}

const endedText = (c: ConditionFact): string =>
  c.date ? 'pregnancy ended (condition resolved)' : 'pregnancy condition resolved (end date not recorded)';

function possiblyChildBearing(age: AgeFact, t: Thresholds): boolean {
  // A female whose age is unknown is treated as possibly of child-bearing age.
  if (age.status === 'unknown') return true;
  const [min, max] = age.status === 'known' ? [age.years, age.years] : [age.minYears, age.maxYears];
  return max >= t.childbearingAgeMin && min <= t.childbearingAgeMax;
}

export function extractPregnancy(
  index: ObservationIndex,
  pregnancyConditions: ConditionFact[],
  sex: Sex,
  age: AgeFact,
  domain: DomainStatus,
  t: Thresholds,
): PregnancyFact {
  const active = pregnancyConditions.filter((c) => ACTIVE_CLINICAL.has(c.clinicalStatus ?? ''));
  const ended = pregnancyConditions.filter((c) => !ACTIVE_CLINICAL.has(c.clinicalStatus ?? ''));
  const latest = latestStatus(index);

  // The last recorded status: the latest test, unless a pregnancy Condition ended after it.
  const endedLater = ended.filter((c) => !latest || endedAfter(c, latest.record.date));
  const lastEnd = endedLater.sort((a, b) => (b.date ?? b.onset ?? '').localeCompare(a.date ?? a.onset ?? ''))[0];
  let lastRecorded: Recorded | undefined = latest?.record;
  if (lastEnd) {
    const { reference, date, ageDays } = lastEnd;
    lastRecorded = { ...(reference ? { reference } : {}), ...(date ? { date } : {}), ...(ageDays !== undefined ? { ageDays } : {}), text: endedText(lastEnd) };
  }

  const positiveCounts =
    latest?.pregnant === true && !lastEnd && latest.record.ageDays !== undefined && latest.record.ageDays <= t.pregnancyPositiveWindowDays;
  const negativeCounts =
    latest?.pregnant === false && !lastEnd && latest.record.ageDays !== undefined && latest.record.ageDays <= t.pregnancyObservationWindowDays;
  if (latest && !lastEnd && !positiveCounts && !negativeCounts) {
    lastRecorded = {
      ...latest.record,
      outdated: latest.pregnant ? 'too old to count as current' : 'too old to rule out pregnancy',
    };
  }
  const withLast = (fact: PregnancyFact): PregnancyFact => (lastRecorded ? { ...fact, lastRecorded } : fact);

  // Any current evidence of pregnancy wins over a "not pregnant" answer: the safe reading of a conflict.
  if (positiveCounts) return withLast({ status: 'yes', evidence: { ...latest.record }, domain });
  const condition = active[0];
  if (condition) {
    const { reference, date, ageDays } = condition;
    return withLast({ status: 'yes', evidence: { reference, date, ageDays, text: `active condition: ${condition.display ?? condition.code}` }, domain });
  }
  if (negativeCounts) return withLast({ status: 'no', evidence: { ...latest.record }, domain });
  return withLast({ status: sex === 'female' && possiblyChildBearing(age, t) ? 'unknown' : 'n/a', domain });
}
