/**
 * Requests shaped like the CDS Hooks 2.0 specification's and hook library's own examples (the
 * shapes, rewritten as this project's data): what a conformant EHR may legally send must be read.
 */
import { describe, expect, it } from 'vitest';
import { noFhirFallback } from '../../src/cds/fhir-fallback.js';
import { defaultConfig } from '../../src/config.js';
import { basePrefetch, searchset } from '../fixtures/requests.js';
import { expectWellFormed, ruleIds } from './cards-contract.js';
import { useApp } from './harness.js';

// The examples name https://ehr.example.org/fhir: allowed here, and never called (no fetching).
const { http } = useApp({ fhir: { ...defaultConfig().fhir, allowlist: ['https://ehr.example.org/fhir'] } }, { fhirFallback: noFhirFallback });

const nutritionOrder = {
  resourceType: 'NutritionOrder',
  id: 'pureed-diet',
  status: 'draft',
  patient: { reference: 'Patient/pat-http-1' },
  dateTime: '2026-11-25',
  oralDiet: { type: [{ coding: [{ system: 'http://snomed.info/sct', code: '226211001', display: 'Pureed diet' }] }] },
};
const antibioticDraft = {
  resourceType: 'MedicationRequest',
  id: 'smart-MedicationRequest-103',
  status: 'draft',
  intent: 'order',
  subject: { reference: 'Patient/pat-http-1' },
  medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '617993', display: 'Amoxicillin 120 MG/ML' }] },
};

describe('order-select as the hook library shows it', () => {
  it('reads a draftOrders Bundle without Bundle.type, mixed order types, PractitionerRole user and an encounterId', async () => {
    const res = await http()
      .post('/cds-services/cop-order-select')
      .send({
        hook: 'order-select',
        hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
        fhirServer: 'https://ehr.example.org/fhir',
        context: {
          userId: 'PractitionerRole/123',
          patientId: 'pat-http-1',
          encounterId: '89284',
          selections: ['NutritionOrder/pureed-diet', 'MedicationRequest/smart-MedicationRequest-103'],
          draftOrders: { resourceType: 'Bundle', entry: [{ resource: nutritionOrder }, { resource: antibioticDraft }] },
        },
        prefetch: basePrefetch(),
      })
      .expect(200);
    expectWellFormed(res.body);
    // Neither selection is a COP treatment: nothing about dosing to say.
    for (const id of ['COP-R01', 'COP-R02', 'COP-R05', 'COP-R06', 'COP-R07']) expect(ruleIds(res.body)).not.toContain(id);
  });

  it('ignores prefetch keys it did not ask for, including a non-resource value like the spec\'s "user": "123"', async () => {
    const res = await http()
      .post('/cds-services/cop-order-select')
      .send({
        hook: 'order-select',
        hookInstance: 'hi-2',
        context: {
          userId: 'Practitioner/example',
          patientId: 'pat-http-1',
          selections: ['MedicationRequest/smart-MedicationRequest-103'],
          draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: antibioticDraft }] },
        },
        prefetch: { ...basePrefetch(), user: '123', 'hemoglobin-a1c': searchset() },
        extension: { 'org.example.timestamp': '2026-11-25T10:00:00Z' },
      })
      .expect(200);
    expectWellFormed(res.body);
  });
});

describe('patient-view as the specification shows it', () => {
  it('answers {"cards": []} when there is nothing to say', async () => {
    const res = await http()
      .post('/cds-services/cop-patient-view')
      .send({
        hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
        fhirServer: 'https://ehr.example.org/fhir',
        hook: 'patient-view',
        context: { userId: 'Practitioner/example', patientId: 'pat-http-1' },
        // No COP on record: every patient-view rule needs P-COP, so there is nothing to say.
        prefetch: { patient: basePrefetch().patient, conditions: searchset(), meds: searchset() },
      })
      .expect(200);
    expect(res.body).toEqual({ cards: [] });
  });

  it('answers 412 when the EHR sends no prefetch at all and FHIR fetching is not possible', async () => {
    const res = await http()
      .post('/cds-services/cop-patient-view')
      .send({ hookInstance: 'x', hook: 'patient-view', context: { userId: 'Practitioner/example', patientId: 'pat-http-1' } })
      .expect(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
