import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { activePrednisone, baseFacts, conditionFact, context, daysAgo, facts, weightFact } from '../../../test/fixtures/facts.js';
import type { ConditionFact, FvcOnRun, PatientFacts } from '../facts-types.js';
import { assessPoorResponse, r16 } from './r16-poor-response.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const view = context('patient-view');


const fvcPoint = (value: number, ageDays: number, runStartAgo: number, loinc = '19872-1'): FvcOnRun => ({
  value, unit: '%', date: daysAgo(ageDays), ageDays, reference: `Observation/fvc-${ageDays}`, loinc, daysFromRunStart: runStartAgo - ageDays,
});

interface Scenario {
  weeks?: number;
  /** Days since the run started; defaults to weeks × 7. */
  runDays?: number;
  mgPerDay?: number;
  initialPhaseDays?: number;
  /** [baseline, on-treatment] FVC % predicted; null leaves one out. */
  fvc?: [number | null, number | null];
  /** Age in days of the on-treatment FVC (default 2). */
  fvcAgeDays?: number;
  spo2?: { value: number; ageDays: number; onOxygen?: boolean };
  relapses?: ConditionFact[];
  weight?: PatientFacts['weight'];
}

function scenario(s: Scenario = {}): PatientFacts {
  const weeks = s.weeks ?? 8;
  const runDays = s.runDays ?? weeks * 7;
  const start = daysAgo(runDays);
  const base = baseFacts();
  const [baseline, now] = s.fvc ?? [70, 70];
  const pft: PatientFacts['pft'] = { ...base.pft };
  if (baseline !== null) pft.fvcBaseline = fvcPoint(baseline, runDays + 3, runDays);
  if (now !== null) pft.fvcOnTreatment = fvcPoint(now, s.fvcAgeDays ?? 2, runDays);
  const oxygenation: PatientFacts['oxygenation'] = s.spo2
    ? {
      ...base.oxygenation,
      spo2: [{ value: s.spo2.value, unit: '%', date: daysAgo(s.spo2.ageDays), ageDays: s.spo2.ageDays, reference: 'Observation/spo2', onSupplementalOxygen: s.spo2.onOxygen ?? false }],
      respiratoryInsufficiency: s.spo2.value < 92 || s.spo2.onOxygen ? 'present' : 'absent',
    }
    : base.oxygenation;
  const mg = s.mgPerDay ?? 40;
  const order = activePrednisone({
    start,
    dailyDose: { mgPerDay: mg, prednisoneEquivalentMgPerDay: mg, derivation: `${mg} mg once daily = ${mg} mg/day` },
    ...(s.initialPhaseDays !== undefined ? { initialPhaseDays: s.initialPhaseDays } : {}),
  });
  const relapses = s.relapses ?? [];
  return facts({
    pft,
    oxygenation,
    weight: s.weight ?? base.weight,
    cop: { ...base.cop, conditions: [...relapses, ...(base.cop.condition ? [base.cop.condition] : [])], relapseRecords: relapses.length },
    medications: { ...base.medications, active: [order], onGlucocorticoidWeeks: weeks, glucocorticoidRunStart: start },
  });
}

const relapse = (ageDays: number): ConditionFact =>
  conditionFact('719218000', 'Cryptogenic organizing pneumonia', ageDays, { clinicalStatus: 'relapse', reference: `Condition/relapse-${ageDays}` });

describe('COP-R16 poor response: matrix #18', () => {
  it('on GC 8 weeks at 40 mg (0.67 mg/kg), FVC % unchanged, P-COP → warning', () => {
    const f = r16.evaluate(scenario(), view);
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toMatch(/^Limited response after 8 weeks of steroids: reconsider diagnosis/);
    expect(f.summary).toMatch(/secondary OP/);
    expect(f.citations).toEqual(['PMID-39703446', 'CTD-OP-2011', 'ZHANG-ATM']);
    expect(f.suggestions).toBeUndefined();
    const detail = f.detail.join('\n');
    expect(detail).toContain(`70% (${daysAgo(59)}) → 70% (${daysAgo(2)}, week 7), 0 points: has not improved by ≥ 5 points`);
    expect(detail).toContain('0.67 mg/kg at 60 kg');
    expect(detail).toMatch(/heuristic/);
    expect(f.detail[1]).toBe(`Starting dose 40 mg/day prednisone-equivalent (${daysAgo(56)}) = 0.67 mg/kg at 60 kg.`);
    // The FVC values and dates are in the criterion line; the data used are the starting order and the weight.
    expect(f.evidence.map((e) => e.label)).toEqual(['Started', 'Weight']);
    expect(f.evidence[0]).toMatchObject({ value: 'prednisone 10 MG Oral Tablet', date: daysAgo(56), ageDays: 56 });
    expect(r16.background!.join('\n')).toContain('20.8% vs 46.1%');
  });

  it('only on patient-view, only for P-COP', () => {
    expect(r16.evaluate(scenario(), context('order-sign'))).toBeUndefined();
    expect(r16.evaluate(scenario(), context('order-select'))).toBeUndefined();
    const noCop = scenario();
    expect(r16.evaluate({ ...noCop, cop: { ...noCop.cop, present: false } }, view)).toBeUndefined();
  });
});

