/**
 * Decisions 14 (a renewal is not a duplicate) and 17 (pulse therapy) from FHIR:
 * every scenario is built as resources and goes through extractFacts, so what is checked is what
 * the service would put on a card.
 */
import type { CodeableConcept, MedicationRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { context, daysAgo, NOW } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { birthDateForAge, bundle, copCondition, dailyMg, emptyPool, medicationRequest, patient, weight } from '../../../test/fixtures/fhir.js';
import { extractFacts } from '../facts.js';
import type { ResourcePool } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import { medicationFactFromRequest } from '../extract/medication-record.js';
import type { Finding, Rule } from '../rule-types.js';
import { medicationRequestIdOf } from './renewal.js';
import { r04 } from './r04-existing-glucocorticoid.js';
import { r05 } from './r05-dose-check.js';
import { r10 } from './r10-bone-protection.js';
import { r11 } from './r11-adrenal-suppression.js';
import { r14 } from './r14-follow-up.js';
import { r17 } from './r17-prolonged-therapy.js';

const IV: CodeableConcept = { coding: [{ system: 'http://snomed.info/sct', code: '47625008', display: 'Intravenous route' }] };

/** An adult COP patient with a fresh 60 kg weight and the given active orders. */
const copPatient = (medicationRequests: MedicationRequest[] = []): ResourcePool =>
  emptyPool({
    patient: patient({ birthDate: birthDateForAge(54), gender: 'male' }),
    conditions: [copCondition({ id: 'cop1', recordedDate: daysAgo(250) })],
    observations: [weight(60, 'kg', 5, { id: 'w1' })],
    medicationRequests,
  });

const signed = (rule: Rule, pool: ResourcePool, drafts: MedicationRequest[]): Finding | undefined =>
  rule.evaluate(extractFacts(pool, { patientId: 'pat-1', selections: [], draftOrders: bundle(drafts) }, NOW, DEFAULT_THRESHOLDS), context('order-sign'));

/** Active prednisone 10 mg/day since 200 days ago. */
const activePred = (): MedicationRequest =>
  medicationRequest({ id: 'active-pred', rxnorm: '198145', display: 'prednisone 10 MG Oral Tablet', authoredOn: daysAgo(200), dosages: [dailyMg(10)] });

/** A prednisone draft renewing `prior` (null: no priorPrescription). */
const renewalDraft = (mg: number, days: number, prior: string | null = 'MedicationRequest/active-pred'): MedicationRequest => ({
  ...medicationRequest({ id: 'renewal', rxnorm: '198145', display: 'prednisone 10 MG Oral Tablet', status: 'draft', dosages: [dailyMg(mg, { boundsDays: days })] }),
  ...(prior ? { priorPrescription: { reference: prior } } : {}),
});

/** IV methylprednisolone (RxNorm IN 6902) `mg` mg once daily, for `days` days when given. */
const methylpredIv = (mg: number, days?: number): MedicationRequest =>
  medicationRequest({
    id: 'mp-pulse', rxnorm: '6902', display: 'methylprednisolone', status: 'draft',
    dosages: [dailyMg(mg, { route: IV, ...(days !== undefined ? { boundsDays: days } : {}) })],
  });

const oralPred = (mg: number, days: number): MedicationRequest =>
  medicationRequest({ id: 'oral-pred', rxnorm: '312617', display: 'prednisone 5 MG Oral Tablet', status: 'draft', dosages: [dailyMg(mg, { boundsDays: days })] });

describe('priorPrescription (decision 14)', () => {
  it.each([
    ['MedicationRequest/active-pred', 'active-pred'],
    ['https://ehr.example.org/fhir/MedicationRequest/active-pred', 'active-pred'],
    ['http://ehr.example.org/r4/MedicationRequest/a.b-1/_history/2', 'a.b-1'],
    [' MedicationRequest/active-pred ', 'active-pred'],
    ['MedicationStatement/active-pred', undefined],
    ['#active-pred', undefined],
    ['MedicationRequest/..', undefined],
    ['MedicationRequest/', undefined],
    ['fhir/MedicationRequest/active-pred', undefined],
    ['urn:uuid:0b5e5f1c-1f0e-4a5e-9a35-3e2f5a1c9d10', undefined],
    [undefined, undefined],
  ])('%j names MedicationRequest %j', (reference, id) => {
    expect(medicationRequestIdOf(reference)).toBe(id);
  });

  it('is read into the MedicationFact as written', () => {
    expect(medicationFactFromRequest(renewalDraft(10, 28, 'https://ehr.example.org/fhir/MedicationRequest/active-pred')).priorPrescription)
      .toBe('https://ehr.example.org/fhir/MedicationRequest/active-pred');
    expect(medicationFactFromRequest(renewalDraft(10, 28, null)).priorPrescription).toBeUndefined();
  });
});

describe('a renewal of the active prednisone, signed (decision 14)', () => {
  const pool = () => copPatient([activePred()]);

  it('COP-R04: not a duplicate; the same draft without priorPrescription is one', () => {
    expect(signed(r04, pool(), [renewalDraft(10, 28)])).toBeUndefined();
    expect(signed(r04, pool(), [renewalDraft(10, 28, 'https://ehr.example.org/fhir/MedicationRequest/active-pred')])).toBeUndefined();
    expect(signed(r04, pool(), [renewalDraft(10, 28, null)])?.indicator).toBe('warning');
  });

  it('COP-R14: not a first order', () => {
    expect(signed(r14, pool(), [renewalDraft(10, 28)])).toBeUndefined();
  });

  it('COP-R05: checks the new dose (80 mg/day above the cap) and names the order renewed', () => {
    const f = signed(r05, pool(), [renewalDraft(80, 28)]);
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.detail[0]).toContain(`Renews prednisone 10 MG Oral Tablet (since ${daysAgo(200)}`);
  });

  it('COP-R17: judges the renewal\'s planned end against the start of the course it continues', () => {
    // Course started 200 days ago: 12 months end 165 days from today.
    const f = signed(r17, pool(), [renewalDraft(10, 200)]);
    expectWellFormed(f);
    expect(f.detail[0]).toBe(`The renewal of prednisone is planned to end on ${daysAgo(-200)} (in 7 months), more than 12 months after the course began on ${daysAgo(200)} (7 months ago).`);
    expect(signed(r17, pool(), [renewalDraft(10, 120)])).toBeUndefined();
  });
});

