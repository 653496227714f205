/**
 * COP-R16: poor response → look for a secondary cause (evidence: the 2024 COP cohort, PMID
 * 39703446; COP vs CTD-OP 2011; Zhang, Ann Transl Med).
 *
 * patient-view only. P-COP, P-ON-GC-WEEKS ≥ 6 on a course that started at PredEq ≥ 0.5 mg/kg, and
 * at least one of (a) FVC % predicted not improved by ≥ 5 points vs the pre-treatment baseline
 * (or fallen), (b) P-RESP-INSUFF present at ≥ 6 weeks, (c) a recurrence/relapse COP Condition
 * recorded while on ≥ 0.5 mg/kg → warning. A heuristic with no validated threshold (⚠).
 *
 * `assessPoorResponse` is exported so that COP-R18 ("or R16 fired") computes the same condition
 * from the facts instead of depending on rule order.
 */
import { calendarDaysAgo, daysFromTo } from '../../fhir/dates.js';
import type { ConditionFact, Measurement, MedicationFact, PatientFacts } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import { pao2BelowCutOff, spo2BelowCutOff } from '../oxygenation-cut-offs.js';
import type { Evidence, Finding, Rule, RuleContext } from '../rule-types.js';
import {
  activeGlucocorticoids, compactNumber, conditionEvidence, conditionRecordDay, copRelapseConditions, durationText, evidenceOf,
  fitSummary, medicationEvidence, mgPerKgText, totalPredEqMgPerDay, usableWeight,
} from './shared.js';
import { P_ON_GC_WEEKS, P_PFT_PRESERVED, P_RESP_INSUFF, P_WEIGHT } from './predicate-thresholds.js';

/** One of (a)–(c): met, not met, or not assessable (with the reason, for the card). */
export interface PoorResponseCriterion {
  state: 'met' | 'not-met' | 'not-assessable';
  line: string;
  evidence: Evidence[];
}

/** The starting dose of the current run: the active order(s) that began it, first dosage step. */
export interface InitialDose {
  orders: MedicationFact[];
  predEqMgPerDay?: number;
  mgPerKg?: number;
  weight?: Measurement;
  /** Why mg/kg is unknown, when it is. */
  unknownReason?: string;
}

export type PoorResponseAssessment =
  /** Not a candidate: no P-COP, not on GC long enough, or a known starting dose below 0.5 mg/kg. */
  | { status: 'not-applicable'; reason: string }
  | {
    /**
     * met: a criterion holds on a course that started at ≥ 0.5 mg/kg. dose-unknown: a criterion
     * holds but the starting mg/kg is unknown. not-met: no criterion holds.
     */
    status: 'met' | 'dose-unknown' | 'not-met';
    weeks: number;
    runStart: string;
    initial: InitialDose;
    fvc: PoorResponseCriterion;
    respiratory: PoorResponseCriterion;
    relapse: PoorResponseCriterion;
  };

const round1 = (n: number): number => Math.round(n * 10) / 10;
const signed = (n: number): string => (n > 0 ? `+${compactNumber(n)}` : compactNumber(n));

/** Whole calendar days from the run's start day to a date; undefined when unreadable. */
function daysFromStart(runStart: string, date: string | undefined): number | undefined {
  // Both days as written (decision 22), not the UTC date of the instant.
  return daysFromTo(runStart, date);
}

function initialDose(facts: PatientFacts, runStart: string): InitialDose {
  // The run's start is the start of the order(s) that began it (medication-facts glucocorticoidRun).
  const orders = activeGlucocorticoids(facts).filter((m) => m.start === runStart);
  const initial: InitialDose = { orders };
  const predEq = totalPredEqMgPerDay(orders);
  if (orders.length === 0 || predEq === undefined) {
    initial.unknownReason = orders.length === 0 ? 'the order that started the course was not found' : 'the starting daily dose could not be derived';
    return initial;
  }
  initial.predEqMgPerDay = predEq;
  const weight = usableWeight(facts);
  if (!weight) {
    initial.unknownReason = `no usable body weight (weight ${facts.weight.state})`;
    return initial;
  }
  initial.weight = weight;
  initial.mgPerKg = predEq / weight.value;
  return initial;
}

// ---------------------------------------------------------------------------------------------
// (a) FVC % predicted vs the pre-treatment baseline

