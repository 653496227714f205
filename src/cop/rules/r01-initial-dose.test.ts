import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MedicationRequest } from 'fhir/r4.js';
import {
  activePrednisone, clarithromycinDraft, clarithromycinEligible, context, daysAgo, facts, prednisoneDraft, weightFact,
} from '../../../test/fixtures/facts.js';
import type { PatientFacts } from '../facts-types.js';
import type { Finding, FindingAction } from '../rule-types.js';
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
    expect(finding?.summary).toBe('COP: suggested prednisone 45 mg once daily (0.75 mg/kg x 60 kg); usual 30-60 mg');
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
    expect(mr.note?.[0]?.text).toContain(`Observation/w1, ${daysAgo(5)}`);
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
    ])('%f kg: card line, suggestion label and sequenced order agree: %j', (kg, steps, line) => {
      const finding = evaluate(withDraft({ weight: weightFact(kg, 5) }));
      expect(finding?.detail).toContain(`Optional sequenced taper: ${line}.`);
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
    expect(finding?.summary).toBe('COP: suggested prednisone 45 mg once daily (0.75 mg/kg x 59.9 kg); usual 30-60 mg');
    expect(doses(updated(finding, 0))).toEqual([45]);
    expect(finding?.evidence.find((e) => e.label === 'Weight')?.value).toBe('59.9 kg (recorded as 132 [lb_av])');
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
    expect(finding?.summary).toBe('COP: suggested prednisone 60 mg once daily (capped; 0.75 mg/kg x 100 kg); usual 50-60 mg');
    expect(finding?.detail.join('\n')).toContain('= 75 mg -> 60 mg (capped at 60 mg/day)');
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
    expect(finding?.summary).toContain('(0.5 mg/kg x 60 kg)');
  });

  describe('weight freshness (decision 9: 30 d fresh, 31 d stale)', () => {
    it('30 days old (fresh) → info', () => {
      expect(evaluate(withDraft({ weight: weightFact(60, 30, 'fresh') }))?.indicator).toBe('info');
    });

    it('31 days old (stale) → warning with the age in the summary', () => {
      const finding = evaluate(withDraft({ weight: weightFact(60, 31, 'stale') }));
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Weight is 31 days old – confirm before ordering');
    });

    it('matrix #5: 45 days old → warning, summary states the age, dose still suggested', () => {
      const finding = evaluate(withDraft({ weight: weightFact(60, 45, 'stale') }));
      expect(finding?.indicator).toBe('warning');
      expect(finding?.summary).toBe('Weight is 45 days old – confirm before ordering');
      expect(finding?.detail.join('\n')).toContain('Weight is 45 days old (fresh is ≤ 30 d)');
      expect(doses(updated(finding, 0))).toEqual([45]);
    });

    it('names the inpatient freshness window on an inpatient stale weight', () => {
      const finding = evaluate(withDraft({ inpatient: true, weight: weightFact(60, 8, 'stale') }));
      expect(finding?.detail.join('\n')).toContain('fresh is ≤ 7 d');
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

  describe('detail (§2.4)', () => {
    it('states range, taper, Lazor lines and no banned figures', () => {
      const detail = evaluate(withDraft())!.detail.join('\n');
      expect(detail).toContain('Usual start 0.5-1.0 mg/kg/day (30-60 mg for this weight, at most 60 mg/day)');
      expect(detail).toContain('total ~6-12 months');
      expect(detail).toContain('Delayed treatment was associated with more relapses');
      expect(detail).toContain('standardised taper lowered cumulative dose without worse outcomes (Lazor 2000)');
      expect(detail).toContain('45 mg x 4 weeks → 30 mg x 4 weeks → 20 mg x 4 weeks → 10 mg x 6 weeks → 5 mg x 6 weeks');
      expect(detail).not.toMatch(/88.100%|up to 31%|ATS/);
    });

    it('evidence carries the weight with date and age, the diagnosis and the selected order', () => {
      const evidence = evaluate(withDraft())!.evidence;
      expect(evidence[0]).toEqual({ label: 'Weight', value: '60.0 kg', date: daysAgo(5), ageDays: 5, reference: 'Observation/w1' });
      expect(evidence.map((e) => e.label)).toEqual(['Weight', 'Age', 'COP diagnosis', 'Selected order']);
    });

    it('matrix #10: no SpO2 within 7 d → "not assessed" line', () => {
      expect(evaluate(withDraft())!.detail).toContain(
        'Clarithromycin option not assessed: missing recent SpO2/PaO2 ≤7 d; FVC%/FEV1% predicted ≤90 d.',
      );
    });

    it('matrix #9: gates met → no "not assessed" line (R06 carries the option)', () => {
      const detail = evaluate(clarithromycinEligible())!.detail.join('\n');
      expect(detail).not.toContain('Clarithromycin option not assessed');
      expect(detail).not.toContain('not applicable');
    });

    it('explains a failed gate instead of calling it unassessed', () => {
      const detail = evaluate(withDraft({ pregnancy: { status: 'yes', domain: 'available' } }))!.detail.join('\n');
      expect(detail).toContain('Clarithromycin alternative not applicable: pregnant.');
      expect(detail).not.toContain('not assessed');
    });
  });

  describe('formulary and intent', () => {
    it('uk → prednisolone 5 mg tablets, no RxNorm', () => {
      const finding = evaluate(withDraft(), context('order-select', { formulary: 'uk' }));
      expect(finding?.summary).toContain('suggested prednisolone 45 mg');
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
