import type { Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { createdResource } from '../../../test/fixtures/findings.js';
import { baseFacts, conditionFact, context, daysAgo, facts, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { BloodPressureFact, PatientFacts } from '../facts-types.js';
import { r13 } from './r13-blood-pressure.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const sign = context('order-sign');


function withBp(bp: Partial<BloodPressureFact>): PatientFacts {
  return facts({
    medications: { ...baseFacts().medications, drafts: [prednisoneDraft({ plannedDurationDays: 168 })] },
    bloodPressure: { ...baseFacts().bloodPressure, ...bp },
  });
}

const reading = (systolic: number | undefined, diastolic: number | undefined, ageDays = 3) =>
  ({ systolic, diastolic, date: daysAgo(ageDays), ageDays, reference: 'Observation/bp1' });

describe('COP-R13 blood pressure: scope', () => {
  it('order-sign only, P-COP with a drafted glucocorticoid', () => {
    const f = withBp({});
    expect(r13.evaluate(f, sign)).toBeDefined();
    expect(r13.evaluate(f, context('patient-view'))).toBeUndefined();
    expect(r13.evaluate(f, context('order-select'))).toBeUndefined();
    expect(r13.evaluate({ ...f, medications: baseFacts().medications }, sign)).toBeUndefined();
    expect(r13.evaluate({ ...f, cop: { ...f.cop, present: false } }, sign)).toBeUndefined();
  });
});

describe('COP-R13 blood pressure: no recent reading', () => {
  it('none: info + Task "Measure blood pressure"', () => {
    const f = r13.evaluate(withBp({}), sign);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.evidence).toEqual([{ label: 'Blood pressure (last 30 days)', value: 'none' }]);
    expect(f.citations).toEqual(['STEROID-TOXICITY']);
    expect(f.summary.length).toBeLessThan(140);
    const task = createdResource<Task>(f);
    expect(task).toMatchObject({ resourceType: 'Task', description: 'Measure blood pressure', for: { reference: 'Patient/pat-1' } });
  });

  it('a reading 30 days old is recent; 31 days old is not', () => {
    expect(r13.evaluate(withBp({ latest: reading(120, 80, 30) }), sign)).toBeUndefined();
    expect(r13.evaluate(withBp({ latest: reading(120, 80, 31) }), sign)?.suggestions).toHaveLength(1);
  });

  it('a panel without systolic or diastolic is no reading', () => {
    expect(r13.evaluate(withBp({ latest: reading(undefined, undefined) }), sign)?.suggestions).toHaveLength(1);
  });
});

describe('COP-R13 blood pressure: raised or hypertension → monitor', () => {
  it.each([
    [139, 89, false],
    [140, 89, true],
    [139, 90, true],
    [141, 91, true],
  ])('%s/%s mmHg → card %s', (sys, dia, fires) => {
    const f = r13.evaluate(withBp({ latest: reading(sys, dia) }), sign);
    expect(f !== undefined).toBe(fires);
    if (f) {
      expect(f.summary).toContain('monitor BP during glucocorticoid therapy');
      expect(f.suggestions).toBeUndefined();
      expect(f.evidence[0]).toMatchObject({ label: 'Blood pressure', value: `${sys}/${dia} mmHg`, ageDays: 3 });
      expect(f.summary).toBe(`BP ${sys}/${dia} mmHg (≥ 140/90): monitor BP during glucocorticoid therapy.`);
      expect(f.detail[0]).toBe('Raised: systolic ≥ 140 or diastolic ≥ 90 mmHg.');
    }
  });

  it('only one component present is still compared', () => {
    expect(r13.evaluate(withBp({ latest: reading(145, undefined) }), sign)).toBeDefined();
  });

  it('cut-offs come from context.thresholds', () => {
    expect(r13.evaluate(withBp({ latest: reading(135, 80) }), context('order-sign', {}, { systolicHighMmHg: 130 }))).toBeDefined();
  });

  it('a hypertension condition with a normal reading: monitor, no Task', () => {
    const f = r13.evaluate(withBp({ latest: reading(120, 70), hypertensionConditions: [conditionFact('38341003', 'Hypertensive disorder')] }), sign)!;
    expect(f.summary).toBe('Hypertension recorded: monitor BP during glucocorticoid therapy.');
    expect(f.suggestions).toBeUndefined();
  });

  it('a hypertension condition and no reading: monitor, plus the Task', () => {
    const f = r13.evaluate(withBp({ hypertensionConditions: [conditionFact('38341003', 'Hypertensive disorder')] }), sign)!;
    expect(f.summary).toContain('monitor BP');
    expect(f.suggestions).toHaveLength(1);
    expect(f.detail).toContain('No blood pressure in the last 30 days: measure it before glucocorticoid therapy.');
    expect(f.evidence).toContainEqual(expect.objectContaining({ label: 'Hypertensive disorder', value: 'recorded' }));
  });
});

describe('COP-R13 blood pressure: observations unavailable', () => {
  it('says BP was not assessed, with no Task', () => {
    const f = r13.evaluate(withBp({ domain: 'unavailable' }), sign);
    expectWellFormed(f);
    expect(f.summary).toContain('not assessed');
    expect(f.suggestions).toBeUndefined();
  });
});

describe('COP-R13: the longest card stays short (decisions 19, 20)', () => {
  const htn = [conditionFact('38341003', 'Hypertensive disorder, systemic arterial', 2000), conditionFact('59621000', 'Essential hypertension', 900)];

  it('a raised reading and two hypertension conditions', () => {
    const f = r13.evaluate(withBp({ latest: reading(168, 104), hypertensionConditions: htn }), sign);
    expectWellFormed(f);
    expectShortReadableCard(f);
  });

  it('no reading, hypertension recorded: monitor and measure', () => {
    const f = r13.evaluate(withBp({ hypertensionConditions: htn }), sign);
    expectWellFormed(f);
    expectShortReadableCard(f);
  });
});
