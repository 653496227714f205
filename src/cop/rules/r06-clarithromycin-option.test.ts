import { describe, expect, it } from 'vitest';
import type { MedicationRequest } from 'fhir/r4.js';
import {
  activePrednisone, clarithromycinDraft, clarithromycinEligible, context, daysAgo, facts, prednisoneDraft,
} from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { renderCard } from '../cards.js';
import type { FindingAction } from '../rule-types.js';
import { r06 } from './r06-clarithromycin-option.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';


const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

const withDrafts = (drafts: MedicationFact[], active: MedicationFact[] = []): Partial<PatientFacts> => ({
  medications: { active, drafts, macrolideAllergy: 'absent', domain: 'available' },
});

describe('COP-R06 clarithromycin option', () => {
  it('matrix #9: gates met → info card, one non-recommended suggestion: create clarithromycin, then delete the GC draft', () => {
    const finding = r06.evaluate(clarithromycinEligible(), context('order-select'));
    expect(finding).toMatchObject({ ruleId: 'COP-R06', indicator: 'info' });
    expect(finding?.summary.length).toBeLessThan(140);
    expect(finding?.summary).toContain('clarithromycin 500 mg b.d. for 90 days (observational data)');
    expect(finding?.suggestions).toHaveLength(1);
    const suggestion = finding!.suggestions![0]!;
    expect(suggestion.isRecommended).toBe(false);
    // Create before delete: a client applying only the first action still drafts clarithromycin.
    expect(suggestion.actions.map((a) => a.type)).toEqual(['create', 'delete']);
    expect(suggestion.actions[1]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/draft-pred' });
    const mr = (suggestion.actions[0] as Extract<FindingAction, { type: 'create' }>).resource as MedicationRequest;
    expect(mr.medicationCodeableConcept?.coding?.[0]).toMatchObject({ system: RXNORM, code: '197517' });
    expect(JSON.stringify(mr)).not.toContain('359385');
    expect(mr.dosageInstruction?.[0]?.timing?.repeat).toMatchObject({ frequency: 2, period: 1, periodUnit: 'd', boundsDuration: { value: 90, code: 'd' } });
    expect(mr.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity).toMatchObject({ value: 500, code: 'mg', system: 'http://unitsofmeasure.org' });
    expect(mr.dispenseRequest?.quantity?.value).toBe(180);
    expect(mr.id).toBeUndefined();
    expect(finding?.citations).toEqual(['RADZ-2017', 'RADZ-ERS-2016', 'GERMOP-2018', 'ZHOU-2019']);
  });

  it('detail carries the caveats and the QTc/interaction check, never the banned figures; the longer evidence is on the evidence page', () => {
    const detail = r06.evaluate(clarithromycinEligible(), context('order-select'))!.detail.join('\n');
    expect(detail).toContain('Retrospective data');
    expect(detail).toContain('milder patients');
    expect(detail).toContain('some of whom did not respond');
    expect(detail).toContain('(Radzikowska 2017)');
    expect(detail).toContain('Check QTc and drug interactions');
    expect(detail).not.toMatch(/88.100%|up to 31%|ATS/);
    const background = r06.background!.join('\n');
    expect(background).toContain('retrospective single-centre comparison');
    expect(background).toContain('showed no benefit');
    expect(background).toContain('GERM"O"P 2018');
    expect(background).toContain('EHR interaction check still applies');
    expect(background).not.toMatch(/88.100%|up to 31%|ATS/);
  });

  it('the criteria line carries the gate data with dates, so it is not repeated as data used', () => {
    const finding = r06.evaluate(clarithromycinEligible(), context('order-select'))!;
    // Kept for the card's machine-readable extension, each marked as already stated in the detail.
    expect(finding.evidence.length).toBeGreaterThan(0);
    expect(finding.evidence.every((e) => e.statedInDetail === true)).toBe(true);
    expect(finding.evidence).toContainEqual(expect.objectContaining({ label: 'SpO2', date: daysAgo(2) }));
    const card = renderCard(finding, { newId: () => 'id' });
    expect(card.detail).not.toContain('Data used');
    expect(JSON.stringify(card.extension)).toContain('"label":"SpO2"');
    expect(finding.detail[0]).toContain(`SpO2 97% on room air, ${daysAgo(2)} (2 days ago)`);
    expect(finding.detail[0]).toContain(`FVC 85% / FEV1 75% predicted, ${daysAgo(30)} (30 days ago)`);
    expect(finding.detail[0]).toContain(`Not pregnant, ${daysAgo(3)} (3 days ago)`);
  });

  describe('decision 21: the criteria line names the real basis of each gate', () => {
    const gatesLine = (f: PatientFacts): string => r06.evaluate(f, context('order-select'))!.detail.find((d) => d.startsWith('Criteria met:'))!;

    it('states the recorded values with calendar dates and ages, in the units people write', () => {
      expect(gatesLine(clarithromycinEligible())).toBe(
        `Criteria met: age 48; SpO2 97% on room air, ${daysAgo(2)} (2 days ago); FVC 85% / FEV1 75% predicted, ${daysAgo(30)} (30 days ago); ` +
          `Not pregnant, ${daysAgo(3)} (3 days ago); no macrolide allergy recorded; no interacting drug active.`,
      );
    });

    it.each<[string, Partial<PatientFacts>, string]>([
      ['male', { sex: 'male', pregnancy: { status: 'n/a', domain: 'available' } }, 'pregnancy: not applicable (male)'],
      ['female aged 62', { sex: 'female', age: { status: 'known', years: 62 }, pregnancy: { status: 'n/a', domain: 'available' } }, 'pregnancy: not applicable (age 62)'],
      ['sex not recorded as female', { sex: 'other', pregnancy: { status: 'n/a', domain: 'available' } }, 'pregnancy: not applicable (not female)'],
    ])('pregnancy n/a (%s) is said as such, never "not pregnant"', (_name, overrides, text) => {
      const line = gatesLine(clarithromycinEligible(overrides));
      expect(line).toContain(text);
      expect(line).not.toMatch(/not pregnant/);
    });

    it('a real "not pregnant" result is shown with its date', () => {
      const f = clarithromycinEligible({
        pregnancy: { status: 'no', domain: 'available', evidence: { text: 'not pregnant', date: daysAgo(5), ageDays: 5 }, lastRecorded: { text: 'not pregnant', date: daysAgo(5), ageDays: 5 } },
      });
      expect(gatesLine(f)).toContain(`not pregnant, ${daysAgo(5)} (5 days ago)`);
    });

    it('PFT values of different days each carry their date; a PaO2 reading is in mmHg', () => {
      const base = clarithromycinEligible();
      const f = clarithromycinEligible({
        oxygenation: { ...base.oxygenation, spo2: [], pao2: [{ value: 82, unit: 'mm[Hg]', date: '2026-11-24T08:00:00Z', ageDays: 1 }] },
        pft: { ...base.pft, fev1PercentPredicted: { value: 75, unit: '%', date: daysAgo(40), ageDays: 40 } },
      });
      const line = gatesLine(f);
      expect(line).toContain(`FVC 85% predicted, ${daysAgo(30)} (30 days ago); FEV1 75% predicted, ${daysAgo(40)} (40 days ago)`);
      expect(line).toContain('PaO2 82 mmHg, 2026-11-24 (1 day ago)');
      expect(line).not.toMatch(/T08:00|mm\[Hg\]/);
    });
  });

  it('uses the context intent and the configured regimen', () => {
    const finding = r06.evaluate(clarithromycinEligible(), context('order-select', { medicationRequestIntent: 'proposal' }));
    const mr = (finding!.suggestions![0]!.actions[0] as Extract<FindingAction, { type: 'create' }>).resource as MedicationRequest;
    expect(mr.intent).toBe('proposal');
  });

  it('matrix #10: same patient without SpO2 within 7 d → no R06 card', () => {
    const base = clarithromycinEligible();
    const f = clarithromycinEligible({
      oxygenation: { ...base.oxygenation, spo2: [], respiratoryInsufficiency: 'unknown', reasons: ['no SpO2/PaO2 in the last 7 days'] },
    });
    expect(r06.evaluate(f, context('order-select'))).toBeUndefined();
  });

  describe('no card when a gate fails or is unknown', () => {
    const base = clarithromycinEligible();
    it.each<[string, Partial<PatientFacts>]>([
      ['respiratory insufficiency present', { oxygenation: { ...base.oxygenation, respiratoryInsufficiency: 'present' } }],
      ['PFTs not preserved', { pft: { ...base.pft, preserved: 'false' } }],
      ['PFTs unknown', { pft: { absoluteOnly: false, preserved: 'unknown', domain: 'available' } }],
      ['pregnant', { pregnancy: { status: 'yes', domain: 'available' } }],
      ['pregnancy unknown', { pregnancy: { status: 'unknown', domain: 'available' } }],
      ['macrolide allergy', { medications: { ...base.medications, macrolideAllergy: 'present' } }],
      ['interacting drug', { medications: { ...base.medications, active: [activePrednisone({ name: 'colchicine', classes: ['clarithromycin-interacting'] })] } }],
      ['age 16', { age: { status: 'known', years: 16 } }],
      ['no P-COP', { cop: { ...base.cop, present: false } }],
    ])('%s', (_name, overrides) => {
      expect(r06.evaluate(clarithromycinEligible(overrides), context('order-select'))).toBeUndefined();
    });
  });

  describe('only when a GC is being selected at order-select', () => {
    it.each(['order-sign', 'patient-view'] as const)('%s → no card', (hook) => {
      expect(r06.evaluate(clarithromycinEligible(), context(hook))).toBeUndefined();
    });
    it('no selected GC draft → no card', () => {
      expect(r06.evaluate(clarithromycinEligible(withDrafts([prednisoneDraft({ selected: false })])), context('order-select'))).toBeUndefined();
    });
    it('clarithromycin already drafted → no duplicate offer', () => {
      const f = clarithromycinEligible(withDrafts([prednisoneDraft(), clarithromycinDraft({ selected: false })]));
      expect(r06.evaluate(f, context('order-select'))).toBeUndefined();
    });
    it('clarithromycin already active → no duplicate offer', () => {
      const f = clarithromycinEligible(withDrafts([prednisoneDraft()], [clarithromycinDraft({ status: 'active', selected: false })]));
      expect(r06.evaluate(f, context('order-select'))).toBeUndefined();
    });
  });

  it('a selected draft without id → card but no suggestion (it could not be removed)', () => {
    const f = clarithromycinEligible(withDrafts([prednisoneDraft({ id: undefined })]));
    const finding = r06.evaluate(f, context('order-select'));
    expect(finding?.suggestions).toBeUndefined();
    expect(finding?.detail.join('\n')).toContain('has no id');
  });

  it('longest variant: a woman of 62 with an old negative test, PFTs of different days, a PaO2, a draft without id → still a short card', () => {
    const base = clarithromycinEligible();
    const f = clarithromycinEligible({
      sex: 'female',
      age: { status: 'range', minYears: 61, maxYears: 62 },
      pregnancy: {
        status: 'n/a', domain: 'available',
        lastRecorded: { text: 'not pregnant', date: daysAgo(1200), ageDays: 1200, outdated: 'too old to rule out pregnancy', reference: 'Observation/preg-old' },
      },
      oxygenation: { ...base.oxygenation, spo2: [], pao2: [{ value: 82, unit: 'mm[Hg]', date: '2026-11-24T08:00:00+01:00', ageDays: 1, reference: 'Observation/pao2' }] },
      pft: { ...base.pft, fev1PercentPredicted: { value: 75, unit: '%', date: daysAgo(88), ageDays: 88, reference: 'Observation/fev1' } },
      ...withDrafts([prednisoneDraft({ id: undefined })]),
    });
    const finding = r06.evaluate(f, context('order-select'));
    expect(finding?.detail.join('\n')).toContain('has no id');
    expect(finding?.detail[0]).toContain('pregnancy: not applicable (age 61–62); last recorded not pregnant');
    expectShortReadableCard(finding);
    expectShortReadableCard(r06.evaluate(clarithromycinEligible(), context('order-select')));
  });

  it('default facts (nothing recorded) → no card', () => {
    expect(r06.evaluate(facts(withDrafts([prednisoneDraft()])), context('order-select'))).toBeUndefined();
  });
});
