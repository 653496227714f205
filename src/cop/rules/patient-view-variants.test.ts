/**
 * patient-view variants of the rules that also run on the ordering hooks (decision 5: which rules
 * run on which hook): COP-R01 (untreated reminder), R08, R09, R15, R17, and R10–R13 on an active
 * course (decision 6).
 * The new patient-view-only rules (R16, R18, R20) have their own test files.
 */
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import {
  activePrednisone, baseFacts, clarithromycinDraft, conditionFact, context, daysAgo, facts, prednisoneDraft, weightFact,
} from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { r01 } from './r01-initial-dose.js';
import { r08 } from './r08-secondary-op.js';
import { r09 } from './r09-relapse-risk.js';
import { r10 } from './r10-bone-protection.js';
import { r11 } from './r11-adrenal-suppression.js';
import { r12 } from './r12-glucose.js';
import { r13 } from './r13-blood-pressure.js';
import { r15 } from './r15-baseline-pft.js';
import { r17 } from './r17-prolonged-therapy.js';

const view = context('patient-view');

/** On an active prednisone course of `mg` mg/day for `weeks` weeks (open-ended). */
function onCourse(weeks: number, mg = 40, extra: Partial<PatientFacts> = {}): PatientFacts {
  const start = daysAgo(weeks * 7);
  const base = baseFacts();
  const order = activePrednisone({ start, dailyDose: { mgPerDay: mg, prednisoneEquivalentMgPerDay: mg, derivation: `${mg} mg once daily = ${mg} mg/day` } });
  return facts({ medications: { ...base.medications, active: [order], onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: start }, ...extra });
}

const withActive = (active: MedicationFact[], f: PatientFacts = baseFacts()): PatientFacts =>
  ({ ...f, medications: { ...f.medications, active } });

describe('COP-R01 patient-view: "COP recorded, no treatment ordered"', () => {
  it('untreated adult with COP → info card, no suggestion, weight stated but no dose computed', () => {
    const f = r01.evaluate(baseFacts(), view);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe(`COP recorded ${daysAgo(20)} (20 days ago), no treatment ordered: select a prednisone order to get a weight-based starting dose.`);
    expect(f.suggestions).toBeUndefined();
    expect(f.detail).toEqual([
      'No systemic glucocorticoid or clarithromycin order since the COP began (active or past).',
      'Usual start 0.5–1.0 mg/kg/day prednisone (at most 60 mg/day), tapered over months; delayed treatment was associated with more relapses (Lazor 2000).',
    ]);
    expect(f.detail.join('\n')).not.toMatch(/45 mg/);
    expect(f.citations).toEqual(['LAZOR-2000', 'LOHR-1997', 'CORDIER-2006', 'KING-2022']);
    expect(f.evidence.find((e) => e.label === 'COP diagnosis')).toMatchObject({ date: daysAgo(20) });
    expect(f.evidence.find((e) => e.label === 'Weight')).toMatchObject({ value: '60.0 kg', date: daysAgo(5), ageDays: 5 });
  });

  it('says what to do about a stale, missing or unread weight, and stays info', () => {
    const line = (weight: PatientFacts['weight']) => {
      const f = r01.evaluate(facts({ weight }), view);
      expect(f?.indicator).toBe('info');
      return f?.detail[1];
    };
    expect(line(weightFact(60, 45, 'stale'))).toBe('Weight is 45 days old (fresh ≤ 30 days): re-measure before ordering.');
    expect(r01.evaluate(facts({ weight: weightFact(60, 120, 'absent') }), view)?.summary).toBe(`COP recorded ${daysAgo(20)} (20 days ago), no treatment ordered: record a body weight, then select a prednisone order.`);
    expect(r01.evaluate(facts({ weight: { state: 'absent', domain: 'unavailable' } }), view)?.summary).toBe(`COP recorded ${daysAgo(20)} (20 days ago), no treatment ordered.`);
    const absent = { ...weightFact(60, 120, 'absent'), reason: 'last weight is 120 days old' };
    expect(line(absent)).toBe('No usable body weight: last weight is 120 days old. Record one before ordering.');
    expect(r01.evaluate(facts({ weight: absent }), view)?.evidence).toContainEqual(expect.objectContaining({ label: 'Last weight', value: '60 kg', ageDays: 120 }));
    expect(line({ state: 'absent', domain: 'unavailable' })).toMatch(/could not be read here/);
  });

  it('suppressed while a systemic glucocorticoid or clarithromycin is active', () => {
    expect(r01.evaluate(withActive([activePrednisone()]), view)).toBeUndefined();
    const activeClarithromycin = clarithromycinDraft({ status: 'active', selected: false, reference: 'MedicationRequest/cla-active' });
    expect(r01.evaluate(withActive([activeClarithromycin]), view)).toBeUndefined();
  });

  it('no card for non-adults (COP-R03 speaks), without P-COP, with a GC draft, or when medications are unreadable', () => {
    expect(r01.evaluate(facts({ age: { status: 'known', years: 16 } }), view)).toBeUndefined();
    expect(r01.evaluate(facts({ age: { status: 'unknown', reason: 'no-birth-date' } }), view)).toBeUndefined();
    const b = baseFacts();
    expect(r01.evaluate({ ...b, cop: { ...b.cop, present: false } }, view)).toBeUndefined();
    expect(r01.evaluate({ ...b, medications: { ...b.medications, drafts: [prednisoneDraft()] } }, view)).toBeUndefined();
    expect(r01.evaluate({ ...b, medications: { ...b.medications, domain: 'unavailable' } }, view)).toBeUndefined();
  });

  it('order-sign still has no R01 card', () => {
    expect(r01.evaluate(baseFacts(), context('order-sign'))).toBeUndefined();
  });
});

