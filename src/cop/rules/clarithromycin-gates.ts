/**
 * The COP-R06 gates for the clarithromycin alternative, assessed once. COP-R06 decides from it
 * whether to offer the option; COP-R01 turns a `not-assessed` result into its "Clarithromycin
 * option not assessed: …" line (a gate that cannot be checked is unknown, never met). Keeping one
 * assessment means the two cards can never disagree about the same patient.
 *
 * Precedence: a gate that definitely fails makes the patient `not-eligible` even when other gates
 * are unknown, because collecting the missing data could not make the option available.
 */
import type { Measurement, PatientFacts, SpO2Measurement } from '../facts-types.js';
import type { Thresholds } from '../knowledge.js';
import type { Evidence, RuleContext } from '../rule-types.js';
import {
  ageText, compactNumber, dayWithAge, evidenceOf, isAdult, lastPregnancyRecordText,
  pregnancyEvidence, pregnancyStatusText, unidentifiedActiveOrders,
} from './shared.js';

export type ClarithromycinGate =
  | 'adult'
  | 'no-respiratory-insufficiency'
  | 'pft-preserved'
  | 'not-pregnant'
  | 'no-macrolide-allergy'
  | 'no-interacting-drug';

interface GateResult {
  gate: ClarithromycinGate;
  outcome: 'met' | 'failed' | 'unknown';
  /**
   * A card line (decision 21): what a met gate rests on ("SpO2 97% on room air, 2026-11-30 (2 days
   * ago)"), why a gate failed, or what is missing. Only recorded facts, never an assumed one.
   */
  text: string;
}

/** `met`: the basis of each gate that is met, in gate order, for "Gates met: …" lines. */
export type ClarithromycinAssessment =
  | { status: 'eligible'; met: string[]; evidence: Evidence[] }
  | { status: 'not-eligible'; reasons: string[]; met: string[]; evidence: Evidence[] }
  | { status: 'not-assessed'; missing: string[]; met: string[]; evidence: Evidence[] };

const met = (gate: ClarithromycinGate, text: string): GateResult => ({ gate, outcome: 'met', text });
const failed = (gate: ClarithromycinGate, text: string): GateResult => ({ gate, outcome: 'failed', text });
const unknown = (gate: ClarithromycinGate, text: string): GateResult => ({ gate, outcome: 'unknown', text });

/** P-ADULT: unknown age counts as not adult, so it fails rather than waits. */
function adultGate(facts: PatientFacts): GateResult {
  if (isAdult(facts)) return met('adult', ageText(facts));
  return failed('adult', `${ageText(facts)} (adults only)`);
}

// ---------------------------------------------------------------------------------------------
// Oxygenation and lung function as a card states them (also used by COP-R07)

/** "SpO2 97% on room air, 2026-11-30 (2 days ago)". */
export const spo2Text = (m: SpO2Measurement): string =>
  `SpO2 ${compactNumber(m.value)}% ${m.onSupplementalOxygen ? 'on supplemental oxygen' : 'on room air'}, ${dayWithAge(m)}`;

/** "PaO2 55 mmHg, 2026-11-30 (2 days ago)" (or the kPa the lab reported). */
export const pao2Text = (m: Measurement): string => {
  const value = m.original?.unit === 'kPa' ? `${compactNumber(m.original.value)} kPa` : `${compactNumber(m.value, 0)} mmHg`;
  return `PaO2 ${value}, ${dayWithAge(m)}`;
};

const pao2Low = (m: Measurement, t: Thresholds): boolean =>
  m.original?.unit === 'kPa' ? m.original.value < t.pao2MinKPa : m.value < t.pao2MinMmHg;

/** What makes P-RESP-INSUFF present, each with its date: low PaO2 or SpO2, SpO2 on oxygen, a respiratory-failure condition. */
export function respiratoryInsufficiencyFindings(facts: PatientFacts, t: Thresholds): string[] {
  const o = facts.oxygenation;
  return [
    ...o.pao2.filter((m) => pao2Low(m, t)).map(pao2Text),
    ...o.spo2.filter((m) => m.onSupplementalOxygen || m.value < t.spo2MinPercent).map(spo2Text),
    ...o.respiratoryFailureConditions.map((c) => `${c.display ?? c.code} recorded, ${dayWithAge(c)}`),
  ];
}

