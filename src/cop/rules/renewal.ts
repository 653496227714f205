/**
 * Renewals (decision 14: a renewal is not a duplicate): a drafted order whose `priorPrescription` references an
 * active order replaces it. A drafted systemic glucocorticoid renewing an active glucocorticoid is
 * not a duplicate (COP-R04), not a first order (COP-R14); COP-R05 checks its new dose and COP-R17
 * judges its planned end.
 */
import type { MedicationFact, PatientFacts } from '../facts-types.js';

/** A FHIR id (R4: 1–64 of A–Z a–z 0–9 - .), not made of dots alone (those are path segments). */
const FHIR_ID = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;

/**
 * The MedicationRequest id a `priorPrescription.reference` names: `MedicationRequest/{id}`, or an
 * absolute URL ending in `/MedicationRequest/{id}` (a trailing `/_history/{version}` is allowed:
 * a version of the same order). Anything else (a contained `#id`, another type) names none.
 */
export function medicationRequestIdOf(reference: string | undefined): string | undefined {
  if (!reference) return undefined;
  const path = reference.trim().split(/[?#]/, 1)[0] ?? '';
  const match = /(?:^|\/)MedicationRequest\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(path);
  const id = match?.[1];
  if (!id || !FHIR_ID.test(id)) return undefined;
  // A relative reference must be exactly MedicationRequest/{id}; an absolute one needs a scheme.
  if (!path.startsWith('MedicationRequest/') && !/^https?:\/\//i.test(path)) return undefined;
  return id;
}

/** The active MedicationRequest (among `active`) that `draft` renews, if any. */
export function renewedOrder(draft: MedicationFact, active: readonly MedicationFact[]): MedicationFact | undefined {
  const id = medicationRequestIdOf(draft.priorPrescription);
  if (id === undefined) return undefined;
  return active.find((m) => m.resourceType === 'MedicationRequest' && m.reference === `MedicationRequest/${id}` && m !== draft);
}

/** The active systemic glucocorticoid `draft` renews (decision 14), when `draft` is one too. */
export function renewedGlucocorticoid(draft: MedicationFact, facts: PatientFacts): MedicationFact | undefined {
  if (!draft.classes.includes('systemic-glucocorticoid')) return undefined;
  return renewedOrder(draft, facts.medications.active.filter((m) => m.classes.includes('systemic-glucocorticoid')));
}

/** References of the active orders (of any drug, identified or not) that some draft replaces. */
export function replacedOrderReferences(drafts: readonly MedicationFact[], facts: PatientFacts): Set<string> {
  const replaced = new Set<string>();
  for (const d of drafts) {
    const prior = renewedOrder(d, facts.medications.active);
    if (prior) replaced.add(prior.reference);
  }
  return replaced;
}
