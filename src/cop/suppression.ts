/**
 * patient-view noise control, so a chart opened again and again does not repeat itself: a card
 * the clinician overrode is not shown again for the same patient for 24 h, and the surveillance
 * reminder (COP-R20) appears at most once per 90 days. Pure: the pipeline looks the history up in
 * the store and passes it in; this module only decides.
 */
import type { RuleId, Thresholds } from './knowledge.js';
import { ALL_RULES } from './rules/index.js';
import type { Finding, HookName } from './rule-types.js';

/** Rules shown at most once per `surveillanceIntervalDays` on patient-view: those whose declaration says so. */
export const ONCE_PER_INTERVAL_RULES: readonly RuleId[] = ALL_RULES.filter((r) => r.oncePerInterval === true).map((r) => r.id);

export interface SuppressionHistory {
  /** Rules whose cards were overridden for this patient within the override window. */
  overridden: ReadonlySet<RuleId>;
  /** Once-per-interval rules already shown to this patient within their interval. */
  shownWithinInterval: ReadonlySet<RuleId>;
}

/** Only patient-view is suppressed: ordering hooks must always show their safety checks. */
export const appliesTo = (hook: HookName): boolean => hook === 'patient-view';

export interface SuppressionWindows {
  overrideSince: Date;
  intervalSince: Date;
}

export function suppressionWindows(now: Date, t: Pick<Thresholds, 'overrideSuppressionHours' | 'surveillanceIntervalDays'>): SuppressionWindows {
  return {
    overrideSince: new Date(now.getTime() - t.overrideSuppressionHours * 3_600_000),
    intervalSince: new Date(now.getTime() - t.surveillanceIntervalDays * 86_400_000),
  };
}

export function applySuppression(findings: Finding[], history: SuppressionHistory): Finding[] {
  return findings.filter(
    (f) => !history.overridden.has(f.ruleId) && !(ONCE_PER_INTERVAL_RULES.includes(f.ruleId) && history.shownWithinInterval.has(f.ruleId)),
  );
}
