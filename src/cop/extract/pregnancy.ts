/**
 * P-PREGNANT (cop-rules.md §0.2): yes if pregnancy status 82810-3 = 77386006 within 30 days or an
 * active pregnancy condition; no if 82810-3 = 60001007 within 30 days; unknown for a female of
 * child-bearing age (12–55) with neither; n/a otherwise.
 */
import { valueCodings } from '../../fhir/fhirpath.js';
import type { AgeFact, ConditionFact, DomainStatus, PregnancyFact, Sex } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { LOINC_CODES, PREGNANCY_STATUS_VALUES, SYSTEMS } from '../valuesets.js';
import { observationProvenance, withinDays, type ObservationIndex } from './observation-index.js';

export function extractPregnancy(
  index: ObservationIndex,
  pregnancyConditions: ConditionFact[],
  sex: Sex,
  age: AgeFact,
  domain: DomainStatus,
  t: Thresholds,
): PregnancyFact {
  // The latest status observation in the window that carries a recognised answer.
  let observed: { status: 'yes' | 'no'; evidence: PregnancyFact['evidence'] } | undefined;
  for (const obs of withinDays(index.byLoinc(LOINC_CODES.pregnancyStatus), t.pregnancyObservationWindowDays)) {
    const answer = valueCodings(obs.resource).find(
      (c) => c.system === SYSTEMS.snomed && (c.code === PREGNANCY_STATUS_VALUES.pregnant || c.code === PREGNANCY_STATUS_VALUES.notPregnant),
    );
    if (!answer) continue;
    const prov = observationProvenance(obs);
    const pregnant = answer.code === PREGNANCY_STATUS_VALUES.pregnant;
    observed = {
      status: pregnant ? 'yes' : 'no',
      evidence: { ...prov, text: `Pregnancy status: ${answer.display ?? (pregnant ? 'pregnant' : 'not pregnant')}` },
    };
    break;
  }

  // Any evidence of pregnancy wins over a "not pregnant" answer: the safe reading of a conflict.
  if (observed?.status === 'yes') return { status: 'yes', evidence: observed.evidence, domain };
  const condition = pregnancyConditions[0];
  if (condition) {
    const { reference, date, ageDays } = condition;
    return { status: 'yes', evidence: { reference, date, ageDays, text: `Active condition: ${condition.display ?? condition.code}` }, domain };
  }
  if (observed) return { status: 'no', evidence: observed.evidence, domain };

  // Child-bearing age: a female whose age is unknown is treated as possibly of child-bearing age.
  const possiblyChildBearing =
    age.status === 'unknown' || (age.years >= t.childbearingAgeMin && age.years <= t.childbearingAgeMax);
  return { status: sex === 'female' && possiblyChildBearing ? 'unknown' : 'n/a', domain };
}
