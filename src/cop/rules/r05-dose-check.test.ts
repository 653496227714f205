import { describe, expect, it } from 'vitest';
import { activePrednisone, context, daysAgo, facts, prednisoneDraft, weightFact } from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import type { HookName } from '../rule-types.js';
import { cardTextProblems } from '../../../test/fixtures/card-corpus.js';
import { renderCard } from '../cards.js';
import { r05, ratioText } from './r05-dose-check.js';

/** A prednisone draft of `mg` mg/day (PredEq = mg), optionally with its initial-phase length. */
const draftOf = (mg: number, overrides: Partial<MedicationFact> = {}): MedicationFact =>
  prednisoneDraft({ dailyDose: { mgPerDay: mg, prednisoneEquivalentMgPerDay: mg, derivation: `${mg} mg once daily = ${mg} mg/day` }, ...overrides });

const patient = (kg: number, drafts: MedicationFact[], overrides: Partial<PatientFacts> = {}): PatientFacts =>
  facts({ weight: weightFact(kg, 5), medications: { active: [], drafts, macrolideAllergy: 'absent', domain: 'available' }, ...overrides });

const check = (kg: number, drafts: MedicationFact[], hook: HookName = 'order-sign', overrides: Partial<PatientFacts> = {}) =>
  r05.evaluate(patient(kg, drafts, overrides), context(hook));