/** The reading that rules respiratory insufficiency out: the latest room-air SpO2 ≥ cut-off, else PaO2 ≥ cut-off. */
function reassuringReading(facts: PatientFacts, t: Thresholds): string | undefined {
  const spo2 = facts.oxygenation.spo2.find((m) => !m.onSupplementalOxygen && m.value >= t.spo2MinPercent);
  if (spo2) return spo2Text(spo2);
  const pao2 = facts.oxygenation.pao2.find((m) => !pao2Low(m, t));
  return pao2 ? pao2Text(pao2) : undefined;
}

/** "FVC 85% / FEV1 75% predicted, 2026-11-02 (23 days ago)"; each with its own date when they differ; missing ones named. */
export function pftValuesText(facts: PatientFacts): string {
  const { fvcPercentPredicted: fvc, fev1PercentPredicted: fev1 } = facts.pft;
  if (fvc && fev1 && fvc.date?.slice(0, 10) === fev1.date?.slice(0, 10)) {
    return `FVC ${compactNumber(fvc.value, 0)}% / FEV1 ${compactNumber(fev1.value, 0)}% predicted, ${dayWithAge(fvc)}`;
  }
  return [
    fvc ? `FVC ${compactNumber(fvc.value, 0)}% predicted, ${dayWithAge(fvc)}` : 'FVC % predicted missing',
    fev1 ? `FEV1 ${compactNumber(fev1.value, 0)}% predicted, ${dayWithAge(fev1)}` : 'FEV1 % predicted missing',
  ].join('; ');
}

function respiratoryGate(facts: PatientFacts, context: RuleContext): GateResult {
  const o = facts.oxygenation;
  const t = context.thresholds;
  if (o.domain === 'available' && o.respiratoryInsufficiency === 'absent') {
    return met('no-respiratory-insufficiency', reassuringReading(facts, t) ?? 'no respiratory insufficiency recorded');
  }
  if (o.domain === 'available' && o.respiratoryInsufficiency === 'present') {
    const findings = respiratoryInsufficiencyFindings(facts, t);
    return failed('no-respiratory-insufficiency', `respiratory insufficiency present${findings.length > 0 ? ` (${findings.join('; ')})` : ''}`);
  }
  return unknown('no-respiratory-insufficiency', `recent SpO2/PaO2 ≤${t.oxygenationWindowDays} d`);
}

function pftGate(facts: PatientFacts, context: RuleContext): GateResult {
  const p = facts.pft;
  const t = context.thresholds;
  if (p.domain === 'available' && p.preserved === 'true') return met('pft-preserved', pftValuesText(facts));
  if (p.domain === 'available' && p.preserved === 'false') {
    return failed(
      'pft-preserved',
      `lung function not preserved: ${pftValuesText(facts)} (FVC > ${t.fvcPercentPredictedMin}% and FEV1 > ${t.fev1PercentPredictedMin}% predicted required)`,
    );
  }
  const absolute = p.absoluteOnly ? ' (only absolute volumes recorded; predicted values are not computed)' : '';
  return unknown('pft-preserved', `FVC%/FEV1% predicted ≤${t.pftWindowDays} d${absolute}`);
}

function pregnancyGate(facts: PatientFacts): GateResult {
  // The facts already fold sex, age and data availability into the status (unknown when unreadable).
  const { status } = facts.pregnancy;
  if (status === 'no') return met('not-pregnant', pregnancyStatusText(facts));
  // n/a says why ("not applicable (male)"), never "not pregnant": that was not recorded.
  if (status === 'n/a') return met('not-pregnant', `pregnancy: ${pregnancyStatusText(facts)}`);
  if (status === 'yes') return failed('not-pregnant', pregnancyStatusText(facts));
  const last = lastPregnancyRecordText(facts);
  return unknown('not-pregnant', last ? `pregnancy status: last recorded ${last}` : 'pregnancy status');
}

