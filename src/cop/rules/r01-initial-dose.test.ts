import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MedicationRequest } from 'fhir/r4.js';
import {
  activePrednisone, clarithromycinDraft, clarithromycinEligible, context, daysAgo, facts, prednisoneDraft, weightFact,
} from '../../../test/fixtures/facts.js';
import type { PatientFacts } from '../facts-types.js';
import type { Finding, FindingAction } from '../rule-types.js';
import { cardTextProblems } from '../../../test/fixtures/card-corpus.js';
import { renderCard } from '../cards.js';
import type { MedicationFact } from '../facts-types.js';
import { r01 } from './r01-initial-dose.js';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** Matrix defaults: adult COP patient (J84.116), fresh weight, no GC, a prednisone draft selected. */
const withDraft = (overrides: Partial<PatientFacts> = {}): PatientFacts =>
  facts({ medications: { active: [], drafts: [prednisoneDraft()], macrolideAllergy: 'absent', domain: 'available' }, ...overrides });

const evaluate = (f: PatientFacts, ctx = context('order-select')): Finding | undefined => r01.evaluate(f, ctx);

const updated = (finding: Finding | undefined, index: number): MedicationRequest => {
  const action = finding?.suggestions?.[index]?.actions[0] as Extract<FindingAction, { type: 'update' }> | undefined;
  expect(action?.type).toBe('update');
  return action!.resource as MedicationRequest;
};

const doses = (mr: MedicationRequest): number[] =>
  (mr.dosageInstruction ?? []).map((d) => d.doseAndRate?.[0]?.doseQuantity?.value ?? Number.NaN);

const allSuggestedDoses = (finding: Finding | undefined): number[] =>
  (finding?.suggestions ?? []).flatMap((s) => s.actions).flatMap((a) =>
    a.type === 'delete' || a.resource.resourceType !== 'MedicationRequest' ? [] : doses(a.resource as MedicationRequest));