describe('COP-R08 patient-view', () => {
  it('OP coded as cryptogenic with a CTD on record → warning', () => {
    const f = r08.evaluate(facts({ secondaryCauses: [{ ...conditionFact('69896004', 'Rheumatoid arthritis', 400), kind: 'ctd' }] }), view);
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toMatch(/^OP coded as cryptogenic but Rheumatoid arthritis/);
  });
});

describe('COP-R09 patient-view', () => {
  it('untreated: the interval runs from onset to today, shown as a fact', () => {
    const f = r09.evaluate(baseFacts(), view);
    expectWellFormed(f);
    expect(f.summary).toBe('Symptom onset 10 weeks ago. In one series a longer delay was associated with multiple relapses; plan follow-up.');
    expect(f.detail[0]).toContain('to today, no glucocorticoid started yet: 10 weeks (70 days).');
  });

  it('treated: the interval ends at the first glucocorticoid order of the run', () => {
    const f = r09.evaluate(onCourse(4), view);
    expect(f?.summary).toMatch(/symptom onset 6 weeks before the first glucocorticoid order/i);
  });

  it('no onset and no raised GGT/ALP → nothing to say', () => {
    const b = baseFacts();
    const { onset: _onset, ...noOnset } = b.cop.condition!;
    expect(r09.evaluate({ ...b, cop: { ...b.cop, condition: noOnset } }, view)).toBeUndefined();
  });
});

describe('COP-R15 patient-view', () => {
  it('no PFTs in 90 days → info + PFT order; on treatment the order is for monitoring', () => {
    const untreated = r15.evaluate(baseFacts(), view);
    expectWellFormed(untreated);
    expect(untreated.suggestions).toHaveLength(1);
    const treated = r15.evaluate(onCourse(8), view);
    const sr = treated?.suggestions?.[0]?.actions[0];
    expect(sr?.type === 'create' && JSON.stringify(sr.resource)).toContain('monitor the response');
  });
});

