/**
 * Lab and vital-sign facts: P-CHOLESTASIS (GGT/ALP against their ULN), glycaemia (HbA1c, glucose)
 * and blood pressure. Values stay in the unit the lab reported; only the ULN comparison needs units
 * to agree.
 */
import { componentQuantities, interpretationCodes, referenceRangeHighs } from '../../fhir/fhirpath.js';
import { isUnitsPerLitre, quantityUnit } from '../../fhir/ucum.js';
import type {
  BloodPressureFact, CholestasisFact, ConditionFact, DomainStatus, GlycaemiaFact, LabVsUln, Measurement,
} from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { LOINC_CODES, SYSTEMS } from '../valuesets.js';
import { measurementOf, observationProvenance, withinDays, type DatedObservation, type ObservationIndex } from './observation-index.js';

const HIGH_INTERPRETATIONS: ReadonlySet<string> = new Set(['H', 'HH', 'HU']);

/** The latest observation in the list with a numeric valueQuantity, in its own unit. */
function latestValue(list: readonly DatedObservation[]): { obs: DatedObservation; m: Measurement } | undefined {
  for (const obs of list) {
    const q = obs.resource.valueQuantity;
    if (q && typeof q.value === 'number') return { obs, m: measurementOf(obs, q.value, quantityUnit(q) ?? '') };
  }
  return undefined;
}

/**
 * ULN = referenceRange.high in the value's unit (a high with no unit at all is taken to be in the
 * observation's unit: the range describes that observation). Otherwise the configured fallback,
 * which is in U/L and so only applies to a value reported in U/L.
 */
function vsUln(obs: DatedObservation, m: Measurement, fallbackUlnUPerL: number): LabVsUln | undefined {
  const high = referenceRangeHighs(obs.resource).find(
    (h) => typeof h.value === 'number' && h.value > 0 && (quantityUnit(h) === undefined || quantityUnit(h) === m.unit),
  );
  let uln: number;
  let ulnSource: LabVsUln['ulnSource'];
  if (high && typeof high.value === 'number') {
    uln = high.value;
    ulnSource = 'reference-range';
  } else if (isUnitsPerLitre(m.unit)) {
    uln = fallbackUlnUPerL;
    ulnSource = 'fallback';
  } else {
    return undefined;
  }
  const ratio = m.value / uln;
  // A huge value over a tiny limit overflows: such a pair cannot be compared.
  if (!Number.isFinite(ratio)) return undefined;
  const flaggedHigh = interpretationCodes(obs.resource).some((c) => HIGH_INTERPRETATIONS.has(c));
  return { ...m, uln, ulnSource, ratio, elevated: ratio > 1 || flaggedHigh };
}

export function extractCholestasis(index: ObservationIndex, domain: DomainStatus, t: Thresholds): CholestasisFact {
  const lab = (code: string, fallback: number): LabVsUln | undefined => {
    const latest = latestValue(withinDays(index.byLoinc(code), t.labWindowDays));
    return latest ? vsUln(latest.obs, latest.m, fallback) : undefined;
  };
  const ggt = lab(LOINC_CODES.ggt, t.ggtFallbackUlnUPerL);
  const alp = lab(LOINC_CODES.alp, t.alpFallbackUlnUPerL);
  const fact: CholestasisFact = { elevated: !!(ggt?.elevated || alp?.elevated), domain };
  if (ggt) fact.ggt = ggt;
  if (alp) fact.alp = alp;
  return fact;
}

export function extractGlycaemia(
  index: ObservationIndex,
  diabetesConditions: ConditionFact[],
  domain: DomainStatus,
  t: Thresholds,
): GlycaemiaFact {
  const hba1c = latestValue(withinDays(index.byLoinc(LOINC_CODES.hba1c), t.hba1cWindowDays))?.m;
  const glucose = latestValue(withinDays(index.byLoinc(LOINC_CODES.glucose), t.glucoseWindowDays))?.m;
  const fact: GlycaemiaFact = { diabetesConditions, domain };
  if (hba1c) fact.hba1c = hba1c;
  if (glucose) fact.glucose = glucose;
  return fact;
}

export function extractBloodPressure(
  index: ObservationIndex,
  hypertensionConditions: ConditionFact[],
  domain: DomainStatus,
  t: Thresholds,
): BloodPressureFact {
  const fact: BloodPressureFact = { hypertensionConditions, domain };
  for (const obs of withinDays(index.byLoinc(LOINC_CODES.bpPanel), t.bpWindowDays)) {
    const component = (code: string) =>
      componentQuantities(obs.resource, SYSTEMS.loinc, code).find((q) => typeof q.value === 'number')?.value;
    const systolic = component(LOINC_CODES.systolic);
    const diastolic = component(LOINC_CODES.diastolic);
    if (systolic === undefined && diastolic === undefined) continue;
    const prov = observationProvenance(obs);
    fact.latest = { ...prov };
    if (systolic !== undefined) fact.latest.systolic = systolic;
    if (diastolic !== undefined) fact.latest.diastolic = diastolic;
    break;
  }
  return fact;
}