describe('COP-R16 thresholds', () => {
  it.each([
    [5, false],
    [6, true],
  ])('P-ON-GC-WEEKS %s → card %s', (weeks, fires) => {
    // On-treatment FVC today, so that it is at ≥ 6 weeks whenever the run is.
    expect(r16.evaluate(scenario({ weeks, fvcAgeDays: 0 }), view) !== undefined).toBe(fires);
  });

  it.each([
    [74.9, true],
    [75.0, false],
    [75.1, false],
  ])('FVC 70 → %s (improvement just below / at / above 5 points) → card %s', (now, fires) => {
    expect(r16.evaluate(scenario({ fvc: [70, now] }), view) !== undefined).toBe(fires);
  });

  it('a fall in FVC says so', () => {
    const f = r16.evaluate(scenario({ fvc: [70, 64] }), view);
    expect(f?.detail.join('\n')).toContain('-6 points: has fallen');
  });

  it.each([
    [29.5, false],
    [30, true],
  ])('starting dose %s mg at 60 kg (0.5 mg/kg is the floor) → card %s', (mg, fires) => {
    expect(r16.evaluate(scenario({ mgPerDay: mg }), view) !== undefined).toBe(fires);
  });

  it('reads its thresholds from context.thresholds', () => {
    expect(r16.evaluate(scenario(), context('patient-view', {}, { poorResponseWeeks: 9 }))).toBeUndefined();
    expect(r16.evaluate(scenario({ fvc: [70, 73] }), context('patient-view', {}, { poorResponseFvcImprovementPoints: 3 }))).toBeUndefined();
    expect(r16.evaluate(scenario({ mgPerDay: 30 }), context('patient-view', {}, { poorResponseMinMgPerKg: 0.6 }))).toBeUndefined();
  });
});

describe('COP-R16 (a) FVC: missing data', () => {
  it('no baseline FVC → (a) not assessable, said so; no card when nothing else holds', () => {
    expect(r16.evaluate(scenario({ fvc: [null, 70] }), view)).toBeUndefined();
    const f = r16.evaluate(scenario({ fvc: [null, 70], spo2: { value: 88, ageDays: 1 } }), view);
    expect(f?.indicator).toBe('warning');
    expect(f?.detail.join('\n')).toContain('FVC not assessable: no pre-treatment value.');
  });

  it('no FVC since the course started, or only before 6 weeks → not assessable', () => {
    expect(r16.evaluate(scenario({ fvc: [70, null] }), view)).toBeUndefined();
    const early = assessPoorResponse(scenario({ weeks: 8, fvcAgeDays: 30 }), view);
    expect(early.status).toBe('not-met');
    if (early.status !== 'not-applicable') expect(early.fvc.line).toContain('FVC not assessable yet: the latest on treatment was on day 26');
  });

  it('PFTs unreadable → not assessable', () => {
    const f = scenario({ spo2: { value: 88, ageDays: 1 } });
    const a = assessPoorResponse({ ...f, pft: { ...f.pft, domain: 'unavailable' } }, view);
    expect(a.status === 'met' && a.fvc.state).toBe('not-assessable');
  });

  it('a pre- vs post-bronchodilator pair is flagged', () => {
    const f = scenario();
    f.pft.fvcBaseline = { ...f.pft.fvcBaseline!, loinc: '19871-3' };
    expect(r16.evaluate(f, view)?.detail.join('\n')).toContain('pre-bronchodilator');
  });
});

describe('COP-R16 (b) respiratory insufficiency at ≥ 6 weeks', () => {
  it('SpO2 88% at week 8 → warning even with FVC improved', () => {
    const f = r16.evaluate(scenario({ fvc: [60, 75], spo2: { value: 88, ageDays: 1 } }), view);
    expect(f?.indicator).toBe('warning');
    expect(f?.detail.join('\n')).toContain(`Respiratory insufficiency at ≥ 6 weeks: SpO2 88% < 92% (${daysAgo(1)})`);
    // A criterion that is not met is not listed.
    expect(f?.detail.join('\n')).not.toMatch(/FVC % predicted:|Relapse on/);
  });

  it('on supplemental oxygen counts; a reading before week 6 does not', () => {
    expect(r16.evaluate(scenario({ fvc: [60, 75], spo2: { value: 95, ageDays: 1, onOxygen: true } }), view)).toBeDefined();
    // Run started 43 days ago (6 weeks); SpO2 3 days ago = day 40 of treatment.
    expect(r16.evaluate(scenario({ weeks: 6, runDays: 43, fvc: [60, 75], fvcAgeDays: 0, spo2: { value: 88, ageDays: 3 } }), view)).toBeUndefined();
  });
});

