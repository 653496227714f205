/**
 * Prefetch templates shared by the COP services. The service filters by date
 * itself, because CDS Hooks tokens do no date arithmetic. Tokens are root-level context fields;
 * results are sorted newest first with `_sort=-date` (never the invalid `sort:desc=date`).
 *
 * Not a service definition: the registry skips files that do not export a default definition.
 */
import type { PrefetchTemplate } from '../src/cds/service-definition.js';
import type { DataDomain } from '../src/cop/facts-types.js';
import type { RuleId } from '../src/cop/knowledge.js';
import type { HookName } from '../src/cop/rule-types.js';
import { RULES } from '../src/cop/rules/index.js';
import { LOINC_CODES as L } from '../src/cop/valuesets.js';

const loinc = (...codes: string[]): string => codes.map((c) => `http://loinc.org|${c}`).join(',');
const observations = (codes: readonly string[], count: number): string =>
  `Observation?patient={{context.patientId}}&code=${loinc(...codes)}&_sort=-date&_count=${count}`;

const required = (template: string): PrefetchTemplate => ({ template, required: true });
const optional = (template: string): PrefetchTemplate => ({ template, required: false });

export const templates = {
  patient: required('Patient/{{context.patientId}}'),
  conditions: required('Condition?patient={{context.patientId}}'),
  weight: required(observations([L.bodyWeight], 3)),
  oxygenation: optional(observations([...[...L.spo2].reverse(), L.pao2], 10)),
  pft: optional(observations([L.fvcPercentPredicted, L.fvcPercentPredictedPreBd, L.fev1PercentPredicted, L.dlcoPercentPredicted, L.fvcAbsolute, L.fev1Absolute, L.dlco], 30)),
  labs: optional(observations([L.ggt, L.alp, ...L.hba1c, ...L.glucose], 30)),
  bp: optional(observations([L.bpPanel], 3)),
  meds: required('MedicationRequest?patient={{context.patientId}}&status=active,on-hold'),
  // Decision 18: completed and stopped orders, so the untreated-COP reminder sees past courses.
  medsHistory: optional('MedicationRequest?patient={{context.patientId}}&status=completed,stopped&_sort=-authoredon&_count=50'),
  pregnancy: optional(observations([L.pregnancyStatus], 1)),
  allergies: optional('AllergyIntolerance?patient={{context.patientId}}'),
  followUp: optional('ServiceRequest?patient={{context.patientId}}&code=http://loinc.org|81458-2&status=active,draft'),
  // encounterId is optional in every hook: when the EHR has none it leaves the key out (R-PF-06).
  encounter: optional('Encounter/{{context.encounterId}}'),
} satisfies Record<string, PrefetchTemplate>;

/**
 * A service's prefetch: the union of what its rules read on its hook (their declarations), each key
 * with its template above. `optional` makes a key that is required elsewhere optional here
 * (patient-view needs no weight: it computes no dose).
 */
export function prefetchFor(hook: HookName, ruleIds: readonly RuleId[], options: { optional?: readonly DataDomain[] } = {}): Partial<Record<DataDomain, PrefetchTemplate>> {
  const keys = new Set<DataDomain>();
  for (const id of ruleIds) {
    const rule = RULES[id];
    if (!rule) throw new Error(`prefetchFor: rule ${id} is not implemented`);
    for (const key of [...rule.reads, ...(rule.readsOn?.[hook] ?? [])]) keys.add(key);
  }
  const order = Object.keys(templates) as DataDomain[];
  return Object.fromEntries(
    order.filter((k) => keys.has(k)).map((k) => {
      const t = templates[k as keyof typeof templates];
      return [k, options.optional?.includes(k) ? { ...t, required: false } : t];
    }),
  );
}