describe('COP-R05 dose and duration check', () => {
  describe('mg/kg range at 60 kg (0.49 / 0.5 / 1.0 / 1.01)', () => {
    it('0.49 mg/kg (29.4 mg) → info below range', () => {
      const finding = check(60, [draftOf(29.4)]);
      expect(finding).toMatchObject({ ruleId: 'COP-R05', indicator: 'info' });
      expect(finding?.summary).toBe('Drafted dose 29.4 mg/day = 0.49 mg/kg; typical COP starting range 0.5–1.0 mg/kg/day');
      expect(finding?.detail[0]).toContain('below the 0.5–1.0 mg/kg/day range');
    });
    it('0.5 mg/kg (30 mg) → no card', () => expect(check(60, [draftOf(30)])).toBeUndefined());
    it('0.75 mg/kg (45 mg) → no card', () => expect(check(60, [draftOf(45)])).toBeUndefined());
    it('1.0 mg/kg (60 mg) → no card', () => expect(check(60, [draftOf(60)])).toBeUndefined());
  });

  describe('mg/kg above range without the cap (50 kg)', () => {
    it('1.0 mg/kg (50 mg) → no card', () => expect(check(50, [draftOf(50)])).toBeUndefined());
    it('1.01 mg/kg (50.5 mg) → warning', () => {
      const finding = check(50, [draftOf(50.5)]);
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Drafted dose 50.5 mg/day = 1.01 mg/kg; typical COP starting range 0.5–1.0 mg/kg/day');
      expect(finding?.detail[0]).toContain('above 1.0 mg/kg/day');
      expect(finding?.detail[0]).not.toContain('cap');
    });
  });

  describe('60 mg/day cap at 100 kg (r = 0.6)', () => {
    it('60 mg → no card', () => expect(check(100, [draftOf(60)])).toBeUndefined());
    it('60.1 mg → warning for the cap alone', () => {
      const finding = check(100, [draftOf(60.1)]);
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Drafted dose 60.1 mg/day = 0.60 mg/kg, above the 60 mg/day cap; typical COP starting range 0.5–1.0 mg/kg/day');
      expect(finding?.summary.length).toBeLessThan(140);
    });
  });

  it('both above range and cap → one warning card naming both', () => {
    const finding = check(60, [draftOf(80)]);
    expect(finding?.indicator).toBe('warning');
    expect(finding?.detail[0]).toBe(
      '- prednisone 20 MG Oral Tablet: 80 mg/day = 1.33 mg/kg for 60.0 kg: above 1.0 mg/kg/day; above the 60 mg/day cap.',
    );
  });

  describe('initial phase longer than 8 weeks at ≥ 0.5 mg/kg', () => {
    it('56 days → no card', () => expect(check(60, [draftOf(45, { initialPhaseDays: 56 })])).toBeUndefined());
    it('57 days → info', () => {
      const finding = check(60, [draftOf(45, { initialPhaseDays: 57 })]);
      expect(finding?.indicator).toBe('info');
      expect(finding?.summary).toBe('Drafted initial phase 57 days at 0.75 mg/kg exceeds 8 weeks; taper after the initial phase');
    });
    it('84 days at 0.49 mg/kg → only the below-range info (duration rule needs ≥ 0.5 mg/kg)', () => {
      const finding = check(60, [draftOf(29.4, { initialPhaseDays: 84 })]);
      expect(finding?.detail[0]).not.toContain('initial phase');
    });
    it('84 days at 0.5 mg/kg → info', () => {
      expect(check(60, [draftOf(30, { initialPhaseDays: 84 })])?.detail[0]).toContain('initial phase 12 weeks, over 8 weeks');
    });
    it('uses the configured weeks', () => {
      const f = patient(60, [draftOf(45, { initialPhaseDays: 57 })]);
      expect(r05.evaluate(f, context('order-sign', {}, { maxInitialPhaseWeeks: 10 }))).toBeUndefined();
    });
  });

  it('converts other glucocorticoids through PredEq (methylprednisolone 56 mg = 70 mg PredEq)', () => {
    const methylpred = prednisoneDraft({
      name: 'methylprednisolone 4 MG Oral Tablet', glucocorticoid: 'methylprednisolone',
      dailyDose: { mgPerDay: 56, prednisoneEquivalentMgPerDay: 70, derivation: '14 x 4 mg tablets once daily = 56 mg/day' },
    });
    const finding = check(60, [methylpred]);
    expect(finding?.indicator).toBe('warning');
    expect(finding?.summary).toContain('Drafted dose 56 mg/day (70 mg/day PredEq) = 1.17 mg/kg, above the 60 mg/day cap');
  });

  describe('unknown dose', () => {
    const unknownDose = prednisoneDraft({ dailyDose: undefined, doseUnknownReason: 'tablet count without a recognised strength' });
    it('order-sign → info: dose could not be derived, not checked', () => {
      const finding = check(60, [unknownDose]);
      expect(finding?.indicator).toBe('info');
      expect(finding?.summary).toBe(
        'Drafted glucocorticoid dose could not be derived; check it against the typical COP starting range 0.5–1.0 mg/kg/day',
      );
      expect(finding?.detail[0]).toContain('daily dose could not be derived (tablet count without a recognised strength)');
    });
    it('order-select → silent (no dose entered yet)', () => expect(check(60, [unknownDose], 'order-select')).toBeUndefined());
  });

  describe('hooks and drafts', () => {
    it('order-select checks the selected draft once it has a dose', () => {
      expect(check(60, [draftOf(80)], 'order-select')?.indicator).toBe('warning');
    });
    it('order-select ignores drafts that are not selected', () => {
      expect(check(60, [draftOf(80, { selected: false })], 'order-select')).toBeUndefined();
    });
    it('order-sign checks every draft; the worst sets the indicator and summary', () => {
      const finding = check(60, [draftOf(25), draftOf(80, { id: 'd2', reference: 'MedicationRequest/d2' })]);
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toContain('80 mg/day');
      expect(finding?.detail.filter((l) => l.startsWith('- '))).toHaveLength(2);
    });
    it('patient-view → no card', () => expect(check(60, [draftOf(80)], 'patient-view')).toBeUndefined());
  });

  describe('does not fire', () => {
    it.each([
      // Decision 16: without a weight only the cap is checked, so a dose within it gives no card.
      ['weight absent (R02 covers it), dose within the cap', { weight: weightFact(60, 120, 'absent') }, 50],
      ['weight invalid, dose within the cap', { weight: weightFact(60, 1, 'invalid') }, 50],
      ['not adult (R03)', { age: { status: 'known' as const, years: 17 } }, 80],
      ['no P-COP', { cop: { ...facts().cop, present: false } }, 80],
    ])('%s', (_name, overrides, mg) => {
      expect(check(60, [draftOf(mg)], 'order-sign', overrides as Partial<PatientFacts>)).toBeUndefined();
    });
    it('no GC draft', () => expect(check(60, [])).toBeUndefined());
  });

  describe('the daily cap needs no weight (decision 16)', () => {
    const noWeight = { weight: weightFact(60, 120, 'absent') } as Partial<PatientFacts>;
    it('prednisone 100 mg/day, no usable weight → warning for the cap, mg/kg not checked', () => {
      const finding = check(60, [draftOf(100)], 'order-sign', noWeight);
      expect(finding).toMatchObject({ ruleId: 'COP-R05', indicator: 'warning' });
      expect(finding?.summary).toBe('Drafted dose 100 mg/day is above the 60 mg/day cap: check the dose (no usable weight for mg/kg)');
      expect(finding?.detail[0]).toBe('- prednisone 20 MG Oral Tablet: 100 mg/day: above the 60 mg/day cap.');
      expect(finding?.detail.join('\n')).toContain('Only the 60 mg/day cap was checked: the mg/kg range needs a usable body weight (COP-R02).');
      // One fact, one card: COP-R02 says the weight is not usable.
      expect(finding?.detail.join('\n')).not.toMatch(/No usable body weight/);
      expect(finding?.detail.join('\n')).not.toMatch(/mg\/kg for/);
      // The drafted order and its dose are on its line; there is no weight to list.
      expect(finding?.evidence).toEqual([]);
    });
    it('60 mg/day with no weight → no card', () => expect(check(60, [draftOf(60)], 'order-sign', noWeight)).toBeUndefined());
    it('60.5 mg/day with no weight → warning', () => expect(check(60, [draftOf(60.5)], 'order-sign', noWeight)?.indicator).toBe('warning'));
    it.each(['absent', 'invalid', 'conflicting'] as const)('weight %s → the cap is still checked', (state) => {
      expect(check(60, [draftOf(100)], 'order-sign', { weight: weightFact(60, 1, state) })?.indicator).toBe('warning');
    });
    it('order-select checks the selected draft against the cap without a weight too', () => {
      expect(check(60, [draftOf(100)], 'order-select', noWeight)?.indicator).toBe('warning');
    });
    it('an unknown dose without a weight gives no card (nothing could be checked; COP-R02 asks for the weight)', () => {
      expect(check(60, [prednisoneDraft({ dailyDose: undefined, doseUnknownReason: 'no dose' })], 'order-sign', noWeight)).toBeUndefined();
    });
    it('the cap is the configured one', () => {
      const f = patient(60, [draftOf(50)], noWeight);
      expect(r05.evaluate(f, context('order-sign', {}, { maxDailyDoseMg: 45 }))?.summary).toContain('above the 45 mg/day cap');
    });
  });

  describe('pulse therapy (decision 17)', () => {
    /** IV methylprednisolone `mg` mg once daily for `days` days (PredEq × 1.25). */
    const methylpred = (mg: number, days: number | undefined, overrides: Partial<MedicationFact> = {}): MedicationFact =>
      prednisoneDraft({
        reference: 'MedicationRequest/draft-mp', id: 'draft-mp', name: 'methylprednisolone 500 MG Injection', glucocorticoid: 'methylprednisolone', rxnormCodes: ['6902'],
        dailyDose: { mgPerDay: mg, prednisoneEquivalentMgPerDay: mg * 1.25, derivation: `${mg} mg once daily = ${mg} mg/day` },
        ...(days !== undefined ? { plannedDurationDays: days, initialPhaseDays: days } : {}),
        ...overrides,
      });

    it('IV methylprednisolone 500 mg daily x 3 days → info "pulse therapy", no cap warning', () => {
      const finding = check(70, [methylpred(500, 3)]);
      expect(finding).toMatchObject({ ruleId: 'COP-R05', indicator: 'info' });
      expect(finding?.summary).toBe(
        'Pulse therapy: methylprednisolone 500 mg/day (625 mg/day PredEq) for 3 days; confirm specialist plan (severe or rapidly progressive COP)',
      );
      expect(finding?.summary.length).toBeLessThan(140);
      const detail = finding!.detail.join('\n');
      expect(detail).toContain('500 mg/day (625 mg/day PredEq) for 3 days: pulse therapy, not held to the cap or the mg/kg range.');
      expect(detail).toContain('Pulse therapy is specialist use in severe or rapidly progressive COP.');
      // The pulse definition is on the evidence page; the drafted order is on its line, and a pulse is not judged by the weight.
      expect(r05.background?.join(' ')).toMatch(/250 mg\/day prednisone-equivalent or more, planned for at most 5 days/);
      expect(finding?.evidence).toEqual([]);
      expect(detail).not.toMatch(/above the 60 mg\/day cap|above 1\.0 mg\/kg/);
    });

    it.each([
      // PredEq mg/day, days, pulse?
      [249, 3, false],
      [250, 3, true],
      [250, 5, true],
      [250, 6, false],
    ])('%f mg/day PredEq for %i days → pulse %s', (predEq, days, isPulse) => {
      const finding = check(70, [draftOf(predEq, { plannedDurationDays: days, initialPhaseDays: days })]);
      expect(finding?.indicator).toBe(isPulse ? 'info' : 'warning');
      expect(finding?.summary.startsWith('Pulse therapy')).toBe(isPulse);
      expect(finding?.summary.length).toBeLessThan(140);
    });

    it('250 mg/day for 6 days: the cap warning says it is longer than a pulse', () => {
      const finding = check(70, [draftOf(250, { plannedDurationDays: 6, initialPhaseDays: 6 })]);
      expect(finding?.summary).toBe('Drafted dose 250 mg/day = 3.57 mg/kg, above the 60 mg/day cap; 6 days is longer than a pulse: check dose and duration');
      expect(finding?.detail[0]).toContain('above the 60 mg/day cap; planned 6 days, longer than a pulse.');
    });

    it('a pulse dose with no stated duration is no pulse: the cap warning, saying the duration is unknown', () => {
      const finding = check(70, [methylpred(500, undefined)]);
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Drafted dose 500 mg/day (625 mg/day PredEq) = 8.93 mg/kg, above the 60 mg/day cap; duration unknown: check dose and duration');
      expect(finding?.summary.length).toBeLessThan(140);
      expect(finding?.detail[0]).toContain('no duration stated, so not a pulse');
    });

    it('no usable weight: a pulse is still recognised, and an undated pulse dose still gets the cap warning', () => {
      const noWeight = { weight: weightFact(60, 120, 'absent') } as Partial<PatientFacts>;
      expect(check(70, [methylpred(500, 3)], 'order-sign', noWeight)?.indicator).toBe('info');
      const undated = check(70, [methylpred(500, undefined)], 'order-sign', noWeight);
      expect(undated?.indicator).toBe('warning');
      expect(undated?.summary).toBe('Drafted dose 500 mg/day (625 mg/day PredEq) is above the 60 mg/day cap; duration unknown: check dose and duration');
    });

    it('a pulse drafted with the oral course that follows: the pulse is info, the oral course is checked on its own', () => {
      const oral = draftOf(45, { plannedDurationDays: 28, initialPhaseDays: 28 });
      expect(check(60, [methylpred(500, 3), oral])).toMatchObject({ indicator: 'info', summary: expect.stringMatching(/^Pulse therapy:/) });
      const tooHigh = check(60, [methylpred(500, 3), draftOf(80, { plannedDurationDays: 28 })]);
      expect(tooHigh?.indicator).toBe('warning');
      expect(tooHigh?.summary).toBe('Drafted dose 80 mg/day = 1.33 mg/kg, above the 60 mg/day cap; typical COP starting range 0.5–1.0 mg/kg/day');
      expect(tooHigh?.detail.filter((l) => l.startsWith('- '))).toHaveLength(2);
    });

    it('the pulse thresholds come from context.thresholds', () => {
      const f = patient(70, [methylpred(500, 3)]);
      expect(r05.evaluate(f, context('order-sign', {}, { pulseMaxDays: 2 }))?.indicator).toBe('warning');
      expect(r05.evaluate(f, context('order-sign', {}, { pulseMinPredEqMgPerDay: 700 }))?.indicator).toBe('warning');
    });
  });

  describe('a renewal is checked on its new dose (decision 14)', () => {
    it('a renewal above the cap warns and names the order it renews', () => {
      const active = activePrednisone();
      const renewal = draftOf(80, { priorPrescription: 'MedicationRequest/active-pred' });
      const finding = check(60, [renewal], 'order-sign', { medications: { active: [active], drafts: [renewal], macrolideAllergy: 'absent', domain: 'available' } });
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toContain('80 mg/day');
      expect(finding?.detail[0]).toContain(`Renews prednisone 10 MG Oral Tablet (since ${active.start}, 9 weeks ago).`);
    });
  });

  it('stale weight still allows the check, and the card says the weight is stale (decision 19)', () => {
    const f = patient(60, [draftOf(80)], { weight: weightFact(60, 45, 'stale') });
    const finding = r05.evaluate(f, context('order-sign'));
    expect(finding?.indicator).toBe('warning');
    expect(finding?.detail[0]).toBe('- prednisone 20 MG Oral Tablet: 80 mg/day = 1.33 mg/kg for 60.0 kg (45 days old): above 1.0 mg/kg/day; above the 60 mg/day cap.');
  });

  it('states the typical range with one cited sentence', () => {
    expect(check(60, [draftOf(80)])?.detail).toContain(
      'Typical COP start 0.5–1.0 mg/kg/day (at most 60 mg/day) for up to 8 weeks; cohorts started near 50 mg/day (Lohr 1997).',
    );
  });

  it('offers coded override reasons, no suggestions, the dated weight as evidence, and citations', () => {
    const finding = check(60, [draftOf(80)]);
    expect(finding?.overrideReasons).toEqual([
      { code: 'severe-disease-specialist', display: 'Severe disease – specialist' },
      { code: 'weight-not-representative', display: 'Weight not representative' },
    ]);
    expect(finding?.suggestions).toBeUndefined();
    expect(finding?.evidence[0]).toMatchObject({ label: 'Weight', value: '60.0 kg', ageDays: 5 });
    expect(finding?.evidence).toHaveLength(1);
    expect(finding?.citations.length).toBeGreaterThan(0);
  });

  it('never prints a just-outside ratio as the boundary', () => {
    expect(ratioText(0.4999, DEFAULT_THRESHOLDS)).toBe('0.4999');
    expect(ratioText(29.7 / 60, DEFAULT_THRESHOLDS)).toBe('0.49');
    expect(ratioText(0.5, DEFAULT_THRESHOLDS)).toBe('0.50');
    expect(ratioText(1.004, DEFAULT_THRESHOLDS)).toBe('1.004');
  });
});