describe('COP-R16 (c) relapse while on ≥ 0.5 mg/kg', () => {
  it('a relapse record during the starting-dose phase → warning', () => {
    const f = r16.evaluate(scenario({ fvc: [60, 75], initialPhaseDays: 28, relapses: [relapse(40)] }), view);
    expect(f?.indicator).toBe('warning');
    expect(f?.detail.join('\n')).toContain(`Relapse on ≥ 0.5 mg/kg: relapse ${daysAgo(40)}.`);
  });

  it('a relapse on the taper (after the starting phase) or before the course does not count', () => {
    expect(r16.evaluate(scenario({ fvc: [60, 75], initialPhaseDays: 28, relapses: [relapse(20)] }), view)).toBeUndefined();
    expect(r16.evaluate(scenario({ fvc: [60, 75], relapses: [relapse(100)] }), view)).toBeUndefined();
  });

  it('an open-ended order keeps its starting dose: any relapse during the run counts', () => {
    expect(r16.evaluate(scenario({ fvc: [60, 75], relapses: [relapse(5)] }), view)?.indicator).toBe('warning');
  });
});

describe('COP-R16 starting dose per kg unknown', () => {
  it('no usable weight → info card that says the dose per kg must be checked first', () => {
    const f = r16.evaluate(scenario({ weight: weightFact(60, 120, 'absent') }), view);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.summary).toMatch(/starting dose per kg unknown/);
    expect(f.detail.join('\n')).toContain('no usable body weight (weight absent)');
  });

  it('no card when no criterion holds, whatever the dose', () => {
    expect(r16.evaluate(scenario({ fvc: [60, 75], weight: weightFact(60, 120, 'absent') }), view)).toBeUndefined();
  });
});

describe('COP-R16 longest variant', () => {
  it('all three criteria met (pre-bronchodilator pair, SpO2 on oxygen, a PaO2 and a failure condition, two relapses) → still a short card', () => {
    const f = scenario({ fvc: [70, 64], spo2: { value: 89, ageDays: 1, onOxygen: true }, relapses: [relapse(40), relapse(30)] });
    f.pft.fvcBaseline = { ...f.pft.fvcBaseline!, loinc: '19871-3' };
    f.oxygenation.pao2 = [{ value: 7.2, unit: 'mm[Hg]', original: { value: 7.2, unit: 'kPa' }, date: '2026-11-24T06:00:00+01:00', ageDays: 1, reference: 'Observation/pao2' }];
    f.oxygenation.respiratoryFailureConditions = [conditionFact('65710008', 'Acute respiratory failure', 3, { reference: 'Condition/rf' })];
    const finding = r16.evaluate(f, view);
    expect(finding?.indicator).toBe('warning');
    const detail = finding?.detail.join('\n') ?? '';
    expect(detail).toContain('has fallen');
    expect(detail).toContain('pre-bronchodilator');
    expect(detail).toContain('; 2 more.');
    expect(detail).toContain(`Relapse on ≥ 0.5 mg/kg: relapse ${daysAgo(40)}, ${daysAgo(30)}.`);
    expect(detail).not.toMatch(/mm\[Hg\]/);
    expectShortReadableCard(finding);
    expectShortReadableCard(r16.evaluate(scenario({ weight: weightFact(60, 120, 'absent'), fvc: [null, 70], spo2: { value: 88, ageDays: 1 } }), view));
  });

  it('a course started by two orders on the same day, FVC not assessable, a relapse → still a short card', () => {
    const f = scenario({ fvc: [null, 70], relapses: [relapse(40)] });
    f.medications.active = [
      ...f.medications.active,
      activePrednisone({ id: 'mp', reference: 'MedicationRequest/mp', name: 'methylprednisolone 4 MG Oral Tablet', start: f.medications.glucocorticoidRunStart!, dailyDose: { mgPerDay: 8, prednisoneEquivalentMgPerDay: 10, derivation: '2 x 4 mg tablets once daily = 8 mg/day' } }),
    ];
    const finding = r16.evaluate(f, view);
    expect(finding?.detail[1]).toContain('Starting dose 50 mg/day prednisone-equivalent');
    expect(finding?.evidence.filter((e) => e.label === 'Started')).toHaveLength(2);
    expectShortReadableCard(finding);
  });
});
