import fc from 'fast-check';
import type { AllergyIntolerance, MedicationRequest, MedicationStatement, Observation } from 'fhir/r4.js';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';
import { describe, expect, it } from 'vitest';
import {
  ACCESSOR_EXPRESSIONS, allergyCodings, allergyTexts, componentQuantities, interpretationCodes, referenceRangeHighs, routeOf, valueCodings,
  V3_INTERPRETATION,
} from './fhirpath.js';

const LOINC = 'http://loinc.org';

describe('compiled fhirpath accessors', () => {
  const obs: Observation = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '59408-5' }] },
    valueQuantity: { value: 95, unit: '%' },
    component: [
      { code: { coding: [{ system: LOINC, code: '3151-8' }] }, valueQuantity: { value: 2, unit: 'L/min' } },
      { code: { coding: [{ system: LOINC, code: '3150-0' }] }, valueQuantity: { value: 28, unit: '%' } },
    ],
    referenceRange: [{ low: { value: 1 } }, { high: { value: 55, unit: 'U/L' } }],
    interpretation: [{ coding: [{ system: V3_INTERPRETATION, code: 'H' }, { system: 'http://other', code: 'X' }] }],
  };

  it('finds component quantities by code', () => {
    expect(componentQuantities(obs, LOINC, '3151-8')).toEqual([{ value: 2, unit: 'L/min' }]);
    expect(componentQuantities(obs, LOINC, '8480-6')).toEqual([]);
  });

  it('reads reference-range highs and interpretation codes', () => {
    expect(referenceRangeHighs(obs)).toEqual([{ value: 55, unit: 'U/L' }]);
    expect(interpretationCodes(obs)).toEqual(['H']);
  });

  it('does not modify the resource it reads', () => {
    const before = JSON.stringify(obs);
    componentQuantities(obs, LOINC, '3151-8');
    expect(JSON.stringify(obs)).toBe(before);
  });

  it('reads valueCodeableConcept codings', () => {
    const preg: Observation = { resourceType: 'Observation', status: 'final', code: {}, valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '77386006' }] } };
    expect(valueCodings(preg)).toEqual([{ system: 'http://snomed.info/sct', code: '77386006' }]);
  });

  it('reads allergen codings and texts, including reaction substances', () => {
    const a: AllergyIntolerance = {
      resourceType: 'AllergyIntolerance',
      patient: { reference: 'Patient/p' },
      code: { text: 'Erythromycin' },
      reaction: [{ substance: { coding: [{ system: 'http://www.whocc.no/atc', code: 'J01FA01', display: 'erythromycin' }] }, manifestation: [{ text: 'rash' }] }],
    };
    expect(allergyCodings(a).map((c) => c.code)).toEqual(['J01FA01']);
    expect(allergyTexts(a)).toEqual(expect.arrayContaining(['Erythromycin', 'erythromycin']));
  });

  it('reads routes of requests and statements', () => {
    const route = { coding: [{ system: 'http://snomed.info/sct', code: '00000', display: 'Inhalation' }], text: 'inhaled' };
    expect(routeOf({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: {}, dosageInstruction: [{ route }] }).texts).toEqual(['inhaled', 'Inhalation']);
    expect(routeOf({ resourceType: 'MedicationStatement', status: 'active', subject: {}, dosage: [{ route }] }).codings).toHaveLength(1);
  });
});

describe('plain-walk accessors agree with their FHIRPath expressions', () => {
  // Small pools, so matches, misses and duplicate texts all occur.
  const system = fc.constantFrom(LOINC, 'http://snomed.info/sct', V3_INTERPRETATION, undefined);
  const code = fc.constantFrom('3151-8', '8480-6', 'H', 'N', undefined);
  const text = fc.constantFrom('oral', 'Oral', 'inhaled', 'by mouth', undefined);
  const coding = fc.record({ system, code, display: text }, { requiredKeys: [] });
  const concept = fc.record({ coding: fc.array(coding, { maxLength: 3 }), text }, { requiredKeys: [] });
  const quantity = fc.record({ value: fc.integer({ min: 0, max: 200 }), unit: fc.constantFrom('mm[Hg]', 'L/min', '%') });
  const component = fc.record(
    { code: concept, valueQuantity: quantity, valueString: fc.constant('n/a') },
    { requiredKeys: ['code'] },
  );
  const observation = fc.record(
    {
      component: fc.array(component, { maxLength: 4 }),
      referenceRange: fc.array(fc.record({ low: quantity, high: quantity }, { requiredKeys: [] }), { maxLength: 3 }),
      interpretation: fc.array(concept, { maxLength: 2 }),
      valueCodeableConcept: concept,
    },
    { requiredKeys: [] },
  ).map((parts) => ({ resourceType: 'Observation', status: 'final', code: {}, ...parts }) as Observation);
  const dosage = fc.record({ route: concept, text }, { requiredKeys: [] });
  const request = fc.array(dosage, { maxLength: 3 }).map(
    (dosageInstruction) => ({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: {}, dosageInstruction }) as MedicationRequest,
  );
  const statement = fc.array(dosage, { maxLength: 3 }).map(
    (d) => ({ resourceType: 'MedicationStatement', status: 'active', subject: {}, dosage: d }) as MedicationStatement,
  );
  // JSON round trip: fhirpath and the walk both see what a parsed request body holds (no undefined keys).
  const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  const evaluate = (expression: string, resource: unknown, env: Record<string, string> = {}): unknown =>
    fhirpath.evaluate(resource as object, expression, env, r4model);

  it('Observation accessors', () => {
    fc.assert(
      fc.property(observation, fc.constantFrom('3151-8', '8480-6'), (raw, wanted) => {
        const obs = json(raw);
        expect(componentQuantities(obs, LOINC, wanted)).toEqual(evaluate(ACCESSOR_EXPRESSIONS.componentQuantities, obs, { system: LOINC, code: wanted }));
        expect(referenceRangeHighs(obs)).toEqual(evaluate(ACCESSOR_EXPRESSIONS.referenceRangeHighs, obs));
        expect(interpretationCodes(obs)).toEqual(evaluate(ACCESSOR_EXPRESSIONS.interpretationCodes, obs, { system: V3_INTERPRETATION }));
        expect(valueCodings(obs)).toEqual(evaluate(ACCESSOR_EXPRESSIONS.valueCodings, obs));
      }),
      { numRuns: 500, seed: 20261125 },
    );
  });

  it('route accessors of requests and statements', () => {
    fc.assert(
      fc.property(fc.oneof(request, statement), (raw) => {
        const med = json(raw);
        const [texts, codings] = med.resourceType === 'MedicationRequest'
          ? [ACCESSOR_EXPRESSIONS.requestRouteTexts, ACCESSOR_EXPRESSIONS.requestRouteCodings]
          : [ACCESSOR_EXPRESSIONS.statementRouteTexts, ACCESSOR_EXPRESSIONS.statementRouteCodings];
        expect(routeOf(med)).toEqual({ codings: evaluate(codings, med), texts: evaluate(texts, med) });
      }),
      { numRuns: 500, seed: 20261125 },
    );
  });
});