function fvcCriterion(facts: PatientFacts, t: Thresholds, minDays: number): PoorResponseCriterion {
  const { pft } = facts;
  const points = compactNumber(t.poorResponseFvcImprovementPoints);
  const prefix = 'FVC % predicted';
  if (pft.domain === 'unavailable') return { state: 'not-assessable', line: 'FVC not assessable: PFT results could not be read.', evidence: [] };
  const base = pft.fvcBaseline;
  const now = pft.fvcOnTreatment;
  if (!base) {
    return {
      state: 'not-assessable',
      line: 'FVC not assessable: no pre-treatment value.',
      evidence: now ? [evidenceOf('FVC % predicted (on treatment)', now, 0)] : [],
    };
  }
  const baseEvidence = evidenceOf('FVC % predicted (pre-treatment baseline)', base, 0);
  if (!now) {
    return {
      state: 'not-assessable',
      line: `FVC not assessable: none on treatment in the last ${t.pftWindowDays} days.`,
      evidence: [baseEvidence],
    };
  }
  const nowEvidence = evidenceOf('FVC % predicted (on treatment)', now, 0);
  if (now.daysFromRunStart < minDays) {
    return {
      state: 'not-assessable',
      line: `FVC not assessable yet: the latest on treatment was on day ${now.daysFromRunStart}, before ${durationText(minDays)}.`,
      evidence: [baseEvidence, nowEvidence],
    };
  }
  const change = round1(now.value - base.value);
  const values = `${compactNumber(base.value)}% (${base.date?.slice(0, 10)}) → ${compactNumber(now.value)}% (${now.date?.slice(0, 10)}, week ${Math.floor(now.daysFromRunStart / 7)}), ${signed(change)} point${Math.abs(change) === 1 ? '' : 's'}`;
  const mixed = base.loinc !== now.loinc ? ' (one value pre-bronchodilator)' : '';
  if (change < t.poorResponseFvcImprovementPoints) {
    const how = change < 0 ? 'has fallen' : `has not improved by ≥ ${points} points`;
    return { state: 'met', line: `${prefix}: ${values}: ${how}${mixed}.`, evidence: [baseEvidence, nowEvidence] };
  }
  return { state: 'not-met', line: `${prefix}: ${values}: improved by ≥ ${points} points${mixed}.`, evidence: [baseEvidence, nowEvidence] };
}

// ---------------------------------------------------------------------------------------------
// (b) P-RESP-INSUFF present at ≥ 6 weeks

const PAO2_KPA = 'kPa';

function respiratoryCriterion(facts: PatientFacts, t: Thresholds, runStart: string, minDays: number): PoorResponseCriterion {
  const o = facts.oxygenation;
  const prefix = `Respiratory insufficiency at ≥ ${durationText(minDays)}`;
  if (o.domain === 'unavailable') return { state: 'not-assessable', line: 'Respiratory insufficiency not assessable: SpO2/PaO2 could not be read.', evidence: [] };
  const late = (date: string | undefined): boolean => (daysFromStart(runStart, date) ?? -1) >= minDays;
  const found: string[] = [];
  const evidence: Evidence[] = [];
  for (const m of o.spo2) {
    if (!late(m.date)) continue;
    if (spo2BelowCutOff(m, t)) found.push(`SpO2 ${compactNumber(m.value)}% < ${t.spo2MinPercent}% (${m.date?.slice(0, 10)})`);
    else if (m.onSupplementalOxygen) found.push(`SpO2 ${compactNumber(m.value)}% on supplemental oxygen (${m.date?.slice(0, 10)})`);
    else continue;
    evidence.push(evidenceOf(m.onSupplementalOxygen ? 'SpO2 (on oxygen)' : 'SpO2', m, 0));
  }
  for (const m of o.pao2) {
    if (!late(m.date)) continue;
    if (!pao2BelowCutOff(m, t)) continue;
    const value = m.original?.unit === PAO2_KPA ? `${compactNumber(m.original.value)} kPa` : `${compactNumber(m.value, 0)} mmHg`;
    found.push(`PaO2 ${value} (${m.date?.slice(0, 10)})`);
    evidence.push(evidenceOf('PaO2', m, 0));
  }
  for (const c of o.respiratoryFailureConditions) {
    found.push(`${c.display ?? c.code} recorded`);
    evidence.push(conditionEvidence('Respiratory failure', c));
  }
  // The first finding says enough; the others are counted.
  const more = found.length > 1 ? `; ${found.length - 1} more` : '';
  if (found.length > 0) return { state: 'met', line: `${prefix}: ${found[0]}${more}.`, evidence };
  if (o.respiratoryInsufficiency === 'unknown') {
    return { state: 'not-assessable', line: `Respiratory insufficiency not assessable: no SpO2/PaO2 in ${t.oxygenationWindowDays} days.`, evidence: [] };
  }
  const why = o.respiratoryInsufficiency === 'present' ? `only before ${durationText(minDays)} of treatment` : 'absent';
  return { state: 'not-met', line: `${prefix}: ${why}.`, evidence: [] };
}

