/**
 * What a medication is, read through medicationFactFromRequest: classes and glucocorticoid
 * ingredient from codes and names, systemic or local route, the name, a contained Medication.
 */
import type { Medication } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import {
  ATC, dailyMg, dosage, medicationRequest, RXNORM, SNOMED,
} from '../../../test/fixtures/fhir.js';
import { medicationFactFromRequest } from './medication-record.js';

describe('classification', () => {
  it('recognises prednisone SCDs as systemic glucocorticoids', () => {
    const fact = medicationFactFromRequest(medicationRequest({ rxnorm: '198145', dosages: [dailyMg(10)] }));
    expect(fact.classes).toEqual(['systemic-glucocorticoid']);
    expect(fact.glucocorticoid).toBe('prednisone');
    expect(fact.rxnormCodes).toEqual(['198145']);
    expect(fact.name).toBe('198145');
  });

  it('recognises ingredient codes and ATC H02AB', () => {
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '6902' })).glucocorticoid).toBe('methylprednisolone');
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '8638' })).glucocorticoid).toBe('prednisolone');
    const atcOnly = medicationFactFromRequest(medicationRequest({ codings: [{ system: ATC, code: 'H02AB99' }] }));
    expect(atcOnly.classes).toContain('systemic-glucocorticoid');
    expect(atcOnly.glucocorticoid).toBeUndefined();
  });

  it('recognises dexamethasone and hydrocortisone by name (no confirmed code)', () => {
    const dex = medicationFactFromRequest(medicationRequest({ text: 'Dexamethasone 4 mg tablet', dosages: [dailyMg(4)] }));
    expect(dex.glucocorticoid).toBe('dexamethasone');
    expect(dex.dailyDose?.prednisoneEquivalentMgPerDay).toBeCloseTo(26.68, 2);
  });

  it('does not confuse prednisone, prednisolone and methylprednisolone names', () => {
    expect(medicationFactFromRequest(medicationRequest({ text: 'methylprednisolone 4 mg' })).glucocorticoid).toBe('methylprednisolone');
    expect(medicationFactFromRequest(medicationRequest({ text: 'prednisolone 5 mg' })).glucocorticoid).toBe('prednisolone');
  });

  it.each([
    ['inhaled route text', { text: 'prednisolone', route: { text: 'Inhalation' } }],
    ['nasal spray name', { text: 'hydrocortisone nasal spray' }],
    ['topical cream name', { text: 'Hydrocortisone 1% Topical Cream' }],
    ['eye drops', { text: 'Prednisolone acetate 1% eye-drops' }],
    ['rectal foam', { text: 'hydrocortisone rectal foam' }],
    ['ophthalmic route display', { text: 'prednisolone', route: { coding: [{ system: SNOMED, code: '1', display: 'Ophthalmic route' }] } }],
  ])('excludes local forms from P-GC-SYSTEMIC: %s', (_label, opts) => {
    const fact = medicationFactFromRequest(
      medicationRequest({ text: opts.text, dosages: [dosage({ ...('route' in opts ? { route: opts.route } : {}) })] }),
    );
    expect(fact.classes).not.toContain('systemic-glucocorticoid');
    expect(fact.glucocorticoid).toBeUndefined();
  });

  it('keeps oral and IV routes systemic', () => {
    const iv = medicationFactFromRequest(medicationRequest({ rxnorm: '6902', dosages: [dosage({ route: { text: 'Intravenous' } })] }));
    expect(iv.classes).toContain('systemic-glucocorticoid');
  });

  it('classifies clarithromycin, MMF, azathioprine, rituximab, bone drugs', () => {
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '197517' })).classes.sort()).toEqual(['clarithromycin', 'macrolide']);
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '359385' })).classes).toContain('clarithromycin');
    expect(medicationFactFromRequest(medicationRequest({ codings: [{ system: ATC, code: 'J01FA09' }] })).classes).toContain('clarithromycin');
    expect(medicationFactFromRequest(medicationRequest({ codings: [{ system: ATC, code: 'J01FA10' }] })).classes).toEqual(['macrolide']);
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '200060' })).classes).toEqual(['mycophenolate']);
    expect(medicationFactFromRequest(medicationRequest({ codings: [{ system: ATC, code: 'L04AA06' }] })).classes).toEqual(['mycophenolate']);
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '197388' })).classes).toEqual(['azathioprine']);
    expect(medicationFactFromRequest(medicationRequest({ codings: [{ system: ATC, code: 'L01XC02' }] })).classes).toEqual(['rituximab']);
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '904431' })).classes).toEqual(['bisphosphonate']);
    expect(medicationFactFromRequest(medicationRequest({ codings: [{ system: ATC, code: 'M05BX04' }] })).classes).toEqual(['bisphosphonate']);
    expect(medicationFactFromRequest(medicationRequest({ codings: [{ system: ATC, code: 'A12AX' }] })).classes).toEqual(['calcium-vitamin-d']);
    expect(medicationFactFromRequest(medicationRequest({ codings: [{ system: RXNORM, code: '2418' }] })).classes).toEqual(['calcium-vitamin-d']);
  });

  it('flags clarithromycin-interacting drugs by confirmed ingredient code or by name', () => {
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '36567' })).classes).toEqual(['clarithromycin-interacting']);
    expect(medicationFactFromRequest(medicationRequest({ text: 'Simvastatin 40 MG Oral Tablet' })).classes).toEqual(['clarithromycin-interacting']);
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '999', display: 'colchicine 0.6 MG Oral Tablet' })).classes).toEqual(['clarithromycin-interacting']);
    expect(medicationFactFromRequest(medicationRequest({ text: 'Dihydroergotamine nasal spray' })).classes).toEqual(['clarithromycin-interacting']);
    expect(medicationFactFromRequest(medicationRequest({ text: 'atorvastatin 20 mg' })).classes).toEqual([]);
  });

  it('takes the name from text, else the first display, else the code', () => {
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '312615', display: 'prednisone 20 MG Oral Tablet' })).name).toBe('prednisone 20 MG Oral Tablet');
    expect(medicationFactFromRequest(medicationRequest({ rxnorm: '312615', text: 'Prednisone 20mg' })).name).toBe('Prednisone 20mg');
    const unnamed = medicationFactFromRequest(medicationRequest({}));
    expect(unnamed.name).toBe('medication not identified');
    expect(unnamed.identifiedBy).toBe('none');
  });

  it('reads a contained Medication', () => {
    const mr = medicationRequest({ id: 'c1' });
    delete mr.medicationCodeableConcept;
    const med: Medication = { resourceType: 'Medication', id: 'med', code: { coding: [{ system: RXNORM, code: '312617' }] } };
    mr.contained = [med];
    mr.medicationReference = { reference: '#med' };
    mr.dosageInstruction = [dosage({ dose: { value: 2, unit: '{tbl}', system: 'http://unitsofmeasure.org', code: '{tbl}' }, frequency: 1, period: 1, periodUnit: 'd' })];
    const fact = medicationFactFromRequest(mr);
    expect(fact.glucocorticoid).toBe('prednisone');
    expect(fact.dailyDose?.mgPerDay).toBe(10);
  });
});