describe('COP-R05 card text: the longest realistic variants (decisions 19, 20)', () => {
  const expectShortClinicalCard = (finding: ReturnType<typeof r05.evaluate>) => {
    expect(finding).toBeDefined();
    const card = renderCard(finding!, { newId: () => 'x' });
    expect(card.summary.length).toBeLessThanOrEqual(139);
    expect(card.detail!.length).toBeLessThanOrEqual(600);
    expect(cardTextProblems(card)).toEqual([]);
    return card;
  };
  const methylpredPulse = (): MedicationFact => prednisoneDraft({
    reference: 'MedicationRequest/mp', id: 'mp', name: 'methylPREDNISolone sodium succinate 500 MG Injection', glucocorticoid: 'methylprednisolone',
    dailyDose: { mgPerDay: 500, prednisoneEquivalentMgPerDay: 625, derivation: '500 mg once daily = 500 mg/day' }, plannedDurationDays: 3, initialPhaseDays: 3,
  });

  it('order-sign, stale weight: an IV pulse drafted with the oral course that follows, which renews the active order above the cap', () => {
    const active = activePrednisone({ start: `${daysAgo(200)}T08:00:00Z` });
    const oral = draftOf(80, { name: 'predniSONE 20 MG Oral Tablet', priorPrescription: 'MedicationRequest/active-pred', plannedDurationDays: 70, initialPhaseDays: 70 });
    const drafts = [methylpredPulse(), oral];
    const f = patient(60, drafts, { weight: weightFact(60, 45, 'stale'), medications: { active: [active], drafts, macrolideAllergy: 'absent', domain: 'available' } });
    const card = expectShortClinicalCard(r05.evaluate(f, context('order-sign')));
    expect(card.indicator).toBe('warning');
    expect(card.detail).toContain('for 60.0 kg (45 days old)');
    expect(card.detail).toContain(`Renews prednisone 10 MG Oral Tablet (since ${daysAgo(200)}, 7 months ago).`);
    expect(card.detail).toContain('pulse therapy, not held to the cap');
  });

  it('order-sign, no usable weight: a pulse-level dose with no stated duration', () => {
    const card = expectShortClinicalCard(r05.evaluate(patient(60, [draftOf(300, { name: 'predniSONE 50 MG Oral Tablet' })], { weight: weightFact(60, 120, 'absent') }), context('order-sign')));
    expect(card.detail).toContain('above the 60 mg/day cap; no duration stated, so not a pulse.');
    expect(card.detail).toContain('Only the 60 mg/day cap was checked');
  });

  it('order-sign: two drafts, one below the range with a long initial phase, one whose dose could not be derived', () => {
    const drafts = [
      draftOf(29, { name: 'predniSONE 5 MG Oral Tablet', initialPhaseDays: 84 }),
      prednisoneDraft({ id: 'd3', reference: 'MedicationRequest/d3', name: 'dexamethasone 4 MG Oral Tablet', dailyDose: undefined, doseUnknownReason: 'dose is 3 tablet(s) but the tablet strength is unknown' }),
    ];
    expectShortClinicalCard(r05.evaluate(patient(60, drafts, { weight: weightFact(60, 40, 'stale') }), context('order-sign')));
  });
});