// ---------------------------------------------------------------------------------------------
// (c) a recurrence/relapse COP Condition recorded while on ≥ 0.5 mg/kg

/**
 * The days of the run spent at the starting dose: the initial order's first step when its length
 * is stated, else the whole run so far (an open-ended order keeps its dose while it is active).
 */
function startingDoseDays(initial: InitialDose, runStart: string, now: Date): number {
  const phases = initial.orders.map((o) => o.initialPhaseDays).filter((d): d is number => d !== undefined);
  return phases.length > 0 ? Math.max(...phases) : (calendarDaysAgo(runStart, now) ?? 0);
}

function relapseCriterion(facts: PatientFacts, t: Thresholds, runStart: string, initial: InitialDose, now: Date): PoorResponseCriterion {
  const prefix = `Relapse on ≥ ${mgPerKgText(t.poorResponseMinMgPerKg)} mg/kg`;
  const relapses = copRelapseConditions(facts);
  if (relapses.length === 0) return { state: 'not-met', line: `${prefix}: none recorded.`, evidence: [] };
  const phaseDays = startingDoseDays(initial, runStart, now);
  const during = (c: ConditionFact): boolean => {
    const d = daysFromStart(runStart, conditionRecordDay(c));
    return d !== undefined && d >= 0 && d <= phaseDays;
  };
  const inPhase = relapses.filter(during);
  const text = (c: ConditionFact): string => `${c.clinicalStatus} ${conditionRecordDay(c) ?? '(date unknown)'}`;
  // "relapse 2026-10-16, 2026-10-26; recurrence 2026-11-02": the days grouped by status.
  const grouped = (cs: ConditionFact[]): string => [...new Set(cs.map((c) => c.clinicalStatus))]
    .map((status) => `${status} ${cs.filter((c) => c.clinicalStatus === status).map((c) => conditionRecordDay(c) ?? '(date unknown)').join(', ')}`)
    .join('; ');
  if (inPhase.length > 0) {
    return { state: 'met', line: `${prefix}: ${grouped(inPhase)}.`, evidence: inPhase.map((c) => conditionEvidence('COP recurrence/relapse', c)) };
  }
  return {
    state: 'not-met',
    line: `${prefix}: none; recorded outside the starting-dose phase: ${relapses.map(text).join('; ')} (relapse on taper or off treatment is common and not counted).`,
    evidence: [],
  };
}

// ---------------------------------------------------------------------------------------------

/** COP-R16's condition from the facts and the clock alone (pure; shared with COP-R18). */
export function assessPoorResponse(facts: PatientFacts, context: Pick<RuleContext, 'thresholds' | 'now'>): PoorResponseAssessment {
  const t = context.thresholds;
  if (!facts.cop.present) return { status: 'not-applicable', reason: 'P-COP is false' };
  const { onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: runStart } = facts.medications;
  if (weeks === undefined || !runStart) return { status: 'not-applicable', reason: 'not on a systemic glucocorticoid with a known start' };
  if (weeks < t.poorResponseWeeks) return { status: 'not-applicable', reason: `on glucocorticoids for ${weeks} weeks` };
  const initial = initialDose(facts, runStart);
  if (initial.mgPerKg !== undefined && initial.mgPerKg < t.poorResponseMinMgPerKg) {
    return { status: 'not-applicable', reason: `starting dose ${mgPerKgText(initial.mgPerKg)} mg/kg` };
  }
  const minDays = t.poorResponseWeeks * 7;
  const fvc = fvcCriterion(facts, t, minDays);
  const respiratory = respiratoryCriterion(facts, t, runStart, minDays);
  const relapse = relapseCriterion(facts, t, runStart, initial, context.now);
  const anyMet = [fvc, respiratory, relapse].some((c) => c.state === 'met');
  const status = !anyMet ? 'not-met' : initial.mgPerKg === undefined ? 'dose-unknown' : 'met';
  return { status, weeks, runStart, initial, fvc, respiratory, relapse };
}

/** An order as data used, its start date with its age in words (decision 19). */
export function orderEvidence(label: string, med: MedicationFact, now: Date): Evidence {
  const e = medicationEvidence(label, med);
  const age = e.date ? calendarDaysAgo(e.date, now) : undefined;
  if (age !== undefined) e.ageDays = age;
  return e;
}

