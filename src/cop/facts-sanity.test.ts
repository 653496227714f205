/**
 * No NaN, no Infinity, no Invalid Date can reach a rule: fast-check builds resources that pass the
 * FHIR validation (fhir/schemas.ts) but carry extreme numbers (0, negatives, denormals, 1e308),
 * impossible or far-off dates (2026-02-30, year 0050, 9999) and odd timings (frequency 0, period
 * 1e-320), then walks the facts, the findings of every service's rules and the rendered cards.
 */
import type { Bundle, Dosage, Quantity, Resource } from 'fhir/r4.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import copOrderSelect from '../../hooks/cop-order-select.js';
import copOrderSign from '../../hooks/cop-order-sign.js';
import copPatientView from '../../hooks/cop-patient-view.js';
import { NOW } from '../../test/fixtures/facts.js';
import { insanePaths } from '../../test/fixtures/finite.js';
import { ALL_DOMAINS_AVAILABLE, copCondition, emptyPool, LOINC, RXNORM, UCUM } from '../../test/fixtures/fhir.js';
import { resourceProblems } from '../fhir/schemas.js';
import { renderCard } from './cards.js';
import { evaluateRules } from './evaluate.js';
import { extractFacts } from './facts.js';
import type { ResourcePool } from './facts-types.js';
import { DEFAULT_THRESHOLDS } from './knowledge.js';
import type { HookName, Rule } from './rule-types.js';
import { RULES } from './rules/index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

const extreme = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, 1e-320, Number.MIN_VALUE, 1e-9, 20, 60, 70, 1e9, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: 0.001, max: 500, noNaN: true }),
);
const int = fc.oneof(fc.constantFrom(0, -1, 1, 2, 3, 2 ** 31, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER), fc.integer());
const date = fc.constantFrom(
  '2026-11-25', '2026-11-24T08:00:00Z', '2026-02-30', '2026-02-29', '2024-02-29', '2026-04-31', '2026-02-30T10:00:00Z',
  '2026-04-31T23:00:00-05:00', '2026-12-31T23:59:60Z', '0001-01-01', '0050-06-15', '0099-12-31T00:00:00Z', '1900', '2026',
  '2026-11', '9999-12-31', '9999-12-31T23:59:59+14:00', '1970-01-01T00:00:00Z', '2027-01-01', '1961-04-02',
);
const unit = fc.constantFrom('mg', 'g', 'kg', '[lb_av]', '{tbl}', '{pill}', 'TAB', '%', 'mm[Hg]', 'kPa', 'U/L', 'mg/dL', 'mmol/L', 'd', 'wk', 'mo', 'h', 'a', '');
const quantity = fc.record({ value: extreme, unit }, { requiredKeys: ['value'] }).map((q): Quantity => ({ ...q, system: UCUM, ...(q.unit ? { code: q.unit } : {}) }));
const periodUnit = fc.constantFrom('s', 'min', 'h', 'd', 'wk', 'mo', 'a');

const dosage: fc.Arbitrary<Dosage> = fc.record(
  {
    sequence: int,
    frequency: int,
    frequencyMax: int,
    period: extreme,
    periodUnit,
    boundsDuration: quantity,
    boundsPeriod: fc.record({ start: date, end: date }, { requiredKeys: [] }),
    dose: quantity,
    asNeeded: fc.boolean(),
  },
  { requiredKeys: ['dose', 'period', 'periodUnit'] },
).map((d) => ({
  ...(d.sequence !== undefined ? { sequence: d.sequence } : {}),
  ...(d.asNeeded ? { asNeededBoolean: true } : {}),
  timing: {
    repeat: {
      period: d.period,
      periodUnit: d.periodUnit as 'd',
      ...(d.frequency !== undefined ? { frequency: d.frequency } : {}),
      ...(d.frequencyMax !== undefined ? { frequencyMax: d.frequencyMax } : {}),
      ...(d.boundsDuration ? { boundsDuration: d.boundsDuration } : {}),
      ...(d.boundsPeriod ? { boundsPeriod: d.boundsPeriod } : {}),
    },
  },
  doseAndRate: [{ doseQuantity: d.dose }],
}));

const rxnorm = fc.constantFrom('312615', '312617', '198145', '198142', '259966', '197517', '359385', '200060', '197388', '904431', '21212', '8640', '999999');
const medicationRequest = fc.record({ id: fc.integer({ min: 0, max: 5 }), code: rxnorm, status: fc.constantFrom('active', 'draft', 'completed'), authoredOn: fc.option(date), dosages: fc.array(dosage, { maxLength: 3 }) })
  .map((m) => ({
    resourceType: 'MedicationRequest', id: `mr-${m.id}`, status: m.status, intent: 'order', subject: { reference: 'Patient/pat-1' },
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: m.code }], text: `drug ${m.code}` },
    ...(m.authoredOn ? { authoredOn: m.authoredOn } : {}),
    dosageInstruction: m.dosages,
  }) as Resource);
