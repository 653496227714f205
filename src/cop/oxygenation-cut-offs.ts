/**
 * The P-RESP-INSUFF cut-offs applied to one reading, defined once: the facts layer uses them to
 * decide respiratory insufficiency (extract/oxygenation.ts), COP-R16 to find the readings taken
 * late in a course that still meet it.
 */
import type { Measurement } from './facts-types.js';
import type { Thresholds } from './knowledge.js';

/** SpO2 (%) below `spo2MinPercent`. */
export const spo2BelowCutOff = (spo2: Measurement, t: Thresholds): boolean => spo2.value < t.spo2MinPercent;

/**
 * PaO2 below its cut-off, compared in the unit the lab reported: a kPa value against `pao2MinKPa`,
 * so 8.0 kPa is not pushed over the line by the conversion to mm[Hg]; anything else, converted to
 * mm[Hg], against `pao2MinMmHg`.
 */
export const pao2BelowCutOff = (pao2: Measurement, t: Thresholds): boolean =>
  pao2.original?.unit === 'kPa' ? pao2.original.value < t.pao2MinKPa : pao2.value < t.pao2MinMmHg;