function startingDoseLine(initial: InitialDose, t: Thresholds, runStart: string): string {
  const day = runStart.slice(0, 10);
  const min = mgPerKgText(t.poorResponseMinMgPerKg);
  if (initial.mgPerKg !== undefined && initial.weight && initial.predEqMgPerDay !== undefined) {
    return `Starting dose ${compactNumber(initial.predEqMgPerDay)} mg/day prednisone-equivalent (${day}) = ${mgPerKgText(Math.round(initial.mgPerKg * 100) / 100)} mg/kg at ${compactNumber(initial.weight.value)} kg.`;
  }
  const dose = initial.predEqMgPerDay !== undefined ? `${compactNumber(initial.predEqMgPerDay)} mg/day prednisone-equivalent (${day})` : `course started ${day}`;
  return `Starting dose per kg unknown: ${dose}; ${initial.unknownReason ?? 'not derivable'}. Check it was ≥ ${min} mg/kg before reading this as a poor response.`;
}

function evaluate(facts: PatientFacts, context: RuleContext): Finding | undefined {
  if (context.hook !== 'patient-view') return undefined;
  const t = context.thresholds;
  const a = assessPoorResponse(facts, context);
  if (a.status === 'not-applicable' || a.status === 'not-met') return undefined;
  // What holds and what could not be checked; a criterion that is not met is left out.
  const shown = [a.fvc, a.respiratory, a.relapse].filter((c) => c.state !== 'not-met');
  const met = a.status === 'met';
  const summary = met
    ? fitSummary(
      `Limited response after ${a.weeks} weeks of steroids: reconsider diagnosis; look for secondary OP (CTD, malignancy, drugs, infection).`,
      `Limited response after ${a.weeks} weeks of steroids: reconsider diagnosis and look for secondary OP.`,
    )
    : `Possible limited response after ${a.weeks} weeks of steroids; starting dose per kg unknown: check it, then consider secondary OP.`;
  // The lines state the readings and the relapse records with their dates, and the starting dose;
  // the data used are the order(s) that started the course and the weight behind its mg/kg.
  const evidence: Evidence[] = a.initial.orders.map((m) => ({ ...orderEvidence('Started', m, context.now), value: m.name }));
  if (a.initial.weight) evidence.push(evidenceOf('Weight', a.initial.weight));
  return {
    ruleId: 'COP-R16',
    indicator: met ? 'warning' : 'info',
    summary,
    // The weeks on treatment are in the summary; the run's start is the starting dose's date.
    detail: [
      shown.map((c) => `- ${c.line}`).join('\n'),
      startingDoseLine(a.initial, t, a.runStart),
      'Consider specialist review. A lower response suggested a secondary cause in a small cohort (COP cohort 2024); heuristic criteria.',
    ],
    evidence,
    citations: ['PMID-39703446', 'CTD-OP-2011', 'ZHANG-ATM'],
  };
}

export const r16: Rule = {
  id: 'COP-R16',
  title: 'Poor response: look for a secondary cause',
  purpose: 'After weeks of full-dose glucocorticoid: FVC not improving, respiratory insufficiency, or a relapse on full dose → reconsider the diagnosis and look for secondary OP (heuristic, no validated threshold).',
  hooks: ['patient-view'],
  reads: ['conditions', 'meds', 'weight', 'encounter', 'oxygenation', 'pft'],
  thresholds: ['poorResponseWeeks', 'poorResponseMinMgPerKg', 'poorResponseFvcImprovementPoints', 'pftBaselineWindowDays', ...P_PFT_PRESERVED, ...P_RESP_INSUFF, ...P_WEIGHT, ...P_ON_GC_WEEKS],
  citations: ['PMID-39703446', 'CTD-OP-2011', 'ZHANG-ATM'],
  background: [
    'After at least 6 weeks of a course started at ≥ 0.5 mg/kg/day, any of: (a) FVC % predicted not improved by ≥ 5 points over the pre-treatment baseline, or fallen; (b) respiratory insufficiency at ≥ 6 weeks; (c) a COP recurrence or relapse recorded while still on the starting dose. These criteria are a heuristic with no validated threshold; the card lists the criteria that hold and those it could not check.',
    'Evidence: in a small prospective cohort (PMID 39703446), lower response to treatment suggested secondary causes; CTD-related OP had a lower complete-recovery rate than COP (20.8% vs 46.1%; COP vs CTD-OP, Rheumatology 2011); 31 of 207 cases first labelled COP were later reclassified as secondary OP (Zhang, Ann Transl Med).',
    'Reconsider the diagnosis and look for a secondary cause of OP: connective tissue disease, malignancy, drugs, infection. Consider specialist review.',
  ],
  reviewNotes: ['The poor-response criteria are a heuristic of the catalog: no validated threshold exists.'],
  evaluate,
};
