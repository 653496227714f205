import type { ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { createdResource } from '../../../test/fixtures/findings.js';
import { activePrednisone, baseFacts, clarithromycinDraft, context, daysAgo, facts, NOW, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts, ServiceRequestFact } from '../facts-types.js';
import { isBookedReview, r14 } from './r14-follow-up.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const sign = context('order-sign');


function withDrafts(drafts: MedicationFact[], overrides: Partial<PatientFacts> = {}): PatientFacts {
  return facts({ medications: { ...baseFacts().medications, drafts }, ...overrides });
}

const inDays = (n: number) => daysAgo(-n);

function request(overrides: Partial<ServiceRequestFact> = {}): ServiceRequestFact {
  return { status: 'active', codes: [{ system: 'http://loinc.org', code: '81458-2' }], occurrence: inDays(20), draft: false, ...overrides };
}

const resources = (f: ReturnType<typeof r14.evaluate>): ServiceRequest[] =>
  [0, 1].map((action) => createdResource<ServiceRequest>(f, 0, action));

describe('COP-R14 follow-up: when', () => {
  it('first GC order for COP at order-sign → info card', () => {
    const f = r14.evaluate(withDrafts([prednisoneDraft()]), sign);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('Schedule clinical review with spirometry, DLCO and chest imaging at ~6 weeks.');
    expect(f.citations).toEqual(['COP-CDS-REVIEW']);
  });

  it('a first clarithromycin order counts too', () => {
    expect(r14.evaluate(withDrafts([clarithromycinDraft()]), sign)).toBeDefined();
  });

  it('not on other hooks, not without a COP treatment draft, not without P-COP', () => {
    expect(r14.evaluate(withDrafts([prednisoneDraft()]), context('patient-view'))).toBeUndefined();
    expect(r14.evaluate(withDrafts([prednisoneDraft()]), context('order-select'))).toBeUndefined();
    expect(r14.evaluate(withDrafts([]), sign)).toBeUndefined();
    const noCop = withDrafts([prednisoneDraft()]);
    expect(r14.evaluate({ ...noCop, cop: { ...noCop.cop, present: false } }, sign)).toBeUndefined();
  });

  it('a continuation (GC already active) is not a first order', () => {
    const f = withDrafts([prednisoneDraft()]);
    expect(r14.evaluate({ ...f, medications: { ...f.medications, active: [activePrednisone()] } }, sign)).toBeUndefined();
  });

  it('no internal notes on the card (decision 19)', () => {
    const f = r14.evaluate(withDrafts([prednisoneDraft()]), sign)!;
    expect(f.detail.join('\n')).not.toMatch(/sign-off|unconfirmed|BTS/);
    expect(f.detail).toEqual(['First COP treatment, no respiratory review booked: suggested for 2027-01-06 (in 6 weeks).', 'Response is judged on symptoms, lung function and imaging; no guideline sets the interval.']);
    expect(f.detail.join('\n')).not.toMatch(/local default|confirmed code/); // decision 19: on the evidence page instead
    expect(r14.background?.join(' ')).toContain('The 6-week interval is a local default (4–8 weeks), not a guideline recommendation');
    expect(f.evidence.at(-1)).toEqual({ label: 'Respiratory review', value: 'none booked' });
  });

  describe('a renewal is not a first order (decision 14)', () => {
    const renewal = prednisoneDraft({ priorPrescription: 'MedicationRequest/active-pred' });
    it('renewing the active prednisone → no card', () => {
      const f = withDrafts([renewal]);
      expect(r14.evaluate({ ...f, medications: { ...f.medications, active: [activePrednisone()] } }, sign)).toBeUndefined();
    });
    it('renewing an active order whose drug could not be identified → no card (the course has started)', () => {
      const unidentified = activePrednisone({ name: 'medication not identified', identifiedBy: 'none', classes: [], glucocorticoid: undefined, rxnormCodes: [], dailyDose: undefined });
      const f = withDrafts([renewal]);
      expect(r14.evaluate({ ...f, medications: { ...f.medications, active: [unidentified] } }, sign)).toBeUndefined();
      // the same draft without priorPrescription is still a first order
      expect(r14.evaluate({ ...f, medications: { ...f.medications, active: [unidentified], drafts: [prednisoneDraft()] } }, sign)).toBeDefined();
    });
    it('a priorPrescription naming no active order does not make it a renewal', () => {
      const f = withDrafts([prednisoneDraft({ priorPrescription: 'MedicationRequest/completed-long-ago' })]);
      expect(r14.evaluate(f, sign)).toBeDefined();
    });
  });
});

describe('COP-R14 follow-up: an existing review', () => {
  it.each([
    ['a future PFT panel', request(), true],
    ['a PFT panel today', request({ occurrence: daysAgo(0) }), true],
    ['a drafted future review by text', request({ codes: [], text: 'Respiratory clinic review', draft: true, status: 'draft' }), true],
    ['a review named only in the code display', request({ codes: [{ code: 'X1', display: 'Follow-up visit' }] }), true],
    ['a past PFT panel', request({ occurrence: daysAgo(1) }), false],
    ['a PFT panel with no date', request({ occurrence: undefined }), false],
    ['a revoked future review', request({ status: 'revoked' }), false],
    ['an unrelated future request', request({ codes: [{ code: '4548-4' }], text: 'HbA1c' }), false],
  ])('%s → booked %s', (_name, sr, booked) => {
    expect(isBookedReview(sr, NOW)).toBe(booked);
    expect(r14.evaluate(withDrafts([prednisoneDraft()], { serviceRequests: [sr] }), sign) === undefined).toBe(booked);
  });
});

describe('COP-R14 follow-up: suggestion', () => {
  it('one suggestion with two ServiceRequests at today + 42 days', () => {
    const f = r14.evaluate(withDrafts([prednisoneDraft()]), sign)!;
    expect(f.suggestions).toHaveLength(1);
    expect(f.suggestions![0]!.label).toBe('Order PFTs and chest imaging for week 6');
    const [pft, imaging] = resources(f);
    expect(pft!.code?.coding).toEqual([{ system: 'http://loinc.org', code: '81458-2', display: 'Pulmonary function test panel' }]);
    expect(pft!.occurrenceDateTime).toBe('2027-01-06');
    expect(imaging!.code?.coding).toBeUndefined();
    expect(imaging!.code?.text).toMatch(/chest imaging/i);
    expect(imaging!.occurrenceDateTime).toBe('2027-01-06');
  });

  it('the interval follows reviewWeeks', () => {
    const f = r14.evaluate(withDrafts([prednisoneDraft()]), context('order-sign', {}, { reviewWeeks: 8 }))!;
    expect(f.summary).toContain('~8 weeks');
    expect(resources(f)[0]!.occurrenceDateTime).toBe(inDays(56));
  });

  it('never cites or names BTS', () => {
    const f = r14.evaluate(withDrafts([prednisoneDraft()]), sign)!;
    expect(JSON.stringify(f)).not.toMatch(/BTS|British Thoracic/);
    expect(f.summary.length).toBeLessThan(140);
  });
});

describe('COP-R14: the longest card stays short (decisions 19, 20)', () => {
  it('a pulse, an oral course with an undosed second order and clarithromycin, all drafted at once', () => {
    const drafts = [
      prednisoneDraft({ reference: 'MedicationRequest/mp', name: 'methylprednisolone sodium succinate 500 MG Injection', glucocorticoid: 'methylprednisolone', dailyDose: { mgPerDay: 500, prednisoneEquivalentMgPerDay: 625, derivation: '500 mg once daily = 500 mg/day' }, plannedDurationDays: 3 }),
      prednisoneDraft({ plannedDurationDays: 168 }),
      prednisoneDraft({ reference: 'MedicationRequest/x', name: 'prednisolone 5 MG Oral Tablet', glucocorticoid: 'prednisolone', dailyDose: undefined, doseUnknownReason: 'no dose quantity stated' }),
      clarithromycinDraft({ plannedDurationDays: 84 }),
    ];
    const f = r14.evaluate(withDrafts(drafts), context('order-sign', {}, { reviewWeeks: 8 }));
    expectWellFormed(f);
    expectShortReadableCard(f);
  });
});
