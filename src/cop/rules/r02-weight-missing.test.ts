import { describe, expect, it } from 'vitest';
import type { Task } from 'fhir/r4.js';
import { clarithromycinDraft, context, daysAgo, facts, prednisoneDraft, weightFact } from '../../../test/fixtures/facts.js';
import type { PatientFacts } from '../facts-types.js';
import type { FindingAction } from '../rule-types.js';
import { cardTextProblems } from '../../../test/fixtures/card-corpus.js';
import { renderCard } from '../cards.js';
import { lastWeightText, r02 } from './r02-weight-missing.js';

const withDraft = (overrides: Partial<PatientFacts> = {}): PatientFacts =>
  facts({ medications: { active: [], drafts: [prednisoneDraft()], macrolideAllergy: 'absent', domain: 'available' }, ...overrides });

const absent120 = (): PatientFacts['weight'] => ({ ...weightFact(60, 120, 'absent'), reason: 'latest weight is 120 days old (> 90 d)' });

describe('COP-R02 weight missing', () => {
  it('matrix #4: weight 120 d old → warning with the last value and a Task, no dose', () => {
    const finding = r02.evaluate(withDraft({ weight: absent120() }), context('order-sign'));
    expect(finding).toMatchObject({ ruleId: 'COP-R02', indicator: 'warning' });
    expect(finding?.summary).toBe(`No usable body weight (last: 60 kg, ${daysAgo(120)}, 4 months ago). Record weight to get a dose suggestion.`);
    expect(finding?.detail).toEqual([
      'No weight-based dose was computed: latest weight is 120 days old (> 90 days).',
      'Usual adult range 0.5–1.0 mg/kg/day; many adults 40–60 mg/day (Lazor 2000; Cordier 2006).',
    ]);
    expect(finding?.evidence).toEqual([
      { label: 'Last weight', value: '60 kg', date: daysAgo(120), ageDays: 120, reference: 'Observation/w1' },
    ]);
    const actions = finding?.suggestions?.flatMap((s) => s.actions) ?? [];
    expect(actions).toHaveLength(1);
    const task = (actions[0] as Extract<FindingAction, { type: 'create' }>).resource as Task;
    expect(task).toMatchObject({
      resourceType: 'Task', status: 'requested', intent: 'order', description: 'Measure body weight',
      code: { text: 'Body weight (LOINC 29463-7)' }, for: { reference: 'Patient/pat-1' },
    });
    expect(JSON.stringify(finding)).not.toContain('MedicationRequest"');
  });

  it('matrix #3 at rule level: unrecognised unit "lbs" → shows the value as recorded', () => {
    const weight: PatientFacts['weight'] = {
      state: 'invalid', reason: 'weight unit not recognised (lbs)', domain: 'available',
      latest: { value: 132, unit: 'lbs', date: daysAgo(2), ageDays: 2, reference: 'Observation/w-lbs' },
    };
    const finding = r02.evaluate(withDraft({ weight }), context('order-select'));
    expect(finding?.summary).toBe(`No usable body weight (last: 132 lbs, ${daysAgo(2)}, 2 days ago). Record weight to get a dose suggestion.`);
    expect(finding?.detail[0]).toBe('No weight-based dose was computed: weight unit not recognised (lbs).');
  });

  it('no weight at all → "last: none"', () => {
    const finding = r02.evaluate(withDraft({ weight: { state: 'absent', domain: 'available', reason: 'no body weight recorded' } }), context('order-sign'));
    expect(finding?.summary).toBe('No usable body weight (last: none). Record weight to get a dose suggestion.');
    expect(finding?.evidence).toEqual([{ label: 'Last weight', value: 'none recorded' }]);
  });

  it('conflicting weights → warning', () => {
    expect(r02.evaluate(withDraft({ weight: weightFact(60, 0, 'conflicting') }), context('order-sign'))?.indicator).toBe('warning');
  });

  it('shows the recorded value of a converted weight, its unit as a person writes it (decision 11)', () => {
    const weight: PatientFacts['weight'] = {
      state: 'absent', domain: 'available',
      latest: { value: 59.9, unit: 'kg', original: { value: 132, unit: '[lb_av]' }, date: daysAgo(100), ageDays: 100 },
    };
    expect(r02.evaluate(withDraft({ weight }), context('order-sign'))?.summary).toContain(`last: 132 lb, ${daysAgo(100)}, 3 months ago`);
  });

  it('keeps the summary under 140 characters even with an absurd unit', () => {
    const weight: PatientFacts['weight'] = {
      state: 'invalid', domain: 'available', latest: { value: 132, unit: 'x'.repeat(120), date: daysAgo(2), ageDays: 2 },
    };
    const finding = r02.evaluate(withDraft({ weight }), context('order-sign'));
    // The unit is cut short on the card (the fallback summary stays for anything longer still).
    expect(finding?.summary).toBe(`No usable body weight (last: 132 ${'x'.repeat(23)}…, ${daysAgo(2)}, 2 days ago). Record weight to get a dose suggestion.`);
  });

  it('uses the configured mg/kg range in the fixed text', () => {
    const finding = r02.evaluate(withDraft({ weight: absent120() }), context('order-sign', {}, { minMgPerKg: 0.6, maxMgPerKg: 0.9 }));
    expect(finding?.detail[1]).toBe('Usual adult range 0.6–0.9 mg/kg/day; many adults 40–60 mg/day (Lazor 2000; Cordier 2006).');
  });

  describe('does not fire', () => {
    it.each([
      ['fresh weight', withDraft(), 'order-sign'],
      ['stale weight (R01 warns instead)', withDraft({ weight: weightFact(60, 45, 'stale') }), 'order-sign'],
      ['on patient-view', withDraft({ weight: absent120() }), 'patient-view'],
      ['without a GC draft', facts({ weight: absent120(), medications: { active: [], drafts: [clarithromycinDraft()], macrolideAllergy: 'absent', domain: 'available' } }), 'order-sign'],
      ['without P-COP', withDraft({ weight: absent120(), cop: { ...facts().cop, present: false } }), 'order-sign'],
      ['for a child (R03 explains)', withDraft({ weight: absent120(), age: { status: 'known', years: 16 } }), 'order-sign'],
      ['when the weight domain could not be read (never inferred)', withDraft({ weight: { state: 'absent', domain: 'unavailable' } }), 'order-sign'],
    ] as const)('%s', (_name, f, hook) => {
      expect(r02.evaluate(f, context(hook))).toBeUndefined();
    });
  });

  it('fires at order-select too', () => {
    expect(r02.evaluate(withDraft({ weight: absent120() }), context('order-select'))?.ruleId).toBe('COP-R02');
  });

  it('formats "last" text', () => {
    expect(lastWeightText(undefined)).toBe('none');
    expect(lastWeightText({ value: 70, unit: 'kg' })).toBe('70 kg, date unknown');
    expect(lastWeightText({ value: 70, unit: 'kg', date: daysAgo(1), ageDays: 1 })).toBe(`70 kg, ${daysAgo(1)}`);
    expect(lastWeightText({ value: 70, unit: 'kg', date: daysAgo(1), ageDays: 1 }, true)).toBe(`70 kg, ${daysAgo(1)}, 1 day ago`);
  });
});

