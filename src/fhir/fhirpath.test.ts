import type { AllergyIntolerance, Observation } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { allergyCodings, allergyTexts, componentQuantities, interpretationCodes, referenceRangeHighs, routeOf, valueCodings, V3_INTERPRETATION } from './fhirpath.js';

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
