/**
 * P-WEIGHT: the latest body weight (LOINC 29463-7), converted to kg, checked for
 * plausibility, and classed fresh / stale / absent / conflicting / invalid.
 */
import { bodyWeightToKg, humanUnit } from '../../fhir/ucum.js';
import type { DomainStatus, Measurement, WeightFact } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { LOINC_CODES } from '../valuesets.js';
import { measurementOf, type DatedObservation, type ObservationIndex } from './observation-index.js';

const MS_PER_HOUR = 3_600_000;
/** Guards float noise at the exact 10% boundary (66 vs 60 kg is 10%, not more). */
const EPSILON = 1e-9;

const kgText = (kg: number): string => `${kg.toFixed(1)} kg`;

function converted(obs: DatedObservation): { ok: true; kg: Measurement } | { ok: false; reason: string; latest?: Measurement } {
  const q = obs.resource.valueQuantity;
  const result = bodyWeightToKg(q);
  // Units as a person writes them ("132 lb", not "132 [lb_av]"), so cards print `original`/`latest` as they are.
  if (!result.ok) {
    const latest = q && typeof q.value === 'number' ? measurementOf(obs, q.value, humanUnit(q)) : undefined;
    return latest ? { ok: false, reason: result.reason, latest } : { ok: false, reason: result.reason };
  }
  const original = q && typeof q.value === 'number' && result.from !== 'kg' ? { value: q.value, unit: humanUnit(q) } : undefined;
  return { ok: true, kg: measurementOf(obs, result.value, 'kg', original) };
}

export function extractWeight(
  index: ObservationIndex,
  domain: DomainStatus,
  inpatient: boolean,
  thresholds: Thresholds,
): WeightFact {
  const weights = index.byLoinc(LOINC_CODES.bodyWeight);
  const latestObs = weights[0];
  if (!latestObs) {
    return {
      state: 'absent',
      reason: domain === 'unavailable' ? 'body weight could not be read from the record' : 'no body weight recorded',
      domain,
    };
  }

  const latest = converted(latestObs);
  if (latestObs.ageDays > thresholds.weightStaleMaxDays) {
    const fact: WeightFact = { state: 'absent', reason: `last weight is ${latestObs.ageDays} days old (over ${thresholds.weightStaleMaxDays} days)`, domain };
    const shown = latest.ok ? latest.kg : latest.latest;
    if (shown) fact.latest = shown;
    return fact;
  }
  if (!latest.ok) {
    const fact: WeightFact = { state: 'invalid', reason: latest.reason, domain };
    if (latest.latest) fact.latest = latest.latest;
    return fact;
  }

  const kg = latest.kg.value;
  if (kg < thresholds.weightMinKg || kg > thresholds.weightMaxKg) {
    return {
      state: 'invalid',
      latest: latest.kg,
      reason: `weight ${kgText(kg)} is outside the plausible range ${thresholds.weightMinKg}–${thresholds.weightMaxKg} kg`,
      domain,
    };
  }

  // Two weights within 24 h that differ by more than 10% of the latest: which one is right is unknown.
  for (const other of weights.slice(1)) {
    if (latestObs.ms - other.ms > thresholds.weightConflictHours * MS_PER_HOUR) break;
    const otherKg = converted(other);
    if (!otherKg.ok) continue;
    if (Math.abs(otherKg.kg.value - kg) > thresholds.weightConflictFraction * kg + EPSILON) {
      return {
        state: 'conflicting',
        latest: latest.kg,
        reason: `weights ${kgText(kg)} (${latestObs.date}) and ${kgText(otherKg.kg.value)} (${other.date}) within ${thresholds.weightConflictHours} h differ by more than ${Math.round(thresholds.weightConflictFraction * 100)}%`,
        domain,
      };
    }
  }

  const freshDays = inpatient ? thresholds.weightFreshDaysInpatient : thresholds.weightFreshDays;
  const state = latestObs.ageDays <= freshDays ? 'fresh' : 'stale';
  return { state, kg: latest.kg, latest: latest.kg, domain };
}
