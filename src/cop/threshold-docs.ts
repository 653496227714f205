/**
 * What each threshold means and whether its default needs clinical sign-off (⚠), as
 * data: the evidence page (/evidence/cop) lists them per rule with the configured value and the
 * default, so a clinician reviews one page instead of grepping comments.
 */
import type { Thresholds } from './knowledge.js';

export interface ThresholdDoc {
  /** The group it belongs to (the predicate or rule), for the evidence page. */
  group: string;
  meaning: string;
  /** The default is a ⚠ value of the catalog: a site must review it before use with patients. */
  signOff: boolean;
}

export const THRESHOLD_DOCS: Partial<Record<keyof Thresholds, ThresholdDoc>> = {
  mgPerKg: { group: 'COP-R01 / R05 dosing', meaning: 'Starting dose per kg body weight (COP-R01)', signOff: false },
  minMgPerKg: { group: 'COP-R01 / R05 dosing', meaning: 'Lower end of the usual range (R01 display range, R05 "below range")', signOff: false },
  maxMgPerKg: { group: 'COP-R01 / R05 dosing', meaning: 'Upper end of the usual range (R01 display range, R05 "above range")', signOff: false },
  maxDailyDoseMg: { group: 'COP-R01 / R05 dosing', meaning: 'Cap on the daily prednisone-equivalent dose (R01, R05)', signOff: true },
  doseRoundingMg: { group: 'COP-R01 / R05 dosing', meaning: 'Round the suggested dose to this step (half-up)', signOff: false },
  lowBodyWeightKg: { group: 'COP-R01 / R05 dosing', meaning: 'Below this weight the R01 card adds a "low body weight, check dose" line', signOff: false },
  initialPhaseDays: { group: 'COP-R01 / R05 dosing', meaning: 'Length of the suggested initial phase', signOff: false },
  maxInitialPhaseWeeks: { group: 'COP-R01 / R05 dosing', meaning: 'R05: an initial phase at ≥ the minimum mg/kg longer than this → info', signOff: false },
  weightFreshDays: { group: 'P-WEIGHT', meaning: 'A weight at most this old is fresh', signOff: false },
  weightFreshDaysInpatient: { group: 'P-WEIGHT', meaning: 'Freshness during an inpatient encounter', signOff: true },
  weightStaleMaxDays: { group: 'P-WEIGHT', meaning: 'Older than this, the weight counts as absent (R02)', signOff: false },
  weightMinKg: { group: 'P-WEIGHT', meaning: 'Lowest plausible adult weight', signOff: true },
  weightMaxKg: { group: 'P-WEIGHT', meaning: 'Highest plausible adult weight', signOff: true },
  weightConflictHours: { group: 'P-WEIGHT', meaning: 'Two weights this close in time …', signOff: false },
  weightConflictFraction: { group: 'P-WEIGHT', meaning: '… differing by more than this fraction conflict (= absent)', signOff: false },
  oxygenationWindowDays: { group: 'P-RESP-INSUFF', meaning: 'SpO2 / PaO2 look-back', signOff: false },
  spo2MinPercent: { group: 'P-RESP-INSUFF', meaning: 'SpO2 below this = respiratory insufficiency', signOff: true },
  pao2MinMmHg: { group: 'P-RESP-INSUFF', meaning: 'PaO2 below this (mm[Hg]) = respiratory insufficiency', signOff: false },
  pftWindowDays: { group: 'P-PFT-PRESERVED / COP-R15', meaning: 'PFT look-back (P-PFT-PRESERVED, R15)', signOff: false },
  fvcPercentPredictedMin: { group: 'P-PFT-PRESERVED / COP-R15', meaning: 'FVC % predicted must exceed this for "preserved" (ROC cut-off 78%)', signOff: true },
  fev1PercentPredictedMin: { group: 'P-PFT-PRESERVED / COP-R15', meaning: 'FEV1 % predicted must exceed this for "preserved" (ROC cut-off 63%)', signOff: true },
  labWindowDays: { group: 'P-CHOLESTASIS', meaning: 'GGT / ALP look-back', signOff: false },
  pregnancyObservationWindowDays: { group: 'P-PREGNANT', meaning: 'Pregnancy-status observation look-back', signOff: false },
  childbearingAgeMin: { group: 'P-PREGNANT', meaning: 'Pregnancy status "unknown" (not n/a) for females from this age …', signOff: false },
  childbearingAgeMax: { group: 'P-PREGNANT', meaning: '… to this age', signOff: false },
  glucocorticoidGapDays: { group: 'P-ON-GC-WEEKS', meaning: 'Gaps up to this long merge glucocorticoid orders into one course', signOff: false },
  boneCourseMinMonths: { group: 'COP-R10 bone protection', meaning: 'R10: course longer than this …', signOff: false },
  boneCourseMinMgPerDay: { group: 'COP-R10 bone protection', meaning: '… at or above this dose qualifies for bone protection', signOff: false },
  fraxMinAge: { group: 'COP-R10 bone protection', meaning: 'R10: suggest FRAX from this age', signOff: false },
  bisphosphonateMinEgfr: { group: 'COP-R10 bone protection', meaning: 'R10: no bisphosphonate suggestion below this eGFR', signOff: true },
  adrenalLowDoseMgPerDay: { group: 'COP-R11 adrenal suppression (NatPSA-2020)', meaning: 'R11: ≥ this dose …', signOff: false },
  adrenalLowDoseWeeks: { group: 'COP-R11 adrenal suppression (NatPSA-2020)', meaning: '… for ≥ this many weeks meets Steroid Emergency Card criteria', signOff: false },
  adrenalHighDoseMgPerDay: { group: 'COP-R11 adrenal suppression (NatPSA-2020)', meaning: 'R11: > this dose …', signOff: false },
  adrenalHighDoseWeeks: { group: 'COP-R11 adrenal suppression (NatPSA-2020)', meaning: '… for > this many weeks meets the criteria', signOff: false },
  hba1cWindowDays: { group: 'COP-R12 glucose', meaning: 'R12: HbA1c look-back', signOff: false },
  glucoseWindowDays: { group: 'COP-R12 glucose', meaning: 'R12: glucose look-back', signOff: false },
  hba1cHighPercent: { group: 'COP-R12 glucose', meaning: 'R12: HbA1c at or above (%) → warning', signOff: true },
  hba1cHighMmolPerMol: { group: 'COP-R12 glucose', meaning: 'R12: HbA1c at or above (mmol/mol) → warning', signOff: true },
  glucoseHighMgPerDl: { group: 'COP-R12 glucose', meaning: 'R12: glucose at or above (mg/dL) → warning', signOff: true },
  glucoseHighMmolPerL: { group: 'COP-R12 glucose', meaning: 'R12: glucose at or above (mmol/L) → warning', signOff: true },
  bpWindowDays: { group: 'COP-R13 blood pressure', meaning: 'R13: blood-pressure look-back', signOff: false },
  systolicHighMmHg: { group: 'COP-R13 blood pressure', meaning: 'R13: systolic at or above → monitor', signOff: true },
  diastolicHighMmHg: { group: 'COP-R13 blood pressure', meaning: 'R13: diastolic at or above → monitor', signOff: true },
  reviewWeeks: { group: 'COP-R14 follow-up', meaning: 'R14: suggested review interval (BTS attribution unverified, not cited)', signOff: true },
  prolongedCourseWeeks: { group: 'COP-R17', meaning: 'R17: course longer than this many weeks …', signOff: false },
  prolongedCourseMonths: { group: 'COP-R17', meaning: '… or a renewal past this many months → info', signOff: false },
  boneOnGlucocorticoidMinWeeks: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R10 on patient-view: weeks on a glucocorticoid before bone protection is prompted', signOff: false },
  poorResponseWeeks: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R16: weeks of treatment before the response is judged', signOff: true },
  poorResponseMinMgPerKg: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R16: starting dose (mg/kg) that counts as adequate treatment', signOff: true },
  poorResponseFvcImprovementPoints: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R16: FVC % predicted must rise by at least this many points vs baseline', signOff: true },
  pftBaselineWindowDays: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R16: a pre-treatment FVC % counts as baseline up to this many days before the course', signOff: false },
  steroidSparingMinWeeks: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R18: weeks on a glucocorticoid …', signOff: false },
  steroidSparingMinMgPerDay: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: '… at or above this dose', signOff: false },
  steroidSparingMinRelapses: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R18: relapse records that prompt it', signOff: false },
  surveillanceRecentYears: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R20: COP recorded within this many years', signOff: false },
  untreatedReminderMaxCopAgeDays: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R01 untreated reminder when past orders (`medsHistory`) cannot be read: only for a COP recorded within this many days', signOff: true },
  surveillanceIntervalDays: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'R20 shown at most once per this many days per patient', signOff: false },
  overrideSuppressionHours: { group: 'patient-view (COP-R10, R16, R18, R20 and suppression)', meaning: 'patient-view: an overridden card is hidden for this long for that patient', signOff: false },
  clarithromycinDoseMg: { group: 'Clarithromycin regimen (§2.3)', meaning: 'Clarithromycin dose, twice daily (R06 suggestion)', signOff: false },
  clarithromycinDays: { group: 'Clarithromycin regimen (§2.3)', meaning: 'Clarithromycin course length (R06 suggestion)', signOff: false },
  pao2MinKPa: { group: 'P-RESP-INSUFF', meaning: 'PaO2 below this (kPa) = respiratory insufficiency', signOff: false },
  ggtFallbackUlnUPerL: { group: 'P-CHOLESTASIS', meaning: 'GGT upper limit of normal when the lab sends no reference range', signOff: true },
  alpFallbackUlnUPerL: { group: 'P-CHOLESTASIS', meaning: 'ALP upper limit of normal when the lab sends no reference range', signOff: true },
  pregnancyPositiveWindowDays: { group: 'P-PREGNANT', meaning: 'A positive pregnancy status counts as pregnant for this many days unless a later result or a resolved pregnancy says otherwise', signOff: true },
  pulseMinPredEqMgPerDay: { group: 'COP-R01 / R05 dosing', meaning: 'A systemic glucocorticoid at or above this prednisone-equivalent dose …', signOff: true },
  pulseMaxDays: { group: 'COP-R01 / R05 dosing', meaning: '… planned for at most this many days is pulse therapy (R05 info instead of the cap warning; not a long course for R10/R11)', signOff: true },
};