describe('COP-R17 patient-view', () => {
  it.each([
    [52, false],
    [53, true],
  ])('on GC %s weeks → card %s', (weeks, fires) => {
    const f = r17.evaluate(onCourse(weeks, 10), view);
    expect(f !== undefined).toBe(fires);
    if (f) {
      expectWellFormed(f);
      expect(f.indicator).toBe('info');
      expect(f.suggestions).toBeUndefined();
      expect(f.summary).toMatch(/^Glucocorticoid course >12 months/);
      expect(f.detail[0]).toBe('On glucocorticoids for 53 weeks: more than 52 weeks.');
      expect(JSON.stringify(f.evidence)).toContain(daysAgo(371));
      expect(f.citations).toEqual(['LAZOR-2000']);
    }
  });

  it('needs P-COP', () => {
    const f = onCourse(60, 10);
    expect(r17.evaluate({ ...f, cop: { ...f.cop, present: false } }, view)).toBeUndefined();
  });
});

describe('COP-R10 to R13 on patient-view: an active course (decision 6)', () => {
  it.each([
    [3, false],
    [4, true],
  ])('COP-R10 bone protection at P-ON-GC-WEEKS %s → card %s', (weeks, fires) => {
    const f = r10.evaluate(onCourse(weeks), view);
    expect(f !== undefined).toBe(fires);
    if (f) {
      expectWellFormed(f);
      expect(f.detail.join('\n')).toContain('ACR 2022: > 3 months at ≥ 2.5 mg/day');
      expect(JSON.stringify(f.evidence)).toContain(daysAgo(28));
      expect(f.evidence.some((e) => e.label === 'On')).toBe(true);
      expect(f.suggestions?.[0]?.label).toBe('Order calcium + vitamin D');
    }
  });

  it('COP-R10 threshold from context.thresholds; not for non-adults', () => {
    expect(r10.evaluate(onCourse(4), context('patient-view', {}, { boneOnGlucocorticoidMinWeeks: 5 }))).toBeUndefined();
    expect(r10.evaluate(onCourse(8, 40, { age: { status: 'known', years: 16 } }), view)).toBeUndefined();
  });

  it('COP-R11: 40 mg/day for 8 weeks meets the criteria', () => {
    const f = r11.evaluate(onCourse(8), view);
    expectWellFormed(f);
    expect(f.detail[0]).toContain('on 40 mg/day for 8 weeks already');
    expect(f.suggestions).toHaveLength(1);
  });

  it('COP-R11: an active order whose dose is unknown is reported, never assumed low', () => {
    const f = onCourse(8);
    const order = { ...f.medications.active[0]!, dailyDose: undefined, doseUnknownReason: 'dose unit not recognised' };
    delete order.dailyDose;
    const finding = r11.evaluate({ ...f, medications: { ...f.medications, active: [order] } }, view);
    expect(finding?.summary).toBe('Adrenal suppression criteria not assessed: the active glucocorticoid dose could not be derived.');
  });

  it('COP-R12: no HbA1c or glucose → info + HbA1c order during therapy', () => {
    const f = r12.evaluate(onCourse(8), view);
    expectWellFormed(f);
    expect(f.summary).toBe('No HbA1c in 90 days or glucose in 30 days: order an HbA1c during glucocorticoid therapy.');
    expect(f.suggestions?.[0]?.label).toBe('Order HbA1c');
  });

  it('COP-R13: no BP in 30 days → measure BP during therapy', () => {
    const f = r13.evaluate(onCourse(8), view);
    expectWellFormed(f);
    expect(f.summary).toBe('No blood pressure in the last 30 days: measure BP during glucocorticoid therapy.');
  });

  it('no active course, or no P-COP → none of R10–R13', () => {
    const noCop = onCourse(8);
    for (const rule of [r10, r11, r12, r13]) {
      expect(rule.evaluate(baseFacts(), view)).toBeUndefined();
      expect(rule.evaluate({ ...noCop, cop: { ...noCop.cop, present: false } }, view)).toBeUndefined();
      // order-select never runs them, even on an active course.
      expect(rule.evaluate(onCourse(8), context('order-select'))).toBeUndefined();
    }
  });
});
