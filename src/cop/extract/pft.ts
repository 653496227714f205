/**
 * P-PFT-PRESERVED: FVC% predicted > 80 AND FEV1% predicted > 70 (the defaults), both within
 * 90 days → true; either at or below its threshold → false; otherwise unknown. The CDS does not
 * compute predicted values, so absolute FVC/FEV1 alone leave it unknown (absoluteOnly).
 */
import { daysFromTo, parseFhirDate } from '../../fhir/dates.js';
import { isPercent, quantityUnit } from '../../fhir/ucum.js';
import type { DomainStatus, FvcOnRun, Measurement, PftFact, PftPreserved } from '../facts-types.js';
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

/** The first percent-valued observation of a list (newest first) that `accept` places, as an FvcOnRun. */
function firstPlaced(
  list: readonly DatedObservation[],
  loinc: string,
  runStart: string,
  accept: (obs: DatedObservation, daysFromRunStart: number) => boolean,
): FvcOnRun | undefined {
  for (const obs of list) {
    const q = obs.resource.valueQuantity;
    if (!q || typeof q.value !== 'number' || !isPercent(q)) continue;
    // Both days as written (decision 22), not the UTC date of the observation's instant.
    const daysFromRunStart = daysFromTo(runStart, obs.date);
    if (daysFromRunStart === undefined || !accept(obs, daysFromRunStart)) continue;
    return { ...measurementOf(obs, q.value, '%'), loinc, daysFromRunStart };
  }
  return undefined;
}

/**
 * COP-R16: FVC % predicted before and after the start of the current glucocorticoid run. The
 * baseline is the latest value on or before the start day (at most `pftBaselineWindowDays`
 * earlier); the on-treatment value is the latest after the start day within the PFT window,
 * preferring the baseline's own code so that pre- and post-bronchodilator values are not mixed.
 */
export function fvcOnRun(index: ObservationIndex, runStart: string | undefined, t: Thresholds): { baseline?: FvcOnRun; onTreatment?: FvcOnRun } {
  if (!runStart || !parseFhirDate(runStart)) return {};
  const codes = [LOINC_CODES.fvcPercentPredicted, LOINC_CODES.fvcPercentPredictedPreBd];
  const pick = (order: readonly string[], accept: (obs: DatedObservation, days: number) => boolean): FvcOnRun | undefined => {
    for (const code of order) {
      const found = firstPlaced(index.byLoinc(code), code, runStart, accept);
      if (found) return found;
    }
    return undefined;
  };
  const baseline = pick(codes, (_obs, days) => days <= 0 && days >= -t.pftBaselineWindowDays);
  const order = baseline ? [baseline.loinc, ...codes.filter((c) => c !== baseline.loinc)] : codes;
  const onTreatment = pick(order, (obs, days) => days > 0 && obs.ageDays <= t.pftWindowDays);
  const result: { baseline?: FvcOnRun; onTreatment?: FvcOnRun } = {};
  if (baseline) result.baseline = baseline;
  if (onTreatment) result.onTreatment = onTreatment;
  return result;
}

/**
 * `glucocorticoidRunStart` (P-ON-GC-WEEKS) places FVC values before and after treatment for
 * COP-R16; without it the baseline and on-treatment values stay absent.
 */
export function extractPft(index: ObservationIndex, domain: DomainStatus, t: Thresholds, glucocorticoidRunStart?: string): PftFact {
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
  const run = fvcOnRun(index, glucocorticoidRunStart, t);
  if (run.baseline) fact.fvcBaseline = run.baseline;
  if (run.onTreatment) fact.fvcOnTreatment = run.onTreatment;
  return fact;
}
