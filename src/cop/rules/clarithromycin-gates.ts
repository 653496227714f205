/**
 * The COP-R06 gates for the clarithromycin alternative, assessed once. COP-R06 decides from it
 * whether to offer the option; COP-R01 turns a `not-assessed` result into its "Clarithromycin
 * option not assessed: …" line (cop-rules §R06, §0.4.1). Keeping one assessment means the two
 * cards can never disagree about the same patient.
 *
 * Precedence: a gate that definitely fails makes the patient `not-eligible` even when other gates
 * are unknown, because collecting the missing data could not make the option available.
 */
import type { PatientFacts } from '../facts-types.js';
import type { Evidence, RuleContext } from '../rule-types.js';
import { evidenceOf, evidenceWithProvenance, isAdult, unidentifiedActiveOrders } from './shared.js';

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
  /** Why it failed, or what is missing, in words for a card line. */
  text?: string;
}

export type ClarithromycinAssessment =
  | { status: 'eligible'; evidence: Evidence[] }
  | { status: 'not-eligible'; reasons: string[]; evidence: Evidence[] }
  | { status: 'not-assessed'; missing: string[]; evidence: Evidence[] };

const met = (gate: ClarithromycinGate): GateResult => ({ gate, outcome: 'met' });
const failed = (gate: ClarithromycinGate, text: string): GateResult => ({ gate, outcome: 'failed', text });
const unknown = (gate: ClarithromycinGate, text: string): GateResult => ({ gate, outcome: 'unknown', text });

/** P-ADULT: unknown age counts as not adult (cop-rules §0.2), so it fails rather than waits. */
function adultGate(facts: PatientFacts): GateResult {
  if (isAdult(facts)) return met('adult');
  return failed('adult', facts.age.status === 'known' ? `age ${facts.age.years} (adults only)` : 'age unknown (adults only)');
}

function respiratoryGate(facts: PatientFacts, context: RuleContext): GateResult {
  const o = facts.oxygenation;
  if (o.domain === 'available' && o.respiratoryInsufficiency === 'absent') return met('no-respiratory-insufficiency');
  if (o.domain === 'available' && o.respiratoryInsufficiency === 'present') {
    const why = o.reasons.length > 0 ? ` (${o.reasons.join('; ')})` : '';
    return failed('no-respiratory-insufficiency', `respiratory insufficiency present${why}`);
  }
  return unknown('no-respiratory-insufficiency', `recent SpO2/PaO2 ≤${context.thresholds.oxygenationWindowDays} d`);
}

function pftGate(facts: PatientFacts, context: RuleContext): GateResult {
  const p = facts.pft;
  const t = context.thresholds;
  if (p.domain === 'available' && p.preserved === 'true') return met('pft-preserved');
  if (p.domain === 'available' && p.preserved === 'false') {
    return failed('pft-preserved', `lung function not preserved (FVC > ${t.fvcPercentPredictedMin}% and FEV1 > ${t.fev1PercentPredictedMin}% predicted required)`);
  }
  const absolute = p.absoluteOnly ? ' (only absolute volumes recorded; predicted values are not computed)' : '';
  return unknown('pft-preserved', `FVC%/FEV1% predicted ≤${t.pftWindowDays} d${absolute}`);
}

function pregnancyGate(facts: PatientFacts): GateResult {
  // The facts already fold sex, age and data availability into the status (unknown when unreadable).
  const { status } = facts.pregnancy;
  if (status === 'no' || status === 'n/a') return met('not-pregnant');
  if (status === 'yes') return failed('not-pregnant', 'pregnant');
  return unknown('not-pregnant', 'pregnancy status');
}

function allergyGate(facts: PatientFacts): GateResult {
  switch (facts.medications.macrolideAllergy) {
    case 'absent': return met('no-macrolide-allergy');
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
  return met('no-interacting-drug');
}

const PREGNANCY_TEXT = { yes: 'pregnant', no: 'not pregnant', unknown: 'unknown', 'n/a': 'not applicable' } as const;
const ALLERGY_TEXT = { present: 'recorded', absent: 'none recorded', unknown: 'allergy list unavailable' } as const;

/** The data the gates read, with dates, for the card's "data used" list. */
function gateEvidence(facts: PatientFacts): Evidence[] {
  const evidence: Evidence[] = [];
  const spo2 = facts.oxygenation.spo2[0];
  if (spo2) evidence.push({ ...evidenceOf('SpO2', spo2, 0), value: `${spo2.value.toFixed(0)} %${spo2.onSupplementalOxygen ? ' on oxygen' : ' room air'}` });
  const pao2 = facts.oxygenation.pao2[0];
  if (pao2) evidence.push(evidenceOf('PaO2', pao2, 0));
  if (facts.pft.fvcPercentPredicted) evidence.push(evidenceOf('FVC % predicted', facts.pft.fvcPercentPredicted, 0));
  if (facts.pft.fev1PercentPredicted) evidence.push(evidenceOf('FEV1 % predicted', facts.pft.fev1PercentPredicted, 0));
  const decided = facts.pregnancy.evidence;
  evidence.push(
    decided
      ? evidenceWithProvenance('Pregnancy status', decided.text, decided)
      : { label: 'Pregnancy status', value: PREGNANCY_TEXT[facts.pregnancy.status] },
  );
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
    results.filter((r) => r.outcome === outcome).map((r) => r.text ?? r.gate);
  const reasons = texts('failed');
  if (reasons.length > 0) return { status: 'not-eligible', reasons, evidence };
  const missing = texts('unknown');
  if (missing.length > 0) return { status: 'not-assessed', missing, evidence };
  return { status: 'eligible', evidence };
}

/** R01's line for an unassessed option: "Clarithromycin option not assessed: missing …; …." */
export const notAssessedLine = (missing: string[]): string =>
  `Clarithromycin option not assessed: missing ${missing.join('; ')}.`;

/** R01's line when a gate rules the option out, so the absent R06 card is explained. */
export const notEligibleLine = (reasons: string[]): string =>
  `Clarithromycin alternative not applicable: ${reasons.join('; ')}.`;
