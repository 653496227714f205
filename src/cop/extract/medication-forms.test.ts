/**
 * Decision 10: an order's drug is read from every form US Core allows (code, contained Medication,
 * external Medication, reference display), and an order nothing identifies is "unidentified",
 * never "no medication".
 */
import type { Medication, MedicationRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import {
  asContainedMedication, asExternalMedication, dailyMg, dosage, medicationRequest, medicationStatement, RXNORM, SNOMED,
} from '../../../test/fixtures/fhir.js';
import type { MedicationLookup } from './medication-identity.js';
import { medicationFactFromRequest, medicationFactFromStatement } from './medication-record.js';
import { strengthFromMedication } from './medication-strength.js';

const ORDERABLE_FORM = 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm';
const tablets = (n: number) => dosage({ dose: { value: n, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' }, frequency: 1, period: 1, periodUnit: 'd' });

const lookup = (medications: Record<string, Medication>, unresolved: Record<string, string> = {}): MedicationLookup => ({
  medications: new Map(Object.entries(medications)),
  unresolved: new Map(Object.entries(unresolved)),
});

/** What the rules read of a fact: everything but where the name came from. */
const clinical = (mr: MedicationRequest, l?: MedicationLookup) => {
  const { identifiedBy: _by, ...rest } = medicationFactFromRequest(mr, l ? { lookup: l } : {});
  return rest;
};

describe('medication identity from every US Core form', () => {
  const tidy = medicationRequest({ id: 'mr1', rxnorm: '198145', display: 'prednisone 10 MG Oral Tablet', dosages: [dailyMg(40)] });

  it('an external Medication/{id} gives the same fact as the code', () => {
    const { order, medication } = asExternalMedication(tidy);
    const fact = medicationFactFromRequest(order, { lookup: lookup({ [`Medication/${medication.id}`]: medication }) });
    expect(fact.identifiedBy).toBe('external');
    expect(clinical(order, lookup({ [`Medication/${medication.id}`]: medication }))).toEqual(clinical(tidy));
    expect(fact.classes).toEqual(['systemic-glucocorticoid']);
    expect(fact.dailyDose?.prednisoneEquivalentMgPerDay).toBe(40);
  });

  it('an absolute reference is looked up as written', () => {
    const { order, medication } = asExternalMedication(tidy, { reference: 'https://ehr.example.org/fhir/Medication/m9', id: 'm9' });
    const fact = medicationFactFromRequest(order, { lookup: lookup({ 'https://ehr.example.org/fhir/Medication/m9': medication }) });
    expect(fact.glucocorticoid).toBe('prednisone');
  });

  it('a contained Medication gives the same fact as the code', () => {
    const contained = asContainedMedication(tidy);
    expect(medicationFactFromRequest(contained).identifiedBy).toBe('contained');
    expect(clinical(contained)).toEqual(clinical(tidy));
  });

  it('an unresolved external reference falls back to its display (ingredient known, tablet strength not)', () => {
    const { order } = asExternalMedication(
      medicationRequest({ id: 'mr2', rxnorm: '198145', dosages: [tablets(4)] }),
      { display: 'predniSONE 10 mg tablet' },
    );
    const fact = medicationFactFromRequest(order);
    expect(fact.identifiedBy).toBe('display');
    expect(fact.name).toBe('predniSONE 10 mg tablet');
    expect(fact.glucocorticoid).toBe('prednisone');
    expect(fact.classes).toContain('systemic-glucocorticoid');
    // A name does not state the strength: 4 tablets stay an unknown dose, never a guess.
    expect(fact.dailyDose).toBeUndefined();
    expect(fact.doseUnknownReason).toMatch(/tablet strength is unknown/);
  });

  it('a reference nothing resolves and without display is unidentified, with the reason', () => {
    const { order } = asExternalMedication(tidy);
    const fact = medicationFactFromRequest(order, { lookup: lookup({}, { [order.medicationReference?.reference ?? '']: "its medication was not found on the EHR's FHIR server" }) });
    expect(fact.identifiedBy).toBe('none');
    expect(fact.name).toBe('medication not identified');
    expect(fact.unidentifiedReason).toBe("its medication was not found on the EHR's FHIR server");
    expect(fact.classes).toEqual([]);
  });

  it('a reference to a missing contained Medication is unidentified', () => {
    const mr: MedicationRequest = { ...tidy, medicationCodeableConcept: undefined, medicationReference: { reference: '#gone' } } as MedicationRequest;
    delete mr.medicationCodeableConcept;
    const fact = medicationFactFromRequest(mr);
    expect(fact.identifiedBy).toBe('none');
    expect(fact.unidentifiedReason).toMatch(/contained medication .* missing/);
  });

  it('a Medication with neither code nor ingredient identifies nothing', () => {
    const { order } = asExternalMedication(tidy);
    const fact = medicationFactFromRequest(order, { lookup: lookup({ [order.medicationReference?.reference ?? '']: { resourceType: 'Medication', id: 'x' } }) });
    expect(fact.identifiedBy).toBe('none');
  });

  it('MedicationStatements are read through references too', () => {
    const { order, medication } = asExternalMedication(medicationStatement({ id: 's1', rxnorm: '198145', dosages: [dailyMg(10)] }));
    const fact = medicationFactFromStatement(order, lookup({ [`Medication/${medication.id}`]: medication }));
    expect(fact.glucocorticoid).toBe('prednisone');
    expect(fact.identifiedBy).toBe('external');
  });

  it('a Medication coded locally is identified by its ingredient codes', () => {
    const medication: Medication = {
      resourceType: 'Medication', id: 'local',
      code: { coding: [{ system: 'urn:oid:1.2.3', code: 'X77' }], text: 'PDN TAB' },
      ingredient: [{ itemCodeableConcept: { coding: [{ system: RXNORM, code: '8640' }] }, strength: { numerator: { value: 5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' }, denominator: { value: 1, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' } } }],
    };
    const order: MedicationRequest = { resourceType: 'MedicationRequest', id: 'o', status: 'active', intent: 'order', subject: { reference: 'Patient/pat-1' }, medicationReference: { reference: 'Medication/local' }, dosageInstruction: [tablets(8)] };
    const fact = medicationFactFromRequest(order, { lookup: lookup({ 'Medication/local': medication }) });
    expect(fact.glucocorticoid).toBe('prednisone');
    expect(fact.dailyDose).toMatchObject({ mgPerDay: 40, prednisoneEquivalentMgPerDay: 40 });
  });
});

describe('the FHIR R4 specification prednisone example (medrx0303 shape)', () => {
  // A contained Medication coded SNOMED CT 373994007 "Prednisone 5mg tablet", dose 4 TAB daily.
  const medrx0303: MedicationRequest = {
    resourceType: 'MedicationRequest', id: 'medrx0303', status: 'active', intent: 'order',
    contained: [{ resourceType: 'Medication', id: 'med0311', code: { coding: [{ system: SNOMED, code: '373994007', display: 'Prednisone 5mg tablet (Product)' }] } } as Medication],
    medicationReference: { reference: '#med0311' },
    subject: { reference: 'Patient/pat-1' },
    authoredOn: '2015-01-15',
    dosageInstruction: [
      { sequence: 1, timing: { repeat: { boundsPeriod: { start: '2015-01-16', end: '2015-01-20' }, frequency: 1, period: 1, periodUnit: 'd' } }, route: { coding: [{ system: SNOMED, code: '26643006', display: 'Oral Route' }] }, doseAndRate: [{ doseQuantity: { value: 4, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' } }] },
      { sequence: 2, timing: { repeat: { boundsPeriod: { start: '2015-01-23', end: '2015-01-30' }, frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 2, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' } }] },
    ],
  };

  it('is prednisone 5 mg per tablet: 4 TAB daily = 20 mg/day', () => {
    const fact = medicationFactFromRequest(medrx0303);
    expect(fact.identifiedBy).toBe('contained');
    expect(fact.glucocorticoid).toBe('prednisone');
    expect(fact.classes).toContain('systemic-glucocorticoid');
    expect(fact.dailyDose).toMatchObject({ mgPerDay: 20, prednisoneEquivalentMgPerDay: 20 });
    expect(fact.dailyDose?.derivation).toBe('4 x 5 mg tablets once daily = 20 mg/day');
  });
});

describe('strength from Medication.ingredient and Medication.form', () => {
  const mg = (value: number, code = 'mg') => ({ value, unit: code, system: 'http://unitsofmeasure.org', code });
  const med = (strength: NonNullable<Medication['ingredient']>[number]['strength'], form?: Medication['form']): Medication => ({
    resourceType: 'Medication', id: 'm', code: { text: 'prednisolone tablets' }, ...(form ? { form } : {}),
    ingredient: [{ itemCodeableConcept: { text: 'prednisolone' }, ...(strength ? { strength } : {}) }],
  });

  it.each([
    ['5 mg per 1 TAB', med({ numerator: mg(5), denominator: { value: 1, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' } }), 5, 'tablet'],
    ['5 mg per 1 {tbl}', med({ numerator: mg(5), denominator: { value: 1, unit: '{tbl}', system: 'http://unitsofmeasure.org', code: '{tbl}' } }), 5, 'tablet'],
    ['25 mg per 5 tablets', med({ numerator: mg(25), denominator: { value: 5, unit: '{tablet}' } }), 5, 'tablet'],
    ['0.005 g per 1, form TAB', med({ numerator: mg(0.005, 'g'), denominator: { value: 1 } }, { coding: [{ system: ORDERABLE_FORM, code: 'TAB' }] }), 5, 'tablet'],
    ['5 mg per 1, form SNOMED oral tablet', med({ numerator: mg(5), denominator: { value: 1, unit: '1', system: 'http://unitsofmeasure.org', code: '1' } }, { coding: [{ system: SNOMED, code: '421026006' }] }), 5, 'tablet'],
    ['15 mg per 5 mL', med({ numerator: mg(15), denominator: { value: 5, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' } }), 3, 'mL'],
  ])('%s', (_label, medication, strengthMg, per) => {
    expect(strengthFromMedication(medication)).toMatchObject({ strengthMg, per });
  });

  it.each([
    ['no strength', med(undefined)],
    ['5 mg per 1 with no tablet form', med({ numerator: mg(5), denominator: { value: 1 } })],
    ['numerator not a mass', med({ numerator: { value: 5, unit: 'mL' }, denominator: { value: 1, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' } })],
    ['zero denominator', med({ numerator: mg(5), denominator: { value: 0, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' } })],
    ['numerator in a foreign system', med({ numerator: { value: 5, unit: 'mg', system: 'urn:local', code: 'mg' }, denominator: { value: 1, unit: '{tbl}' } })],
  ])('stays unknown: %s', (_label, medication) => {
    expect(strengthFromMedication(medication)).toBeUndefined();
  });

  it('two ingredients with strengths: only the glucocorticoid one is used, and only when it is the only one', () => {
    const combo: Medication = {
      resourceType: 'Medication', id: 'c', code: { text: 'combination' },
      ingredient: [
        { itemCodeableConcept: { text: 'prednisolone' }, strength: { numerator: mg(5), denominator: { value: 1, unit: '{tbl}' } } },
        { itemCodeableConcept: { text: 'calcium carbonate' }, strength: { numerator: mg(500), denominator: { value: 1, unit: '{tbl}' } } },
      ],
    };
    expect(strengthFromMedication(combo)).toBeUndefined();
    expect(strengthFromMedication(combo, 'prednisolone')).toMatchObject({ strengthMg: 5, per: 'tablet' });
  });

  it('a tablet dose of a referenced product with a stated strength becomes mg', () => {
    const medication = med({ numerator: mg(5), denominator: { value: 1, unit: 'TAB', system: ORDERABLE_FORM, code: 'TAB' } });
    const order: MedicationRequest = { resourceType: 'MedicationRequest', id: 'o', status: 'active', intent: 'order', subject: { reference: 'Patient/pat-1' }, medicationReference: { reference: 'Medication/m' }, dosageInstruction: [tablets(6)] };
    const fact = medicationFactFromRequest(order, { lookup: lookup({ 'Medication/m': medication }) });
    expect(fact.dailyDose).toMatchObject({ mgPerDay: 30, prednisoneEquivalentMgPerDay: 30 });
  });

  it('an oral solution dosed in mL with mg/mL strength becomes mg', () => {
    const medication = med({ numerator: mg(15), denominator: { value: 5, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' } });
    const order: MedicationRequest = {
      resourceType: 'MedicationRequest', id: 'o', status: 'active', intent: 'order', subject: { reference: 'Patient/pat-1' },
      medicationReference: { reference: 'Medication/m' },
      dosageInstruction: [dosage({ dose: { value: 10, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' }, frequency: 1, period: 1, periodUnit: 'd' })],
    };
    expect(medicationFactFromRequest(order, { lookup: lookup({ 'Medication/m': medication }) }).dailyDose).toMatchObject({ mgPerDay: 30 });
  });
});
