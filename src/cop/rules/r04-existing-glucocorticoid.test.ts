import { describe, expect, it } from 'vitest';
import { activePrednisone, baseFacts, clarithromycinDraft, context, daysAgo, facts, prednisoneDraft, weightFact } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { cardTextProblems } from '../../../test/fixtures/card-corpus.js';
import { renderCard } from '../cards.js';
import { r04 } from './r04-existing-glucocorticoid.js';

const withMeds = (active: MedicationFact[], drafts: MedicationFact[], base: PatientFacts = baseFacts()): PatientFacts => ({
  ...base,
  medications: { ...base.medications, active, drafts },
});

const secondDraft = (overrides: Partial<MedicationFact> = {}): MedicationFact =>
  prednisoneDraft({ reference: 'MedicationRequest/draft-pred-2', id: 'draft-pred-2', selected: false, ...overrides });

describe('COP-R04 duplicate systemic glucocorticoid', () => {
  it('matrix #8: active prednisone 10 mg + new GC draft at sign → warning and delete of the draft', () => {
    const f = r04.evaluate(withMeds([activePrednisone()], [prednisoneDraft({ selected: false })]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('Second systemic glucocorticoid drafted while prednisone 10 mg/day is active.');
    expect(f.suggestions).toHaveLength(1);
    const suggestion = f.suggestions?.[0];
    expect(suggestion?.label).toBe('Remove duplicate draft');
    expect(suggestion?.actions).toEqual([expect.objectContaining({ type: 'delete', resourceId: 'MedicationRequest/draft-pred' })]);
    expect(f.overrideReasons?.map((r) => r.display)).toEqual(['intentional switch (existing will be stopped)', 'intentional combination']);
    expect(f.overrideReasons?.map((r) => r.code)).toEqual(['intentional-switch', 'intentional-combination']);
    expect(f.detail.join('\n')).toContain('Together ≈ 30 mg/day prednisone-equivalent');
  });

  it('order-select: the selected draft is the one to delete, even when it comes first in the bundle', () => {
    const selected = prednisoneDraft({ selected: true });
    const f = r04.evaluate(withMeds([], [selected, secondDraft()]), context('order-select'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.suggestions?.[0]?.actions[0]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/draft-pred' });
  });

  it('order-sign with two GC drafts and no active GC: the later draft in the bundle is deleted', () => {
    const f = r04.evaluate(withMeds([], [prednisoneDraft({ selected: false }), secondDraft()]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toMatch(/^Two systemic glucocorticoids drafted at once/);
    expect(f.suggestions?.[0]?.actions[0]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/draft-pred-2' });
  });

  it('one GC draft and no active GC is not a duplicate', () => {
    expect(r04.evaluate(withMeds([], [prednisoneDraft()]), context('order-select'))).toBeUndefined();
    expect(r04.evaluate(withMeds([], [prednisoneDraft({ selected: false })]), context('order-sign'))).toBeUndefined();
  });

  it('an active order that is itself in draftOrders (being edited) is not a duplicate of itself', () => {
    const edited = prednisoneDraft({ reference: 'MedicationRequest/active-pred', id: 'active-pred' });
    expect(r04.evaluate(withMeds([activePrednisone()], [edited]), context('order-select'))).toBeUndefined();
  });

  it('order-select with a non-GC selection leaves an unselected GC draft to order-sign', () => {
    const f = r04.evaluate(withMeds([activePrednisone()], [prednisoneDraft({ selected: false }), clarithromycinDraft()]), context('order-select'));
    expect(f).toBeUndefined();
  });

  it('a draft without an id still warns but offers no delete it cannot address', () => {
    const draft = prednisoneDraft({ selected: false });
    delete draft.id;
    const f = r04.evaluate(withMeds([activePrednisone()], [draft]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.suggestions).toBeUndefined();
  });

  it('an unknown dose on either order makes the combined dose unknown, never a partial sum', () => {
    const f = r04.evaluate(withMeds([activePrednisone({ dailyDose: undefined, doseUnknownReason: 'no dose' })], [prednisoneDraft({ selected: false })]), context('order-sign'));
    expectWellFormed(f);
    expect(f.summary).toContain('prednisone (dose unknown)');
    expect(f.detail.join('\n')).toContain('Combined dose not computed');
  });
});

describe('COP-R04: a renewal is not a duplicate (decision 14)', () => {
  const renewalOf = (prior: string, overrides: Partial<MedicationFact> = {}) => prednisoneDraft({ selected: false, priorPrescription: prior, ...overrides });

  it.each([
    ['relative', 'MedicationRequest/active-pred'],
    ['absolute URL', 'https://ehr.example.org/fhir/MedicationRequest/active-pred'],
    ['absolute URL with a version', 'https://ehr.example.org/fhir/MedicationRequest/active-pred/_history/3'],
  ])('a draft whose priorPrescription (%s) references the active prednisone replaces it: no card at sign', (_form, prior) => {
    expect(r04.evaluate(withMeds([activePrednisone()], [renewalOf(prior)]), context('order-sign'))).toBeUndefined();
    expect(r04.evaluate(withMeds([activePrednisone()], [renewalOf(prior, { selected: true })]), context('order-select'))).toBeUndefined();
  });

  it.each([
    ['another order', 'MedicationRequest/other-order'],
    ['a different resource type', 'MedicationStatement/active-pred'],
    ['a contained reference', '#active-pred'],
    ['a path that is not a reference', 'fhir/MedicationRequest/active-pred'],
  ])('a priorPrescription naming %s is no renewal of it: still a duplicate', (_what, prior) => {
    const f = r04.evaluate(withMeds([activePrednisone()], [renewalOf(prior)]), context('order-sign'));
    expect(f?.indicator).toBe('warning');
  });

  it('renewing one of two active glucocorticoids still duplicates the other', () => {
    const other = activePrednisone({ reference: 'MedicationRequest/active-pred-2', id: 'active-pred-2', name: 'prednisolone 5 MG Oral Tablet', glucocorticoid: 'prednisolone', dailyDose: { mgPerDay: 5, prednisoneEquivalentMgPerDay: 5, derivation: '5 mg once daily = 5 mg/day' } });
    const f = r04.evaluate(withMeds([activePrednisone(), other], [renewalOf('MedicationRequest/active-pred')]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('Second systemic glucocorticoid drafted while prednisolone 5 mg/day is active.');
    expect(f.evidence.filter((e) => e.label === 'Active glucocorticoid').map((e) => e.reference)).toEqual(['MedicationRequest/active-pred-2']);
  });

  it('a renewal plus a second new draft: the second draft still duplicates the renewal', () => {
    const f = r04.evaluate(withMeds([activePrednisone()], [renewalOf('MedicationRequest/active-pred'), prednisoneDraft({ selected: false, reference: 'MedicationRequest/draft-pred-2', id: 'draft-pred-2' })]), context('order-sign'));
    expect(f?.indicator).toBe('warning');
    expect(f?.summary).toMatch(/^Two systemic glucocorticoids drafted at once/);
  });

  it('renewing an active order nothing identifies: the duplicate check is not needed for the order being replaced', () => {
    const unidentified = activePrednisone({ name: 'medication not identified', identifiedBy: 'none', classes: [], glucocorticoid: undefined, rxnormCodes: [], dailyDose: undefined });
    expect(r04.evaluate(withMeds([unidentified], [prednisoneDraft({ selected: false })]), context('order-sign'))?.summary).toMatch(/^Duplicate check not possible/);
    expect(r04.evaluate(withMeds([unidentified], [renewalOf('MedicationRequest/active-pred')]), context('order-sign'))).toBeUndefined();
  });
});

describe('COP-R04 existing glucocorticoid (info)', () => {
  it('active GC and no GC draft → info with mg/day and PredEq mg/kg, no suggestions', () => {
    const f = r04.evaluate(withMeds([activePrednisone()], [clarithromycinDraft()]), context('order-select'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('Patient already on prednisone 10 mg/day (≈0.17 mg/kg prednisone-equivalent). Adjust the existing order rather than adding one.');
    expect(f.suggestions).toBeUndefined();
    expect(f.evidence.map((e) => e.label)).toEqual(expect.arrayContaining(['Active glucocorticoid', 'Weight']));
  });

  it('mg/kg uses the prednisone equivalent (methylprednisolone 16 mg = 20 mg PredEq → 0.33 mg/kg at 60 kg)', () => {
    const methylpred = activePrednisone({
      name: 'methylprednisolone 16 MG Oral Tablet', glucocorticoid: 'methylprednisolone',
      dailyDose: { mgPerDay: 16, prednisoneEquivalentMgPerDay: 20, derivation: '16 mg once daily = 16 mg/day' },
    });
    const f = r04.evaluate(withMeds([methylpred], []), context('order-sign'));
    expectWellFormed(f);
    expect(f.summary).toContain('methylprednisolone 16 mg/day (≈0.33 mg/kg prednisone-equivalent)');
  });

  it('stale weight is still usable for mg/kg; absent weight drops the mg/kg part', () => {
    const stale = facts({ weight: { ...baseFacts().weight, state: 'stale' } });
    const fStale = r04.evaluate(withMeds([activePrednisone()], [], stale), context('order-sign'));
    expectWellFormed(fStale);
    expect(fStale.summary).toContain('≈0.17 mg/kg');
    expect(fStale.detail.join('\n')).toContain('= 0.17 mg/kg at 60 kg (weight 5 days old)');

    const absent = facts({ weight: { state: 'absent', domain: 'available', reason: 'none recorded' } });
    const fAbsent = r04.evaluate(withMeds([activePrednisone()], [], absent), context('order-sign'));
    expectWellFormed(fAbsent);
    expect(fAbsent.summary).toBe('Patient already on prednisone 10 mg/day. Adjust the existing order rather than adding one.');
    expect(fAbsent.detail.join('\n')).toContain('mg/kg not computed (no usable weight)');
  });

  it('unknown dose is stated as unknown, never 0', () => {
    const f = r04.evaluate(withMeds([activePrednisone({ dailyDose: undefined, doseUnknownReason: 'free-text dosage' })], []), context('order-sign'));
    expectWellFormed(f);
    expect(f.summary).toBe('Patient already on prednisone (dose unknown). Adjust the existing order rather than adding one.');
    expect(f.summary).not.toMatch(/\b0 mg/);
    expect(f.detail[0]).toBe('Total daily dose unknown: a dose on an active order could not be read.');
    expect(f.evidence[0]?.value).toBe('prednisone 10 MG Oral Tablet, dose could not be derived (free-text dosage)');
  });

  it('patient-view shows the same info (no drafts there)', () => {
    const f = r04.evaluate(withMeds([activePrednisone()], []), context('patient-view'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
  });

  it('no active GC and no draft → nothing', () => {
    expect(r04.evaluate(baseFacts(), context('order-sign'))).toBeUndefined();
  });

  it('matrix #14: P-COP false (WHO J84.1 only) → no card, even with a duplicate', () => {
    const noCop = facts({ cop: { present: false, whoIcdOnly: true, relapseRecords: 0, domain: 'available' } });
    expect(r04.evaluate(withMeds([activePrednisone()], [prednisoneDraft({ selected: false })], noCop), context('order-sign'))).toBeUndefined();
    expect(r04.evaluate(withMeds([activePrednisone({ start: daysAgo(3) })], [], noCop), context('order-select'))).toBeUndefined();
  });
});

describe('COP-R04 card text: the longest realistic variants (decisions 19, 20)', () => {
  const expectShortClinicalCard = (finding: ReturnType<typeof r04.evaluate>) => {
    expect(finding).toBeDefined();
    const card = renderCard(finding!, { newId: () => 'x' });
    expect(card.summary.length).toBeLessThanOrEqual(139);
    expect(card.detail!.length).toBeLessThanOrEqual(600);
    expect(cardTextProblems(card)).toEqual([]);
    return card;
  };
  const stamped = (ago: number) => `${daysAgo(ago)}T07:45:00-05:00`;
  /** Three active courses: prednisone, methylprednisolone (PredEq differs) and one whose dose could not be derived. */
  const threeActive = (): MedicationFact[] => [
    activePrednisone({ name: 'predniSONE 20 MG Oral Tablet', start: stamped(70), dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '2 x 20 mg tablets once daily = 40 mg/day' } }),
    activePrednisone({ reference: 'MedicationRequest/mp', id: 'mp', name: 'methylPREDNISolone 16 MG Oral Tablet', glucocorticoid: 'methylprednisolone', start: stamped(30), dailyDose: { mgPerDay: 16, prednisoneEquivalentMgPerDay: 20, derivation: '1 x 16 mg tablet once daily = 16 mg/day' } }),
    activePrednisone({ reference: 'MedicationRequest/hc', id: 'hc', name: 'hydrocortisone 10 MG Oral Tablet', glucocorticoid: 'hydrocortisone', start: stamped(400), dailyDose: undefined, doseUnknownReason: 'dose is 3 tablet(s) but the tablet strength is unknown' }),
  ];

  it('existing: three active courses, one dose unknown, a stale weight', () => {
    const f = withMeds(threeActive(), [], facts({ weight: weightFact(64, 45, 'stale') }));
    const card = expectShortClinicalCard(r04.evaluate(f, context('patient-view')));
    expect(card.detail).toContain('Total daily dose unknown');
    expect(card.detail).toContain(`(${daysAgo(400)}, 13 months ago)`);
  });

  it('existing: two courses, doses known, a stale weight says it is stale', () => {
    const f = withMeds(threeActive().slice(0, 2), [], facts({ weight: weightFact(64, 45, 'stale') }));
    const card = expectShortClinicalCard(r04.evaluate(f, context('order-select')));
    expect(card.detail).toContain('Current dose ≈ 60 mg/day prednisone-equivalent = 0.94 mg/kg at 64 kg (weight 45 days old).');
  });

  it('duplicate: a draft beside two active courses and another draft', () => {
    const f = withMeds(threeActive().slice(0, 2), [prednisoneDraft({ selected: false, name: 'predniSONE 5 MG Oral Tablet (generic)' }), secondDraft({ name: 'prednisoLONE 25 MG Oral Tablet' })]);
    const finding = r04.evaluate(f, context('order-sign'));
    expect(finding?.indicator).toBe('warning');
    const card = expectShortClinicalCard(finding);
    expect(card.detail).toContain('Remove the draft **prednisoLONE 25 MG Oral Tablet** if it duplicates the course');
  });

  it('duplicate check not possible: three active orders nothing identifies', () => {
    const unidentified = [1, 2, 3].map((n) => activePrednisone({
      reference: `MedicationRequest/u${n}`, id: `u${n}`, name: 'medication not identified', identifiedBy: 'none', classes: [], dailyDose: undefined,
      start: stamped(10 + n), instructions: 'Take 4 tablets daily with breakfast, then reduce as directed at the next clinic visit',
      unidentifiedReason: n === 1 ? 'its medication was not found on the EHR\'s FHIR server' : 'the referenced medication could not be read',
    }));
    for (const u of unidentified) delete u.glucocorticoid;
    const card = expectShortClinicalCard(r04.evaluate(withMeds(unidentified, [prednisoneDraft({ selected: false })]), context('order-sign')));
    expect(card.summary).toMatch(/^Duplicate check not possible: 3 active orders could not be identified/);
    expect(card.detail).toContain('Other unidentified orders 1');
  });
});
