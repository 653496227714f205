/**
 * Decision 18: the untreated-COP reminder (COP-R01 on patient-view) reads past courses. It fires only
 * when no glucocorticoid or clarithromycin order of any status but entered-in-error exists since the
 * COP began; without `medsHistory` only for a COP recorded within 90 days, saying past orders could
 * not be read.
 */
import { describe, expect, it } from 'vitest';
import { activePrednisone, baseFacts, clarithromycinDraft, context, daysAgo, NOW } from '../../../test/fixtures/facts.js';
import { copCondition, dailyMg, emptyPool, medicationRequest, patient } from '../../../test/fixtures/fhir.js';
import { extractFacts } from '../facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import { r01 } from './r01-initial-dose.js';

const view = context('patient-view');

/** COP with onset 70 and recorded 20 days ago (the base facts), and these past orders. */
function withPast(past: MedicationFact[], pastDomain: 'available' | 'unavailable' = 'available', recordedAgo = 20): PatientFacts {
  const base = baseFacts();
  const condition = { ...base.cop.condition!, recordedDate: daysAgo(recordedAgo), date: daysAgo(recordedAgo), ageDays: recordedAgo, onset: daysAgo(recordedAgo + 50) };
  return { ...base, cop: { ...base.cop, condition }, medications: { ...base.medications, past, pastDomain } };
}
const completedPrednisone = (startAgo: number): MedicationFact => activePrednisone({ status: 'completed', start: daysAgo(startAgo), reference: 'MedicationRequest/old-pred', id: 'old-pred' });

describe('COP-R01 untreated reminder and past courses (decision 18)', () => {
  it('no past orders, history readable: "no treatment ordered"', () => {
    const f = r01.evaluate(withPast([]), view);
    expect(f?.summary).toMatch(/no treatment ordered/);
  });

  it('a completed prednisone course since the COP began: treated, no reminder', () => {
    expect(r01.evaluate(withPast([completedPrednisone(60)]), view)).toBeUndefined();
  });

  it('a course started on the day of onset counts; one the day before does not', () => {
    // Onset is recorded + 50 = 70 days ago.
    expect(r01.evaluate(withPast([completedPrednisone(70)]), view)).toBeUndefined();
    expect(r01.evaluate(withPast([completedPrednisone(71)]), view)?.summary).toMatch(/no treatment ordered/);
  });

  it('a stopped clarithromycin course counts as treatment', () => {
    expect(r01.evaluate(withPast([clarithromycinDraft({ status: 'stopped', start: daysAgo(30), selected: false })]), view)).toBeUndefined();
  });

  it('an undated past glucocorticoid order cannot be placed before the COP: it counts', () => {
    const undated = completedPrednisone(10);
    delete undated.start;
    expect(r01.evaluate(withPast([undated]), view)).toBeUndefined();
  });

  it('a past non-steroid order is not treatment', () => {
    const other: MedicationFact = { ...completedPrednisone(10), classes: [], name: 'atorvastatin 20 mg', glucocorticoid: undefined } as MedicationFact;
    delete other.glucocorticoid;
    expect(r01.evaluate(withPast([other]), view)?.summary).toMatch(/no treatment ordered/);
  });

  it.each([
    [89, true],
    [90, true],
    [91, false],
  ])('without medsHistory, COP recorded %i days ago: reminder %s, saying past orders could not be read', (ago, fires) => {
    const f = r01.evaluate(withPast([], 'unavailable', ago), view);
    if (!fires) {
      expect(f).toBeUndefined();
      return;
    }
    expect(f?.summary).toMatch(/no active treatment order; past orders could not be read/);
    expect(f?.summary).not.toMatch(/no treatment ordered/);
  });

  it('a past order nothing identifies makes the history unreadable', () => {
    const unidentified: MedicationFact = { ...completedPrednisone(10), identifiedBy: 'none', classes: [], name: 'medication not identified' };
    delete unidentified.glucocorticoid;
    expect(r01.evaluate(withPast([unidentified], 'available', 20), view)?.summary).toMatch(/past orders could not be read/);
    expect(r01.evaluate(withPast([unidentified], 'available', 200), view)).toBeUndefined();
  });

  it('the threshold is configurable', () => {
    const f = r01.evaluate(withPast([], 'unavailable', 120), context('patient-view', {}, { untreatedReminderMaxCopAgeDays: 120 }));
    expect(f?.summary).toMatch(/past orders could not be read/);
  });
});

describe('past orders from the record (facts)', () => {
  const cop = { ...copCondition(), onsetDateTime: daysAgo(800), recordedDate: daysAgo(730) };
  const facts = (orders: ReturnType<typeof medicationRequest>[], domains = {}) =>
    extractFacts(emptyPool({ patient: patient({ birthDate: '1970-01-01', gender: 'male' }), conditions: [cop], medicationRequests: orders, domains }), { patientId: 'pat-1', selections: [] }, NOW, DEFAULT_THRESHOLDS);

  it('a COP treated two years ago (completed course in medsHistory) gets no "no treatment ordered"', () => {
    const old = medicationRequest({ rxnorm: '312615', status: 'completed', authoredOn: daysAgo(700), dosages: [dailyMg(40)] });
    const f = facts([old]);
    expect(f.medications.past).toHaveLength(1);
    expect(r01.evaluate(f, view)).toBeUndefined();
  });

  it('entered-in-error orders are not past treatment', () => {
    const wrong = medicationRequest({ rxnorm: '312615', status: 'entered-in-error', authoredOn: daysAgo(700), dosages: [dailyMg(40)] });
    const f = facts([wrong]);
    expect(f.medications.past).toEqual([]);
    expect(r01.evaluate(f, view)?.summary).toMatch(/no treatment ordered/);
  });

  it('medsHistory unavailable: pastDomain says so, and a COP recorded two years ago gets no reminder', () => {
    const f = facts([], { medsHistory: 'unavailable' });
    expect(f.medications.pastDomain).toBe('unavailable');
    expect(r01.evaluate(f, view)).toBeUndefined();
  });
});
