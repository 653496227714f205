/**
 * P-PFT-PRESERVED (cop-rules.md §0.2): FVC% predicted > 80 AND FEV1% predicted > 70, both within
 * 90 days → true; either at or below its threshold → false; otherwise unknown. The CDS does not
 * compute predicted values, so absolute FVC/FEV1 alone leave it unknown (absoluteOnly).
 */
import { isPercent, quantityUnit } from '../../fhir/ucum.js';
import type { DomainStatus, Measurement, PftFact, PftPreserved } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { LOINC_CODES } from '../valuesets.js';
import { measurementOf, withinDays, type DatedObservation, type ObservationIndex } from './observation-index.js';

function percentOf(list: readonly DatedObservation[]): Measurement | undefined {
  for (const obs of list) {
    const q = obs.resource.valueQuantity;
    if (q && typeof q.value === 'number' && isPercent(q)) return measurementOf(obs, q.value, '%');
  }
  return undefined;
}

function anyValueOf(list: readonly DatedObservation[]): Measurement | undefined {
  for (const obs of list) {
    const q = obs.resource.valueQuantity;
    if (q && typeof q.value === 'number') return measurementOf(obs, q.value, quantityUnit(q) ?? '');
  }
  return undefined;
}

export function extractPft(index: ObservationIndex, domain: DomainStatus, t: Thresholds): PftFact {
  const recent = (codes: string | readonly string[]) => withinDays(index.byLoinc(codes), t.pftWindowDays);
  // Post-BD/unspecified 19872-1 first; the pre-bronchodilator 19871-3 only when it is all there is.
  const fvc = percentOf(recent(LOINC_CODES.fvcPercentPredicted)) ?? percentOf(recent(LOINC_CODES.fvcPercentPredictedPreBd));
  const fev1 = percentOf(recent(LOINC_CODES.fev1PercentPredicted));
  const dlco = anyValueOf(recent([LOINC_CODES.dlco, LOINC_CODES.dlcoPercentPredicted]));
  const hasAbsolute = recent([LOINC_CODES.fvcAbsolute, LOINC_CODES.fev1Absolute]).length > 0;

  let preserved: PftPreserved = 'unknown';
  if ((fvc && fvc.value <= t.fvcPercentPredictedMin) || (fev1 && fev1.value <= t.fev1PercentPredictedMin)) preserved = 'false';
  else if (fvc && fev1) preserved = 'true';

  const fact: PftFact = { absoluteOnly: !fvc && !fev1 && hasAbsolute, preserved, domain };
  if (fvc) fact.fvcPercentPredicted = fvc;
  if (fev1) fact.fev1PercentPredicted = fev1;
  if (dlco) fact.dlco = dlco;
  return fact;
}
