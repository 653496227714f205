import { describe, expect, it } from 'vitest';
import { baseFacts, clarithromycinDraft, context, daysAgo, prednisoneDraft } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import type { MedicationFact, OxygenationFact, PatientFacts, PftFact, PregnancyFact } from '../facts-types.js';
import { r07 } from './r07-clarithromycin-outside-population.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';


/** Eligible on every gate: room-air SpO2 97%, FVC 85% / FEV1 75%, not pregnant. */
function eligible(drafts: MedicationFact[] = [clarithromycinDraft()]): PatientFacts {
  const base = baseFacts();
  return {
    ...base,
    oxygenation: {
      ...base.oxygenation,
      spo2: [{ value: 97, unit: '%', date: daysAgo(2), ageDays: 2, reference: 'Observation/spo2', onSupplementalOxygen: false }],
      respiratoryInsufficiency: 'absent',
      reasons: [],
    },
    pft: {
      fvcPercentPredicted: { value: 85, unit: '%', date: daysAgo(30), ageDays: 30, reference: 'Observation/fvc' },
      fev1PercentPredicted: { value: 75, unit: '%', date: daysAgo(30), ageDays: 30, reference: 'Observation/fev1' },
      absoluteOnly: false,
      preserved: 'true',
      domain: 'available',
    },
    pregnancy: { status: 'n/a', domain: 'available' },
    medications: { ...base.medications, drafts },
  };
}

const withOx = (f: PatientFacts, ox: Partial<OxygenationFact>): PatientFacts => ({ ...f, oxygenation: { ...f.oxygenation, ...ox } });
const withPft = (f: PatientFacts, pft: Partial<PftFact>): PatientFacts => ({ ...f, pft: { ...f.pft, ...pft } });
const withPregnancy = (f: PatientFacts, p: PregnancyFact): PatientFacts => ({ ...f, pregnancy: p });

const respiratoryFailure = (f: PatientFacts): PatientFacts => withOx(f, {
  pao2: [{ value: 55, unit: 'mm[Hg]', date: daysAgo(1), ageDays: 1, reference: 'Observation/pao2' }],
  respiratoryInsufficiency: 'present',
  reasons: ['PaO2 55 mm[Hg] < 60 mm[Hg]'],
});