function allergyGate(facts: PatientFacts): GateResult {
  switch (facts.medications.macrolideAllergy) {
    case 'absent': return met('no-macrolide-allergy', 'no macrolide allergy recorded');
    case 'present': return failed('no-macrolide-allergy', 'macrolide allergy recorded');
    default: return unknown('no-macrolide-allergy', 'allergy list (macrolide allergy)');
  }
}

function interactionGate(facts: PatientFacts): GateResult {
  const interacting = facts.medications.active.filter((m) => m.classes.includes('clarithromycin-interacting'));
  if (interacting.length > 0) {
    return failed('no-interacting-drug', `interacting drug active: ${interacting.map((m) => m.name).join(', ')}`);
  }
  // Without the medication list we cannot tell that nothing interacts.
  if (facts.medications.domain !== 'available') return unknown('no-interacting-drug', 'active medication list (interactions)');
  // Decision 10: an order nothing identifies may be an interacting drug (or clarithromycin itself).
  const unidentified = unidentifiedActiveOrders(facts).length;
  if (unidentified > 0) {
    return unknown('no-interacting-drug', `identity of ${unidentified === 1 ? 'an active order' : `${unidentified} active orders`} (interactions)`);
  }
  return met('no-interacting-drug', 'no interacting drug active');
}

const ALLERGY_TEXT = { present: 'recorded', absent: 'none recorded', unknown: 'allergy list unavailable' } as const;

/** The data the gates read, with dates, for the card's "data used" list. */
function gateEvidence(facts: PatientFacts): Evidence[] {
  const evidence: Evidence[] = [];
  const spo2 = facts.oxygenation.spo2[0];
  if (spo2) evidence.push({ ...evidenceOf('SpO2', spo2, 0), value: `${compactNumber(spo2.value)}% ${spo2.onSupplementalOxygen ? 'on supplemental oxygen' : 'on room air'}` });
  const pao2 = facts.oxygenation.pao2[0];
  if (pao2) evidence.push({ ...evidenceOf('PaO2', pao2, 0), value: `${compactNumber(pao2.value, 0)} mmHg` });
  if (facts.pft.fvcPercentPredicted) evidence.push({ ...evidenceOf('FVC % predicted', facts.pft.fvcPercentPredicted, 0), value: `${compactNumber(facts.pft.fvcPercentPredicted.value, 0)}%` });
  if (facts.pft.fev1PercentPredicted) evidence.push({ ...evidenceOf('FEV1 % predicted', facts.pft.fev1PercentPredicted, 0), value: `${compactNumber(facts.pft.fev1PercentPredicted.value, 0)}%` });
  const pregnancy = pregnancyEvidence(facts);
  evidence.push(...(pregnancy.length > 0 ? pregnancy : [{ label: 'Pregnancy status', value: pregnancyStatusText(facts, false) }]));
  evidence.push({ label: 'Macrolide allergy', value: ALLERGY_TEXT[facts.medications.macrolideAllergy] });
  return evidence;
}

export function assessClarithromycinGates(facts: PatientFacts, context: RuleContext): ClarithromycinAssessment {
  const results = [
    adultGate(facts),
    respiratoryGate(facts, context),
    pftGate(facts, context),
    pregnancyGate(facts),
    allergyGate(facts),
    interactionGate(facts),
  ];
  const evidence = gateEvidence(facts);
  const texts = (outcome: GateResult['outcome']) =>
    results.filter((r) => r.outcome === outcome).map((r) => r.text);
  const metTexts = texts('met');
  const reasons = texts('failed');
  if (reasons.length > 0) return { status: 'not-eligible', reasons, met: metTexts, evidence };
  const missing = texts('unknown');
  if (missing.length > 0) return { status: 'not-assessed', missing, met: metTexts, evidence };
  return { status: 'eligible', met: metTexts, evidence };
}

/** R01's line for an unassessed option: "Clarithromycin option not assessed: missing …; …." */
export const notAssessedLine = (missing: string[]): string =>
  `Clarithromycin option not assessed: missing ${missing.join('; ')}.`;

/** R01's line when a gate rules the option out, so the absent R06 card is explained. */
export const notEligibleLine = (reasons: string[]): string =>
  `Clarithromycin alternative not applicable: ${reasons.join('; ')}.`;