const medicationStatement = fc.record({ code: rxnorm, start: date, dosages: fc.array(dosage, { maxLength: 2 }) })
  .map((m) => ({
    resourceType: 'MedicationStatement', id: `ms-${m.code}`, status: 'active', subject: { reference: 'Patient/pat-1' },
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: m.code }] }, effectiveDateTime: m.start, dosage: m.dosages,
  }) as Resource);

const loinc = fc.constantFrom('29463-7', '3141-9', '59408-5', '2708-6', '2703-7', '19868-9', '19872-1', '19871-3', '19870-5', '20150-9', '19911-7', '2324-2', '6768-6', '4548-4', '2345-7', '1558-6', '85354-9', '8480-6', '8462-4', '82810-3', '3151-8');
const observation = fc.record({ id: fc.integer({ min: 0, max: 30 }), code: loinc, value: quantity, high: fc.option(quantity), date, components: fc.array(fc.tuple(loinc, quantity), { maxLength: 2 }) })
  .map((o) => ({
    resourceType: 'Observation', id: `obs-${o.id}`, status: 'final', code: { coding: [{ system: LOINC, code: o.code }] },
    subject: { reference: 'Patient/pat-1' }, effectiveDateTime: o.date, valueQuantity: o.value,
    ...(o.high ? { referenceRange: [{ high: o.high }] } : {}),
    ...(o.components.length > 0 ? { component: o.components.map(([c, v]) => ({ code: { coding: [{ system: LOINC, code: c }] }, valueQuantity: v })) } : {}),
  }) as Resource);
const condition = fc.record({ code: fc.constantFrom('J84.116', 'J84.89', 'C34.90', 'M81.0', 'E11.9', 'O09.90', 'Z85.118'), onset: date, recorded: date })
  .map((c) => ({ ...copCondition({ code: c.code }), id: `c-${c.code}`, onsetDateTime: c.onset, recordedDate: c.recorded }) as Resource);
const serviceRequest = fc.record({ loinc, occurrence: date, authoredOn: date })
  .map((s) => ({ resourceType: 'ServiceRequest', id: `sr-${s.loinc}`, status: 'active', intent: 'order', subject: { reference: 'Patient/pat-1' }, code: { coding: [{ system: LOINC, code: s.loinc }] }, occurrenceDateTime: s.occurrence, authoredOn: s.authoredOn }) as Resource);

const scenario = fc.record({
  birthDate: fc.option(date),
  gender: fc.constantFrom('male', 'female', 'unknown'),
  observations: fc.array(observation, { maxLength: 10 }),
  conditions: fc.array(condition, { maxLength: 3 }),
  active: fc.array(medicationRequest, { maxLength: 3 }),
  statements: fc.array(medicationStatement, { maxLength: 2 }),
  drafts: fc.array(medicationRequest, { minLength: 1, maxLength: 2 }),
  serviceRequests: fc.array(serviceRequest, { maxLength: 2 }),
});

/** Only what the pipeline lets through: resources that pass validation where the service reads them. */
const valid = <T extends Resource>(resources: T[]): T[] => resources.filter((r) => resourceProblems(r).length === 0);

const SERVICES: { hook: HookName; rules: Rule[] }[] = [copOrderSelect, copOrderSign, copPatientView].map((s) => ({
  hook: s.hook,
  rules: s.rules.map((id) => RULES[id]).filter((r): r is Rule => r !== undefined),
}));

describe('numeric and date sanity of facts, findings and cards', () => {
  it('never produces NaN, Infinity or an Invalid Date, and no rule throws', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const drafts = valid(s.drafts.map((d, i) => ({ ...d, id: `draft-${i}`, status: 'draft' }) as Resource));
        const pool: ResourcePool = emptyPool({
          patient: { resourceType: 'Patient', id: 'pat-1', gender: s.gender as 'male', ...(s.birthDate ? { birthDate: s.birthDate } : {}) },
          observations: valid(s.observations) as ResourcePool['observations'],
          conditions: valid([copCondition(), ...s.conditions]) as ResourcePool['conditions'],
          medicationRequests: valid(s.active) as ResourcePool['medicationRequests'],
          medicationStatements: valid(s.statements) as ResourcePool['medicationStatements'],
          serviceRequests: valid(s.serviceRequests) as ResourcePool['serviceRequests'],
          domains: ALL_DOMAINS_AVAILABLE,
        });
        if (resourceProblems(pool.patient!).length > 0) delete pool.patient;
        const draftOrders: Bundle = { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) };
        const facts = extractFacts(pool, { patientId: 'pat-1', selections: drafts.slice(0, 1).map((d) => `MedicationRequest/${d.id}`), draftOrders }, NOW, DEFAULT_THRESHOLDS);
        expect(insanePaths(facts, 'facts')).toEqual([]);
        for (const { hook, rules } of SERVICES) {
          const findings = evaluateRules(rules, facts, { hook, now: NOW, thresholds: DEFAULT_THRESHOLDS, formulary: 'us', medicationRequestIntent: 'order' });
          const cards = findings.map((f) => renderCard(f, { newId: () => 'id' }));
          expect(insanePaths(findings, `${hook}.findings`)).toEqual([]);
          expect(insanePaths(cards, `${hook}.cards`)).toEqual([]);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