describe('COP-R07 clarithromycin outside the studied population', () => {
  it('eligible patient on every gate → no card', () => {
    expect(r07.evaluate(eligible(), context('order-sign'))).toBeUndefined();
  });

  it('matrix #11: clarithromycin drafted, PaO2 55 mmHg → warning, no suggestions, overrides allowed', () => {
    const f = r07.evaluate(respiratoryFailure(eligible()), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toContain('respiratory insufficiency');
    // Decision 21: the recorded reading with its calendar date and age, in mmHg.
    expect(f.detail.join('\n')).toContain(`Respiratory insufficiency present: PaO2 55 mmHg, ${daysAgo(1)} (1 day ago).`);
    expect(f.suggestions).toBeUndefined();
    expect(f.overrideReasons?.length).toBeGreaterThan(0);
    // The reading is stated in the line above; the data used is the drafted order.
    expect(f.evidence).toEqual([expect.objectContaining({ label: 'Draft', reference: 'MedicationRequest/draft-cla' })]);
    expect(f.summary).toBe('Clarithromycin drafted outside the studied COP population (respiratory insufficiency): reconsider the choice.');
    expect(f.citations).toEqual(expect.arrayContaining(['RADZ-2017', 'GERMOP-2018']));
  });

  it('P-PFT-PRESERVED false → warning naming the values and the configured limits', () => {
    const f = r07.evaluate(withPft(eligible(), { fvcPercentPredicted: { value: 72, unit: '%', date: daysAgo(10), ageDays: 10 }, preserved: 'false' }), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.detail.join('\n')).toContain('FVC 72% predicted');
    expect(f.detail.join('\n')).toContain('(studied: FVC > 80% and FEV1 > 70%)');
  });

  it('the limits shown come from context.thresholds, not literals', () => {
    const f = r07.evaluate(withPft(eligible(), { preserved: 'false' }), context('order-sign', {}, { fvcPercentPredictedMin: 78, fev1PercentPredictedMin: 63 }));
    expect(f?.detail.join('\n')).toContain('(studied: FVC > 78% and FEV1 > 63%)');
  });

  it('either gate unknown → info, listing what was not assessed', () => {
    const f = r07.evaluate(withOx(eligible(), { spo2: [], respiratoryInsufficiency: 'unknown', reasons: ['no SpO2/PaO2 in the last 7 days'] }), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.detail.join('\n')).toContain('Respiratory insufficiency not assessed: no SpO2/PaO2 in the last 7 days');

    const g = r07.evaluate(withPft(eligible(), { fvcPercentPredicted: undefined, fev1PercentPredicted: undefined, absoluteOnly: true, preserved: 'unknown' }), context('order-sign'));
    expectWellFormed(g);
    expect(g.indicator).toBe('info');
    expect(g.detail.join('\n')).toContain('Only absolute FVC/FEV1');

    const h = r07.evaluate(withPft(eligible(), { fev1PercentPredicted: undefined, preserved: 'unknown' }), context('order-sign'))!;
    expect(h.detail.join('\n')).toContain(`Lung function not assessed: FVC 85% predicted, ${daysAgo(30)} (30 days ago); FEV1 % predicted missing, both needed within 90 days`);
    const none = r07.evaluate(withPft(eligible(), { fvcPercentPredicted: undefined, fev1PercentPredicted: undefined, preserved: 'unknown' }), context('order-sign'))!;
    expect(none.detail.join('\n')).toContain('Lung function not assessed: no FVC or FEV1 % predicted within 90 days');
  });

  it('unavailable domains say the data could not be read (unknown ≠ normal)', () => {
    const f = r07.evaluate(
      withPft(withOx(eligible(), { spo2: [], respiratoryInsufficiency: 'unknown', reasons: [], domain: 'unavailable' }), { preserved: 'unknown', domain: 'unavailable' }),
      context('order-sign'),
    );
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.detail.join('\n')).toContain('Oxygenation data could not be read');
    expect(f.detail.join('\n')).toContain('PFT results could not be read');
  });

  it('pregnant → warning with the test and its date; pregnancy unknown alone → no card (COP-R19 asks for the test, decision 20)', () => {
    const yes = r07.evaluate(withPregnancy(eligible(), { status: 'yes', evidence: { text: 'pregnant', date: daysAgo(3), ageDays: 3 }, domain: 'available' }), context('order-sign'));
    expectWellFormed(yes);
    expect(yes.indicator).toBe('warning');
    expect(yes.summary).toContain('pregnant');
    expect(yes.detail.join('\n')).toContain(`Pregnancy status: pregnant, ${daysAgo(3)} (3 days ago): not studied in pregnancy.`);

    expect(r07.evaluate(withPregnancy(eligible(), { status: 'unknown', domain: 'available' }), context('order-sign'))).toBeUndefined();

    expect(r07.evaluate(withPregnancy(eligible(), { status: 'no', domain: 'available' }), context('order-sign'))).toBeUndefined();
  });

  it('highest indicator wins and every reason is listed', () => {
    const f = r07.evaluate(withPregnancy(respiratoryFailure(withPft(eligible(), { preserved: 'unknown', fev1PercentPredicted: undefined })), { status: 'unknown', domain: 'available' }), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    const reasons = f.detail.find((d) => d.startsWith('- '));
    // Two reasons, and a pointer (not a repeat) for the unknown pregnancy status.
    expect(reasons?.split('\n')).toHaveLength(3);
    expect(reasons?.split('\n')[2]).toBe('- Pregnancy status unknown (see the pregnancy safety card).');
    expect(f.summary).not.toContain('pregnancy');
  });

  it('longest variant: every gate fails (low PaO2 and SpO2 on oxygen, a respiratory-failure condition, reduced PFTs of different days, pregnant) → still a short card', () => {
    const base = respiratoryFailure(eligible());
    const f = withPregnancy(
      withPft(withOx(base, {
        spo2: [{ value: 89, unit: '%', date: '2026-11-24T23:30:00-05:00', ageDays: 1, reference: 'Observation/spo2', onSupplementalOxygen: true }],
        respiratoryFailureConditions: [{ system: 'http://snomed.info/sct', code: '65710008', display: 'Acute respiratory failure', date: daysAgo(3), ageDays: 3, reference: 'Condition/rf' }],
      }), {
        fvcPercentPredicted: { value: 62, unit: '%', date: daysAgo(12), ageDays: 12, reference: 'Observation/fvc' },
        fev1PercentPredicted: { value: 58, unit: '%', date: daysAgo(40), ageDays: 40, reference: 'Observation/fev1' },
        preserved: 'false',
      }),
      { status: 'yes', domain: 'available', evidence: { text: 'pregnant', date: daysAgo(31), ageDays: 31, reference: 'Observation/preg' } },
    );
    const finding = r07.evaluate(f, context('order-sign'));
    expect(finding?.indicator).toBe('warning');
    expect(finding?.detail[0]?.split('\n')).toHaveLength(3);
    expectShortReadableCard(finding);
    expectShortReadableCard(r07.evaluate(withOx(eligible(), { spo2: [], respiratoryInsufficiency: 'unknown', domain: 'unavailable' }), context('order-sign')));
  });

  it('order-select: fires when the selected draft is clarithromycin, not when a GC is selected', () => {
    const selectedCla = respiratoryFailure(eligible([clarithromycinDraft({ selected: true })]));
    expect(r07.evaluate(selectedCla, context('order-select'))?.indicator).toBe('warning');

    const selectedGc = respiratoryFailure(eligible([prednisoneDraft({ selected: true }), clarithromycinDraft({ selected: false })]));
    expect(r07.evaluate(selectedGc, context('order-select'))).toBeUndefined();
    // The same drafts at sign are judged as a whole.
    expect(r07.evaluate(selectedGc, context('order-sign'))?.indicator).toBe('warning');
  });

  it('no clarithromycin draft, patient-view, or P-COP false (matrix #14) → no card', () => {
    expect(r07.evaluate(respiratoryFailure(eligible([prednisoneDraft()])), context('order-sign'))).toBeUndefined();
    expect(r07.evaluate(respiratoryFailure(eligible()), context('patient-view'))).toBeUndefined();
    const noCop = { ...respiratoryFailure(eligible()), cop: { present: false, whoIcdOnly: true, relapseRecords: 0, domain: 'available' as const } };
    expect(r07.evaluate(noCop, context('order-sign'))).toBeUndefined();
  });
});