describe('pulse therapy (decision 17): IV methylprednisolone 500 mg daily x 3 days', () => {
  it('COP-R05 info "pulse therapy" instead of "625 mg/day above the 60 mg cap"', () => {
    const f = signed(r05, copPatient(), [methylpredIv(500, 3)]);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toMatch(/^Pulse therapy: methylprednisolone 500 mg\/day \(625 mg\/day PredEq\) for 3 days/);
    expect(f.detail.join('\n')).not.toContain('above the 60 mg/day cap');
  });

  it('COP-R10 and COP-R11: a pulse alone is neither a > 3-month course nor > 40 mg/day for > 1 week', () => {
    expect(signed(r10, copPatient(), [methylpredIv(500, 3)])).toBeUndefined();
    expect(signed(r11, copPatient(), [methylpredIv(500, 3)])).toBeUndefined();
  });

  it('no stated duration: not a pulse, so the cap warning says the duration is unknown', () => {
    const f = signed(r05, copPatient(), [methylpredIv(500)]);
    expect(f?.indicator).toBe('warning');
    expect(f?.summary).toContain('above the 60 mg/day cap; duration unknown');
    expect(signed(r10, copPatient(), [methylpredIv(500)])).toBeDefined();
  });

  it('drafted with the oral course that follows: COP-R10 and COP-R11 judge the oral course', () => {
    const drafts = [methylpredIv(500, 3), oralPred(45, 28)];
    const r10Finding = signed(r10, copPatient(), drafts);
    expectWellFormed(r10Finding);
    // The oral course is what qualifies: the data line names it, not the pulse.
    expect(r10Finding.evidence.map((e) => `${e.label} ${e.value}`)).toEqual(['Drafted prednisone 45 mg/day, 4 weeks', 'Age 54']);
    const r11Finding = signed(r11, copPatient(), drafts);
    expectWellFormed(r11Finding);
    expect(r11Finding.detail[0]).toContain('drafted 45 mg/day for 4 weeks');
    expect(r05.evaluate(extractFacts(copPatient(), { patientId: 'pat-1', selections: [], draftOrders: bundle(drafts) }, NOW, DEFAULT_THRESHOLDS), context('order-sign'))?.indicator).toBe('info');
  });
});
