/**
 * The thresholds behind each shared predicate (P-WEIGHT, P-RESP-INSUFF, …), so a rule's
 * declaration lists what its facts were judged by as well as its own thresholds (the evidence page
 * shows them).
 */
import type { Thresholds } from '../knowledge.js';

type Keys = readonly (keyof Thresholds)[];

export const P_WEIGHT: Keys = ['weightFreshDays', 'weightFreshDaysInpatient', 'weightStaleMaxDays', 'weightMinKg', 'weightMaxKg', 'weightConflictHours', 'weightConflictFraction'];
export const P_RESP_INSUFF: Keys = ['oxygenationWindowDays', 'spo2MinPercent', 'pao2MinMmHg', 'pao2MinKPa'];
export const P_PFT_PRESERVED: Keys = ['pftWindowDays', 'fvcPercentPredictedMin', 'fev1PercentPredictedMin'];
export const P_CHOLESTASIS: Keys = ['labWindowDays', 'ggtFallbackUlnUPerL', 'alpFallbackUlnUPerL'];
export const P_PREGNANT: Keys = ['pregnancyObservationWindowDays', 'pregnancyPositiveWindowDays', 'childbearingAgeMin', 'childbearingAgeMax'];
/** P-ON-GC-WEEKS: orders whose gap is at most this many days are one course. */
export const P_ON_GC_WEEKS: Keys = ['glucocorticoidGapDays'];
/** The weight-based dose (COP-R01, R05): mg/kg, its range, the cap and the rounding. */
export const DOSING: Keys = ['mgPerKg', 'minMgPerKg', 'maxMgPerKg', 'maxDailyDoseMg', 'doseRoundingMg'];
/** The clarithromycin gates (COP-R06, and R01's "not assessed" line). */
export const CLARITHROMYCIN_GATES: Keys = [...P_RESP_INSUFF, ...P_PFT_PRESERVED, ...P_PREGNANT];
