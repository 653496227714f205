/**
 * Runs a service's rules over the facts. Pure: same facts, context and clock → same findings.
 * At most one finding per rule (cop-rules.md decision 7), in the order the service lists them.
 */
import type { PatientFacts } from './facts-types.js';
import type { Finding, Rule, RuleContext } from './rule-types.js';

export function evaluateRules(rules: readonly Rule[], facts: PatientFacts, context: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    const finding = rule.evaluate(facts, context);
    if (finding) findings.push(finding);
  }
  return findings;
}
