/**
 * Prefetch templates shared by the COP services (cop-rules.md §0.1). The service filters by date
 * itself, because CDS Hooks tokens do no date arithmetic. Tokens are root-level context fields;
 * results are sorted newest first with `_sort=-date` (never the invalid `sort:desc=date`).
 *
 * Not a service definition: the registry skips files that do not export a default definition.
 */
import type { PrefetchTemplate } from '../src/cds/service-definition.js';

const loinc = (...codes: string[]): string => codes.map((c) => `http://loinc.org|${c}`).join(',');
const observations = (codes: string[], count: number): string =>
  `Observation?patient={{context.patientId}}&code=${loinc(...codes)}&_sort=-date&_count=${count}`;

const required = (template: string): PrefetchTemplate => ({ template, required: true });
const optional = (template: string): PrefetchTemplate => ({ template, required: false });

export const templates = {
  patient: required('Patient/{{context.patientId}}'),
  conditions: required('Condition?patient={{context.patientId}}'),
  weight: required(observations(['29463-7'], 3)),
  oxygenation: optional(observations(['59408-5', '2708-6', '2703-7'], 10)),
  pft: optional(observations(['19872-1', '19871-3', '20152-5', '98130-8', '19870-5', '20150-9', '19911-7'], 30)),
  labs: optional(observations(['2324-2', '6768-6', '4548-4', '59261-8', '2345-7', '14749-6', '2339-0'], 30)),
  bp: optional(observations(['85354-9'], 3)),
  meds: required('MedicationRequest?patient={{context.patientId}}&status=active,on-hold'),
  // Decision 18: completed and stopped orders, so the untreated-COP reminder sees past courses.
  medsHistory: optional('MedicationRequest?patient={{context.patientId}}&status=completed,stopped&_sort=-authoredon&_count=50'),
  pregnancy: optional(observations(['82810-3'], 1)),
  allergies: optional('AllergyIntolerance?patient={{context.patientId}}'),
  followUp: optional('ServiceRequest?patient={{context.patientId}}&code=http://loinc.org|81458-2&status=active,draft'),
  // encounterId is optional in every hook: when the EHR has none it leaves the key out (R-PF-06).
  encounter: optional('Encounter/{{context.encounterId}}'),
} satisfies Record<string, PrefetchTemplate>;
