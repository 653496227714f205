/**
 * Runs a service's rules over the facts. Pure: same facts, context and clock → same findings.
 * At most one finding per rule (decision 7: one card per rule per call), in the order the service
 * lists them.
 */
import type { PatientFacts } from './facts-types.js';
import type { Finding, Rule, RuleContext } from './rule-types.js';

/** The ordering hooks advise on the orders being written: with none that names a drug, there is nothing to advise on. */
const ORDERING_HOOKS: ReadonlySet<RuleContext['hook']> = new Set(['order-select', 'order-sign']);

export function evaluateRules(rules: readonly Rule[], facts: PatientFacts, context: RuleContext): Finding[] {
  // An order form not filled in yet (the CDS Hooks Sandbox calls order-select as its Rx View opens):
  // patient-level cards would be noise before any drug is chosen; patient-view carries them.
  if (ORDERING_HOOKS.has(context.hook) && facts.medications.drafts.length === 0) return [];
  const findings: Finding[] = [];
  for (const rule of rules) {
    const finding = rule.evaluate(facts, context);
    if (finding) findings.push(finding);
  }
  return findings;
}
