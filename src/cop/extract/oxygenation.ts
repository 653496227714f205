/**
 * P-RESP-INSUFF: present if (a) PaO2 below its cut-off (60 mm[Hg] / 8.0 kPa by default), (b) SpO2
 * below its cut-off (92%), (c) SpO2 taken on supplemental oxygen, all within the oxygenation window
 * (7 days), or (d) an active respiratory-failure condition. Absent only when none holds AND a
 * reassuring room-air reading exists; else unknown (unknown is never read as normal). The cut-offs
 * themselves are in oxygenation-cut-offs.ts, shared with COP-R16.
 */
import { componentQuantities } from '../../fhir/fhirpath.js';
import { isPercent, pao2ToMmHg, ucumCode } from '../../fhir/ucum.js';
import type { ConditionFact, DomainStatus, Measurement, OxygenationFact, SpO2Measurement, Tristate } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { pao2BelowCutOff, spo2BelowCutOff } from '../oxygenation-cut-offs.js';
import { roundedText } from '../text.js';
import { LOINC_CODES, SYSTEMS } from '../valuesets.js';
import { measurementOf, withinDays, type DatedObservation, type ObservationIndex } from './observation-index.js';

/** One decimal, as the reasons quote readings. */
const n = (v: number): string => roundedText(v, 1);

function spo2Of(obs: DatedObservation): SpO2Measurement | undefined {
  const q = obs.resource.valueQuantity;
  if (!q || typeof q.value !== 'number' || !isPercent(q)) return undefined;
  const flows = componentQuantities(obs.resource, SYSTEMS.loinc, LOINC_CODES.inhaledOxygenFlow);
  const onSupplementalOxygen = flows.some((f) => typeof f.value === 'number' && f.value > 0);
  return { ...measurementOf(obs, q.value, '%'), onSupplementalOxygen };
}

function pao2Of(obs: DatedObservation): Measurement | undefined {
  const q = obs.resource.valueQuantity;
  const result = pao2ToMmHg(q);
  if (!result.ok || !q || typeof q.value !== 'number') return undefined;
  const unit = ucumCode(q) ?? '';
  return measurementOf(obs, result.value, 'mm[Hg]', unit === 'mm[Hg]' ? undefined : { value: q.value, unit });
}

function pao2Text(m: Measurement): string {
  return m.original ? `${n(m.original.value)} ${m.original.unit}` : `${n(m.value)} mm[Hg]`;
}

export function extractOxygenation(
  index: ObservationIndex,
  respiratoryFailureConditions: ConditionFact[],
  domain: DomainStatus,
  t: Thresholds,
): OxygenationFact {
  const window = t.oxygenationWindowDays;
  const spo2 = withinDays(index.byLoinc(LOINC_CODES.spo2), window).map(spo2Of).filter((m): m is SpO2Measurement => !!m);
  const pao2 = withinDays(index.byLoinc(LOINC_CODES.pao2), window).map(pao2Of).filter((m): m is Measurement => !!m);

  const present: string[] = [];
  for (const m of pao2) {
    if (pao2BelowCutOff(m, t)) {
      const cut = m.original?.unit === 'kPa' ? `${t.pao2MinKPa} kPa` : `${t.pao2MinMmHg} mm[Hg]`;
      present.push(`PaO2 ${pao2Text(m)} below ${cut} (${m.date})`);
    }
  }
  for (const m of spo2) {
    if (spo2BelowCutOff(m, t)) present.push(`SpO2 ${n(m.value)}% below ${t.spo2MinPercent}% (${m.date})`);
    if (m.onSupplementalOxygen) present.push(`SpO2 ${n(m.value)}% measured on supplemental oxygen (${m.date})`);
  }
  for (const c of respiratoryFailureConditions) {
    present.push(`active condition: ${c.display ?? c.code}${c.reference ? ` (${c.reference})` : ''}`);
  }

  let state: Tristate;
  let reasons: string[];
  if (present.length > 0) {
    state = 'present';
    reasons = present;
  } else {
    const reassuring = [
      ...spo2.filter((m) => !m.onSupplementalOxygen && !spo2BelowCutOff(m, t)).map((m) => `room-air SpO2 ${n(m.value)}% (${m.date})`),
      ...pao2.filter((m) => !pao2BelowCutOff(m, t)).map((m) => `PaO2 ${pao2Text(m)} (${m.date})`),
    ];
    if (reassuring.length > 0) {
      state = 'absent';
      reasons = reassuring;
    } else {
      state = 'unknown';
      reasons = [
        domain === 'unavailable'
          ? 'SpO2/PaO2 could not be read from the record'
          : `no SpO2/PaO2 in the last ${window} days`,
      ];
    }
  }
  return { spo2, pao2, respiratoryFailureConditions, respiratoryInsufficiency: state, reasons, domain };
}