describe('COP-R02 card text: the longest realistic variants (decisions 19, 20)', () => {
  const expectShortClinicalCard = (finding: ReturnType<typeof r02.evaluate>) => {
    expect(finding).toBeDefined();
    const card = renderCard(finding!, { newId: () => 'x' });
    expect(card.summary.length).toBeLessThanOrEqual(139);
    expect(card.detail!.length).toBeLessThanOrEqual(600);
    expect(cardTextProblems(card)).toEqual([]);
    return card;
  };

  it('a unit from another code system, written at length', () => {
    const weight: PatientFacts['weight'] = {
      state: 'invalid', domain: 'available',
      reason: `weight unit "${'pounds avoirdupois (local)'.padEnd(32, '.')}…" (system ${'https://terminology.example.org/fhir/CodeSystem/'.padEnd(80, 'x')}) not recognised: only UCUM units are read; expected a unit of mass such as kg, g, lb or oz`,
      latest: { value: 132, unit: 'pounds avoirdupois (local units of the ward scale)', date: `${daysAgo(3)}T23:10:00-05:00`, ageDays: 3, reference: 'Observation/w-odd' },
    };
    const card = expectShortClinicalCard(r02.evaluate(withDraft({ weight }), context('order-sign')));
    expect(card.detail).toContain('Last weight 132 pounds avoirdupois (loc…');
  });

  it('two weights within 24 hours that disagree, with time stamps in the reason', () => {
    const weight: PatientFacts['weight'] = {
      state: 'conflicting', domain: 'available',
      reason: `weights 72.4 kg (${daysAgo(1)}T08:30:00.000+01:00) and 61.0 kg (${daysAgo(1)}T02:10:00Z) within 24 h differ by more than 10%`,
      latest: { value: 72.4, unit: 'kg', date: `${daysAgo(1)}T08:30:00.000+01:00`, ageDays: 1, reference: 'Observation/w2' },
    };
    const card = expectShortClinicalCard(r02.evaluate(withDraft({ weight }), context('order-select')));
    expect(card.detail).toContain(`weights 72.4 kg (${daysAgo(1)}) and 61.0 kg (${daysAgo(1)}) within 24 hours differ by more than 10%`);
    expect(card.summary).toBe(`No usable body weight (last: 72.4 kg, ${daysAgo(1)}, 1 day ago). Record weight to get a dose suggestion.`);
  });
});
