/**
 * Small selectors and formatters shared by several rules. Pure; facts in, values out.
 */
import type { Measurement, MedicationFact, PatientFacts, Provenance } from '../facts-types.js';
import type { Evidence } from '../rule-types.js';

export const isAdult = (facts: PatientFacts): boolean =>
  facts.age.status === 'known' && facts.age.years >= 18;

export const isSystemicGlucocorticoid = (med: MedicationFact): boolean =>
  med.classes.includes('systemic-glucocorticoid');

/** Active (or on-hold) systemic glucocorticoid orders: P-GC-ACTIVE. */
export const activeGlucocorticoids = (facts: PatientFacts): MedicationFact[] =>
  facts.medications.active.filter(isSystemicGlucocorticoid);

export const draftGlucocorticoids = (facts: PatientFacts): MedicationFact[] =>
  facts.medications.drafts.filter(isSystemicGlucocorticoid);

/** The draft the clinician just selected (order-select), if it is a systemic glucocorticoid. */
export const selectedGlucocorticoidDraft = (facts: PatientFacts): MedicationFact | undefined =>
  facts.medications.drafts.find((m) => m.selected && isSystemicGlucocorticoid(m));

export const draftsOfClass = (facts: PatientFacts, cls: MedicationFact['classes'][number]): MedicationFact[] =>
  facts.medications.drafts.filter((m) => m.classes.includes(cls));

/** Round half-up to the nearest `step` (5 mg by default): 42.5 → 45, 42.4 → 40. */
export const roundToStep = (value: number, step = 5): number => Math.floor(value / step + 0.5 + 1e-9) * step;

/** One decimal, trailing ".0" kept for weights ("60.0 kg") as the catalog's examples show. */
export const oneDecimal = (n: number): string => n.toFixed(1);

/** "2025-11-03, 12 d ago" style age text; empty when the date is unknown. */
export function whenText(p: Provenance): string {
  if (!p.date) return 'date unknown';
  const day = p.date.slice(0, 10);
  if (p.ageDays === undefined) return day;
  if (p.ageDays === 0) return `${day}, today`;
  return `${day}, ${p.ageDays} d ago`;
}

/** "60.0 kg (2025-11-03, 12 d ago)". */
export function measurementText(m: Measurement, digits = 1): string {
  return `${m.value.toFixed(digits)} ${m.unit} (${whenText(m)})`;
}

export function evidenceOf(label: string, m: Measurement, digits = 1): Evidence {
  const e: Evidence = { label, value: `${m.value.toFixed(digits)} ${m.unit}` };
  if (m.date) e.date = m.date;
  if (m.ageDays !== undefined) e.ageDays = m.ageDays;
  if (m.reference) e.reference = m.reference;
  return e;
}