describe('COP-R01 initial dose (order-select)', () => {
  it('matrix #1: 60 kg 5 d ago, no GC → info, 45 mg as 9 x 5 mg (312617)', () => {
    const finding = evaluate(withDraft());
    expect(finding).toMatchObject({ ruleId: 'COP-R01', indicator: 'info' });
    expect(finding?.summary).toBe('COP: suggested starting prednisone 45 mg once daily (0.75 mg/kg × 60 kg); usual range 30–60 mg. Taper over months; total 6–12 months.');
    expect(finding?.citations).toEqual(['LAZOR-2000', 'LOHR-1997', 'CORDIER-2006', 'KING-2022']);
    expect(finding?.overrideReasons).toEqual([
      { code: 'specialist-plan', display: 'Specialist regimen in place' },
      { code: 'observation-mild', display: 'Mild disease – observe' },
    ]);
    const [initial, taper] = finding?.suggestions ?? [];
    expect(initial).toMatchObject({ label: 'Order prednisone 45 mg daily x 4 weeks', isRecommended: true });
    expect(taper).toMatchObject({ isRecommended: false });
    const mr = updated(finding, 0);
    expect(mr).toMatchObject({ id: 'draft-pred', status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-1' } });
    expect(mr.medicationCodeableConcept?.coding?.[0]).toMatchObject({ system: RXNORM, code: '312617' });
    expect(mr.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity).toEqual({ value: 45, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    expect(mr.note?.[0]?.text).toContain(`60.0 kg (weighed ${daysAgo(5)})`);
    expect(mr.supportingInformation).toEqual([{ reference: 'Observation/w1' }]);
  });

  it('matrix #1: the second suggestion updates the same draft to the 24-week taper', () => {
    const mr = updated(evaluate(withDraft()), 1);
    expect(mr.id).toBe('draft-pred');
    expect(doses(mr)).toEqual([45, 30, 20, 10, 5]);
    expect(mr.dispenseRequest?.expectedSupplyDuration?.value).toBe(168);
  });

  describe('the taper never rises (decision 13)', () => {
    it.each([
      [30, [25, 15, 10, 5], '25 mg x 4 weeks → 15 mg x 8 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks'],
      [39.9, [30, 20, 10, 5], '30 mg x 4 weeks → 20 mg x 8 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks'],
      [40, [30, 20, 10, 5], '30 mg x 4 weeks → 20 mg x 8 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks'],
      [53, [40, 25, 20, 10, 5], '40 mg x 4 weeks → 25 mg x 4 weeks → 20 mg x 4 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks'],
      [80, [60, 40, 20, 10, 5], '60 mg x 4 weeks → 40 mg x 4 weeks → 20 mg x 4 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks'],
      [80.1, [60, 40, 20, 10, 5], '60 mg x 4 weeks → 40 mg x 4 weeks → 20 mg x 4 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks'],
      [250, [60, 40, 20, 10, 5], '60 mg x 4 weeks → 40 mg x 4 weeks → 20 mg x 4 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks'],
    ])('%f kg: suggestion label and sequenced order agree: %j (%s)', (kg, steps, _schedule) => {
      const finding = evaluate(withDraft({ weight: weightFact(kg, 5) }));
      expect(finding?.suggestions?.[1]?.label).toBe(`Order prednisone 24-week taper (${steps.join(' → ')} mg)`);
      const mr = updated(finding, 1);
      expect(doses(mr)).toEqual(steps);
      expect(mr.dispenseRequest?.expectedSupplyDuration?.value).toBe(168);
      expect(mr.dosageInstruction?.reduce((n, d) => n + (d.timing?.repeat?.boundsDuration?.value ?? 0), 0)).toBe(168);
      // never above the cap nor above the weight-based starting dose
      expect(Math.max(...doses(mr))).toBe(doses(updated(finding, 0))[0]);
      expect(Math.max(...doses(mr))).toBeLessThanOrEqual(60);
    });

    it('no internal sign-off note on the card', () => {
      const finding = evaluate(withDraft());
      expect(JSON.stringify(finding)).not.toMatch(/sign-off|unconfirmed/i);
    });
  });

  it('matrix #2 at rule level: 59.9 kg (132 [lb_av] converted) → 45 mg', () => {
    const weight = weightFact(59.9, 5);
    weight.kg = { ...weight.kg!, original: { value: 132, unit: '[lb_av]' } };
    const finding = evaluate(withDraft({ weight }));
    expect(finding?.summary).toBe('COP: suggested starting prednisone 45 mg once daily (0.75 mg/kg × 59.9 kg); usual range 30–60 mg. Taper over months; total 6–12 months.');
    expect(doses(updated(finding, 0))).toEqual([45]);
    // Decision 11: the unit as a person writes it.
    expect(finding?.evidence.find((e) => e.label === 'Weight')?.value).toBe('59.9 kg (132 lb)');
    expect(finding?.detail[0]).toContain('0.75 mg/kg × 59.9 kg = 44.9 mg, rounded to 45 mg (9 × 5 mg tablets)');
  });

  it.each([
    [53.3, 40, '312615'],
    [40, 30, '198145'],
    [60, 45, '312617'],
    [80, 60, '312615'],
  ])('%f kg → %i mg in RxNorm %s tablets', (kg, dose, code) => {
    const mr = updated(evaluate(withDraft({ weight: weightFact(kg, 5) })), 0);
    expect(doses(mr)).toEqual([dose]);
    expect(mr.medicationCodeableConcept?.coding?.[0]?.code).toBe(code);
  });

  it('caps at 60 mg/day for 100 kg and says so', () => {
    const finding = evaluate(withDraft({ weight: weightFact(100, 5) }));
    expect(finding?.summary).toBe('COP: suggested starting prednisone 60 mg once daily (capped; 0.75 mg/kg × 100 kg); usual 50–60 mg. Taper over months; total 6–12 months.');
    expect(finding?.detail.join('\n')).toContain('0.75 mg/kg × 100.0 kg = 75 mg, capped at 60 mg/day');
    expect(Math.max(...allSuggestedDoses(finding))).toBe(60);
  });

  it('never suggests more than 60 mg/day and keeps the summary under 140 characters', () => {
    fc.assert(fc.property(fc.double({ min: 30, max: 250, noNaN: true }), fc.double({ min: 0.5, max: 1, noNaN: true }), (kg, mgPerKg) => {
      const finding = evaluate(withDraft({ weight: weightFact(kg, 40, 'stale') }), context('order-select', {}, { mgPerKg }));
      const fresh = evaluate(withDraft({ weight: weightFact(kg, 5) }), context('order-select', {}, { mgPerKg }));
      for (const f of [finding, fresh]) {
        expect(allSuggestedDoses(f).every((d) => d <= 60 && d >= 5)).toBe(true);
        expect(f!.summary.length).toBeLessThan(140);
      }
    }), { numRuns: 200 });
  });

  it('uses the configured mg/kg', () => {
    const finding = evaluate(withDraft(), context('order-select', {}, { mgPerKg: 0.5 }));
    expect(doses(updated(finding, 0))).toEqual([30]);
    expect(finding?.summary).toContain('(0.5 mg/kg × 60 kg)');
  });

  describe('weight freshness (decision 9: 30 d fresh, 31 d stale)', () => {
    it('30 days old (fresh) → info', () => {
      expect(evaluate(withDraft({ weight: weightFact(60, 30, 'fresh') }))?.indicator).toBe('info');
    });

    it('31 days old (stale) → warning with the age in the summary', () => {
      const finding = evaluate(withDraft({ weight: weightFact(60, 31, 'stale') }));
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Weight is 31 days old – confirm before ordering. Suggested starting prednisone 45 mg once daily (0.75 mg/kg × 60 kg).');
    });

    it('matrix #5: 45 days old → warning, summary states the age, dose still suggested', () => {
      const finding = evaluate(withDraft({ weight: weightFact(60, 45, 'stale') }));
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toMatch(/^Weight is 45 days old – confirm before ordering\. /);
      // Decision 19: the card says the weight it used is stale, where it uses it.
      expect(finding?.detail[0]).toContain('0.75 mg/kg × 60.0 kg (45 days old) = 45 mg');
      expect(doses(updated(finding, 0))).toEqual([45]);
    });

    it('an inpatient weight 8 days old is stale: warning, and its age on the card', () => {
      const finding = evaluate(withDraft({ inpatient: true, weight: weightFact(60, 8, 'stale') }));
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toMatch(/^Weight is 8 days old/);
      expect(finding?.detail[0]).toContain('(8 days old)');
    });

    it('matrix #4: 120 days old (absent) → no R01 card', () => {
      expect(evaluate(withDraft({ weight: weightFact(60, 120, 'absent') }))).toBeUndefined();
    });
  });

  describe('low body weight line (< 40 kg)', () => {
    const lowWeightLine = (f: Finding | undefined) => f?.detail.some((l) => l.startsWith('Low body weight (< 40 kg)'));
    it('39.9 kg → line', () => expect(lowWeightLine(evaluate(withDraft({ weight: weightFact(39.9, 5) })))).toBe(true));
    it('40 kg → no line', () => expect(lowWeightLine(evaluate(withDraft({ weight: weightFact(40, 5) })))).toBe(false));
  });

  describe('detail', () => {
    it('states the dose, range, taper and the Lazor sentence, and no banned figures', () => {
      const detail = evaluate(withDraft())!.detail;
      expect(detail[0]).toBe('Start prednisone **45 mg once daily** for 4 weeks, then taper: 0.75 mg/kg × 60.0 kg = 45 mg (9 × 5 mg tablets); usual 0.5–1.0 mg/kg/day.');
      expect(detail).toContain('Delayed treatment was linked to more relapses; a standardised taper cut cumulative dose without worse outcomes (Lazor 2000).');
      expect(detail.join('\n')).not.toMatch(/88.100%|up to 31%|ATS/);
    });

    it('the longer evidence is on the evidence page (background), not on the card', () => {
      expect(r01.background?.join(' ')).toMatch(/22 ± 17 vs 11 ± 8 weeks/);
      expect(r01.background?.join(' ')).toMatch(/Whether and when to treat stays with the clinician/i);
    });

    it('evidence carries the weight with date and age, the diagnosis (dated) and the selected order', () => {
      const evidence = evaluate(withDraft())!.evidence;
      expect(evidence[0]).toEqual({ label: 'Weight', value: '60.0 kg', date: daysAgo(5), ageDays: 5, reference: 'Observation/w1' });
      expect(evidence.map((e) => e.label)).toEqual(['Weight', 'COP diagnosis', 'Selected order']);
      expect(evidence[2]).toEqual({ label: 'Selected order', value: 'prednisone 20 MG Oral Tablet, 20 mg/day', reference: 'MedicationRequest/draft-pred' });
      expect(evidence[1]).toEqual({ label: 'COP diagnosis', value: 'recorded', date: daysAgo(20), ageDays: 20, reference: 'Condition/cop1' });
    });

    it('matrix #10: no SpO2 within 7 d → "not assessed" line', () => {
      expect(evaluate(withDraft())!.detail).toContain(
        'Clarithromycin option not assessed: missing SpO2/PaO2 in 7 days; FVC%/FEV1% predicted in 90 days.',
      );
    });

    it('matrix #9: gates met → no "not assessed" line (R06 carries the option)', () => {
      const detail = evaluate(clarithromycinEligible())!.detail.join('\n');
      expect(detail).not.toContain('Clarithromycin option not assessed');
      expect(detail).not.toContain('ruled out');
    });

    it('explains a failed gate instead of calling it unassessed', () => {
      const detail = evaluate(withDraft({ pregnancy: { status: 'yes', domain: 'available' } }))!.detail.join('\n');
      expect(detail).toContain('Clarithromycin option ruled out: pregnant.');
      expect(detail).not.toContain('not assessed');
    });
  });

  describe('formulary and intent', () => {
    it('uk → prednisolone 5 mg tablets, no RxNorm', () => {
      const finding = evaluate(withDraft(), context('order-select', { formulary: 'uk' }));
      expect(finding?.summary).toContain('suggested starting prednisolone 45 mg');
      const mr = updated(finding, 0);
      expect(mr.medicationCodeableConcept?.text).toBe('prednisolone 5 mg tablets');
      expect(mr.medicationCodeableConcept?.coding?.some((c) => c.system === RXNORM)).toBe(false);
      expect(mr.dispenseRequest?.quantity?.value).toBe(252);
    });

    it('intent comes from the context', () => {
      const finding = evaluate(withDraft(), context('order-select', { medicationRequestIntent: 'proposal' }));
      expect(updated(finding, 0).intent).toBe('proposal');
      expect(updated(finding, 1).intent).toBe('proposal');
    });
  });

  describe('does not fire', () => {
    it.each([
      ['on order-sign', withDraft(), context('order-sign')],
      ['on patient-view (variant comes later)', withDraft(), context('patient-view')],
      ['without P-COP', withDraft({ cop: { ...facts().cop, present: false } }), context('order-select')],
      ['matrix #6: age 16', withDraft({ age: { status: 'known', years: 16 } }), context('order-select')],
      ['matrix #7: no birthDate', withDraft({ age: { status: 'unknown', reason: 'no-birth-date' } }), context('order-select')],
      ['weight conflicting', withDraft({ weight: weightFact(60, 1, 'conflicting') }), context('order-select')],
      ['weight invalid', withDraft({ weight: weightFact(60, 1, 'invalid') }), context('order-select')],
      ['with an active GC (P-GC-ACTIVE)', withDraft({ medications: { active: [activePrednisone()], drafts: [prednisoneDraft()], macrolideAllergy: 'absent', domain: 'available' } }), context('order-select')],
      ['with a second GC draft (R04)', withDraft({ medications: { active: [], drafts: [prednisoneDraft(), prednisoneDraft({ id: 'd2', reference: 'MedicationRequest/d2', selected: false })], macrolideAllergy: 'absent', domain: 'available' } }), context('order-select')],
      ['when the selection is clarithromycin', withDraft({ medications: { active: [], drafts: [clarithromycinDraft()], macrolideAllergy: 'absent', domain: 'available' } }), context('order-select')],
      ['when the GC draft is not the selection', withDraft({ medications: { active: [], drafts: [prednisoneDraft({ selected: false })], macrolideAllergy: 'absent', domain: 'available' } }), context('order-select')],
    ])('%s', (_name, f, ctx) => {
      expect(r01.evaluate(f, ctx)).toBeUndefined();
    });

    it('still fires when a non-GC draft accompanies the selected GC', () => {
      const f = withDraft({ medications: { active: [], drafts: [prednisoneDraft(), clarithromycinDraft({ selected: false })], macrolideAllergy: 'absent', domain: 'available' } });
      expect(evaluate(f)?.ruleId).toBe('COP-R01');
    });
  });

  it('a selected draft without an id → card without suggestions, with a line saying why', () => {
    const draft = prednisoneDraft({ id: undefined, draftResource: undefined });
    const finding = evaluate(withDraft({ medications: { active: [], drafts: [draft], macrolideAllergy: 'absent', domain: 'available' } }));
    expect(finding?.suggestions).toBeUndefined();
    expect(finding?.detail.join('\n')).toContain('has no id');
  });
});

describe('COP-R01 card text: the longest realistic variants (decisions 19, 20)', () => {
  /** The rendered card: detail ≤ 600 characters including the "Data used" line, and nothing a clinician must not read. */
  const expectShortClinicalCard = (finding: Finding | undefined) => {
    expect(finding).toBeDefined();
    const card = renderCard(finding!, { newId: () => 'x' });
    expect(card.summary.length).toBeLessThanOrEqual(139);
    expect(card.detail!.length).toBeLessThanOrEqual(600);
    expect(cardTextProblems(card)).toEqual([]);
    return card;
  };
  const when = (ageDays: number) => ({ date: `${daysAgo(ageDays)}T08:30:00+01:00`, ageDays });

  /** Every clarithromycin gate failing: hypoxaemic on oxygen, reduced PFTs, pregnant, macrolide allergy, an interacting drug. */
  const allGatesFailing = (draft: MedicationFact): Partial<PatientFacts> => ({
    pregnancy: { status: 'yes', domain: 'available' },
    oxygenation: {
      spo2: [{ value: 86, unit: '%', onSupplementalOxygen: true, ...when(1), reference: 'Observation/s1' }],
      pao2: [{ value: 52, unit: 'mm[Hg]', ...when(1), reference: 'Observation/p1' }],
      respiratoryFailureConditions: [], respiratoryInsufficiency: 'present', reasons: [], domain: 'available',
    },
    pft: { fvcPercentPredicted: { value: 61, unit: '%', ...when(10) }, fev1PercentPredicted: { value: 58, unit: '%', ...when(10) }, absoluteOnly: false, preserved: 'false', domain: 'available' },
    medications: {
      active: [{ ...activePrednisone(), reference: 'MedicationRequest/simva', name: 'simvastatin 40 MG Oral Tablet', classes: ['clarithromycin-interacting'] } as MedicationFact],
      drafts: [draft], macrolideAllergy: 'present', domain: 'available',
    },
  });

  it('order-select: stale weight recorded in lb, low body weight, every clarithromycin gate failing (UK)', () => {
    const weight = weightFact(36.3, 45, 'stale');
    weight.kg = { ...weight.kg!, ...when(45), original: { value: 80, unit: '[lb_av]' } };
    const f = withDraft({ inpatient: true, weight, ...allGatesFailing(prednisoneDraft({ name: 'prednisoLONE 5 MG Oral Tablet' })) });
    const finding = evaluate(f, context('order-select', { formulary: 'uk' }));
    expect(finding?.indicator).toBe('warning');
    const card = expectShortClinicalCard(finding);
    expect(card.detail).toContain('0.75 mg/kg × 36.3 kg (45 days old) = 27.2 mg, rounded to 25 mg (5 × 5 mg tablets)');
    expect(card.detail).toContain('Low body weight');
    expect(card.detail).toContain('Clarithromycin option ruled out: respiratory insufficiency present (and 4 more).');
    expect(card.detail).toContain('Weight 36.3 kg (80 lb) (');
  });

  it('order-select: a draft without an id, and every clarithromycin gate unknown', () => {
    const f = withDraft({
      pregnancy: { status: 'unknown', domain: 'available', lastRecorded: { text: 'not pregnant', ...when(95) } },
      oxygenation: { spo2: [], pao2: [], respiratoryFailureConditions: [], respiratoryInsufficiency: 'unknown', reasons: [], domain: 'unavailable' },
      pft: { absoluteOnly: true, preserved: 'unknown', domain: 'available' },
      medications: { active: [], drafts: [prednisoneDraft({ id: undefined, draftResource: undefined })], macrolideAllergy: 'unknown', domain: 'available' },
    });
    const finding = evaluate(f);
    expect(finding?.suggestions).toBeUndefined();
    const card = expectShortClinicalCard(finding);
    expect(card.detail).toContain('has no id');
    expect(card.detail).toMatch(/Clarithromycin option not assessed: missing SpO2\/PaO2 in 7 days; FVC%\/FEV1% predicted in 90 days, and \d more\./);
  });

  it('order-select: several active orders nothing identifies, each with its own reason and a long dosage text', () => {
    const orders = [1, 2, 3, 4].map((n) => activePrednisone({
      reference: `MedicationRequest/u${n}`, id: `u${n}`, name: 'medication not identified', identifiedBy: 'none', classes: [], glucocorticoid: undefined, dailyDose: undefined,
      start: `${daysAgo(30 + n)}T09:15:00Z`, instructions: `${'Take as directed by the clinic, with food, in the morning, '.repeat(2).slice(0, 98)}…`,
      unidentifiedReason: n % 2 === 0 ? 'its medication was not found on the EHR\'s FHIR server' : 'the referenced medication could not be read (HTTP 503 after 2 h)',
    }));
    delete orders[0]!.glucocorticoid;
    const finding = evaluate(withDraft({ medications: { active: orders, drafts: [prednisoneDraft()], macrolideAllergy: 'absent', domain: 'available' } }));
    expect(finding?.summary).toMatch(/^No COP starting dose suggested: 4 active medication orders could not be identified/);
    expect(finding?.suggestions).toBeUndefined();
    const card = expectShortClinicalCard(finding);
    expect(card.detail).toContain('Other unidentified orders 2');
    // The listed orders stay machine-readable in the card extension; the rest are counted.
    expect(finding?.evidence.filter((e) => e.reference?.startsWith('MedicationRequest/u'))).toHaveLength(2);
  });

  it('patient-view: past orders unreadable, a conflicting weight with time stamps, a long diagnosis', () => {
    const b = withDraft();
    const f: PatientFacts = {
      ...b,
      weight: {
        state: 'conflicting', domain: 'available', latest: { value: 72.4, unit: 'kg', ...when(2), reference: 'Observation/w9' },
        reason: `weights 72.4 kg (${daysAgo(2)}T08:30:00+01:00) and 61.0 kg (${daysAgo(2)}T02:10:00+01:00) within 24 h differ by more than 10%`,
      },
      cop: { ...b.cop, condition: { ...b.cop.condition!, code: '719218000', display: 'Cryptogenic organizing pneumonia (disorder), confirmed on biopsy' } },
      medications: { active: [], drafts: [], past: [], pastDomain: 'unavailable', macrolideAllergy: 'absent', domain: 'available' },
    };
    const finding = r01.evaluate(f, context('patient-view'));
    expect(finding?.summary).toMatch(/past orders could not be read/);
    const card = expectShortClinicalCard(finding);
    expect(card.detail).toContain(`weights 72.4 kg (${daysAgo(2)}) and 61.0 kg (${daysAgo(2)}) within 24 hours differ by more than 10%`);
  });
});
