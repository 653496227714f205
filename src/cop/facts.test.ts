import type { Observation } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { daysAgo, NOW } from '../../test/fixtures/facts.js';
import {
  allergy, ATC, birthDateForAge, bloodPressure, bundle, condition, copCondition, dailyMg, daysAgoAt, emptyPool,
  encounter, ICD10, ICD10CM, lab, medicationRequest, medicationStatement, observation, pao2, patient,
  percentPredicted, pregnancyStatus, RXNORM, sandboxPrednisoneDraft, serviceRequest, SNOMED, spo2, ucum, weight,
} from '../../test/fixtures/fhir.js';
import { extractFacts } from './facts.js';
import type { FactsInput, PatientFacts, ResourcePool } from './facts-types.js';
import { DEFAULT_THRESHOLDS } from './knowledge.js';

const input: FactsInput = { patientId: 'pat-1', selections: [] };

function factsFor(pool: Partial<ResourcePool>, extra: Partial<FactsInput> = {}): PatientFacts {
  return extractFacts(emptyPool({ patient: patient({ birthDate: '1972-03-01', gender: 'male' }), ...pool }), { ...input, ...extra }, NOW, DEFAULT_THRESHOLDS);
}

describe('demographics', () => {
  it('computes age, sex and P-ADULT boundary 17/18', () => {
    const f = (birthDate: string) => extractFacts(emptyPool({ patient: patient({ birthDate }) }), input, NOW, DEFAULT_THRESHOLDS).age;
    expect(f(birthDateForAge(18))).toEqual({ status: 'known', years: 18 });
    expect(f(birthDateForAge(18, { dayBeforeBirthday: true }))).toEqual({ status: 'known', years: 17 });
    expect(factsFor({}).sex).toBe('male');
  });

  it('is unknown without birthDate or without a Patient; a year-only birthDate gives its range of ages', () => {
    expect(extractFacts(emptyPool({ patient: patient() }), input, NOW, DEFAULT_THRESHOLDS).age).toEqual({ status: 'unknown', reason: 'no-birth-date' });
    expect(extractFacts(emptyPool({ patient: patient({ birthDate: '2008' }) }), input, NOW, DEFAULT_THRESHOLDS).age).toEqual({ status: 'range', minYears: 17, maxYears: 18 });
    const none = extractFacts(emptyPool({ domains: { patient: 'unavailable' } }), input, NOW, DEFAULT_THRESHOLDS);
    expect(none.age).toEqual({ status: 'unknown', reason: 'patient-unavailable' });
    expect(none.sex).toBe('unknown');
    expect(none.patientId).toBe('pat-1');
  });

  it('reads the inpatient flag from Encounter.class (IMP, ACUTE)', () => {
    expect(factsFor({ encounter: encounter('IMP') }).inpatient).toBe(true);
    expect(factsFor({ encounter: encounter('ACUTE') }).inpatient).toBe(true);
    expect(factsFor({ encounter: encounter('AMB') }).inpatient).toBe(false);
    expect(factsFor({}).inpatient).toBe(false);
  });
});

describe('weight (P-WEIGHT)', () => {
  const w = (...observations: Observation[]) => factsFor({ observations }).weight;

  it.each([
    [0, 'fresh'], [30, 'fresh'], [31, 'stale'], [90, 'stale'], [91, 'absent'], [120, 'absent'],
  ])('a weight %i days old is %s', (age, state) => {
    expect(w(weight(60, 'kg', age)).state).toBe(state);
  });

  it('carries value, provenance and age on the used weight', () => {
    const obs = weight(60, 'kg', 5, { id: 'w1' });
    expect(w(obs)).toEqual({
      state: 'fresh',
      kg: { value: 60, unit: 'kg', reference: 'Observation/w1', date: daysAgo(5), ageDays: 5 },
      latest: { value: 60, unit: 'kg', reference: 'Observation/w1', date: daysAgo(5), ageDays: 5 },
      domain: 'available',
    });
  });

  it('shows the last weight when it is too old', () => {
    const fact = w(weight(60, 'kg', 120));
    expect(fact.kg).toBeUndefined();
    expect(fact.latest).toMatchObject({ value: 60, ageDays: 120 });
    expect(fact.reason).toMatch(/120 days old/);
  });

  it('shortens freshness to 7 days for an inpatient encounter', () => {
    const f = (age: number) => factsFor({ encounter: encounter('IMP'), observations: [weight(60, 'kg', age)] }).weight.state;
    expect(f(7)).toBe('fresh');
    expect(f(8)).toBe('stale');
  });

  it.each([
    [29.9, 'invalid'], [30, 'fresh'], [250, 'fresh'], [250.1, 'invalid'],
  ])('plausibility: %f kg is %s', (kg, state) => {
    const fact = w(weight(kg, 'kg', 3));
    expect(fact.state).toBe(state);
    if (state === 'invalid') {
      expect(fact.latest?.value).toBe(kg);
      expect(fact.reason).toMatch(/plausible range/);
    }
  });

  it('converts 132 [lb_av] to 59.9 kg and keeps the original, written as a person does (lb)', () => {
    const fact = w(weight(132, '[lb_av]', 5));
    expect(fact.state).toBe('fresh');
    expect(fact.kg?.value).toBeCloseTo(59.874, 3);
    expect(fact.kg?.value.toFixed(1)).toBe('59.9');
    expect(fact.kg?.original).toEqual({ value: 132, unit: 'lb' });
  });

  it('converts g', () => {
    expect(w(weight(60000, 'g', 5)).kg?.value).toBe(60);
  });

  it('marks `lbs` (non-UCUM) invalid and keeps it as the latest for "last: 150 lbs"', () => {
    const fact = w(weight(150, 'lbs', 4, { system: 'http://example.org/units' }));
    expect(fact.state).toBe('invalid');
    expect(fact.kg).toBeUndefined();
    expect(fact.latest).toMatchObject({ value: 150, unit: 'lbs', date: daysAgo(4), ageDays: 4 });
    expect(fact.reason).toMatch(/"lbs"/);
  });

  it('reads a unit-only weight (no system) in kg, g, lb, lbs or oz, and no other unit text', () => {
    expect(w(weight(60, 'kg', 4, { system: null })).kg?.value).toBe(60);
    expect(w(weight(60, 'kilo', 4, { system: null })).state).toBe('invalid');
  });

  it('is absent with no weight and reports an unavailable domain', () => {
    expect(w()).toEqual({ state: 'absent', reason: 'no body weight recorded', domain: 'available' });
    const unavailable = factsFor({ domains: { weight: 'unavailable' } }).weight;
    expect(unavailable.state).toBe('absent');
    expect(unavailable.domain).toBe('unavailable');
  });

  it('ignores preliminary or cancelled weights and uses the latest final one', () => {
    const fact = w(weight(80, 'kg', 1, { status: 'preliminary' }), weight(60, 'kg', 10, { status: 'amended' }), weight(70, 'kg', 20));
    expect(fact.kg?.value).toBe(60);
  });

  it('finds weights by code whatever prefetch key they came from (mixed with other observations)', () => {
    expect(w(spo2(97, 1), weight(60, 'kg', 2)).kg?.value).toBe(60);
  });

  it('is conflicting when two weights within 24 h differ by more than 10%', () => {
    const a = weight(60, 'kg', 1, { date: daysAgoAt(1, '08:00') });
    expect(w(a, weight(66.1, 'kg', 2, { date: daysAgoAt(2, '09:00') })).state).toBe('conflicting');
    expect(w(a, weight(66, 'kg', 2, { date: daysAgoAt(2, '09:00') })).state).toBe('fresh'); // exactly 10%
    expect(w(a, weight(75, 'kg', 2, { date: daysAgoAt(2, '07:00') })).state).toBe('fresh'); // 25 h apart
    const conflicting = w(a, weight(50, 'kg', 2, { date: daysAgoAt(2, '09:00') }));
    expect(conflicting.latest?.value).toBe(60);
    expect(conflicting.kg).toBeUndefined();
    expect(conflicting.reason).toMatch(/differ by more than 10%/);
  });
});

describe('COP (P-COP)', () => {
  const cop = (...conditions: ReturnType<typeof condition>[]) => factsFor({ conditions }).cop;

  it('accepts ICD-10-CM J84.116 and SNOMED 719218000 / 233713004', () => {
    const fact = cop(copCondition({ id: 'cop1' }));
    expect(fact.present).toBe(true);
    expect(fact.condition).toMatchObject({ system: ICD10CM, code: 'J84.116', clinicalStatus: 'active', reference: 'Condition/cop1', date: daysAgo(20), ageDays: 20 });
    expect(cop(condition({ code: '719218000' })).present).toBe(true);
    expect(cop(condition({ code: '233713004' })).present).toBe(true);
  });

  it.each([['recurrence', true], ['relapse', true], ['resolved', false], ['inactive', false], ['remission', false]])(
    'clinicalStatus %s → present %s', (status, present) => {
      expect(cop(copCondition({ clinicalStatus: status })).present).toBe(present);
    },
  );

  it('excludes refuted and entered-in-error, and a missing clinicalStatus', () => {
    expect(cop(copCondition({ verificationStatus: 'refuted' })).present).toBe(false);
    expect(cop(copCondition({ verificationStatus: 'entered-in-error' })).present).toBe(false);
    expect(cop(copCondition({ verificationStatus: 'provisional' })).present).toBe(true);
    expect(cop(copCondition({ clinicalStatus: null })).present).toBe(false);
  });

  it('counts BOOP only without a secondary cause, but reports it as opCoded either way', () => {
    const boop = condition({ id: 'boop', code: '129458007' });
    expect(cop(boop).present).toBe(true);
    const withRa = cop(boop, condition({ code: '69896004', clinicalStatus: 'inactive' }));
    expect(withRa.present).toBe(false);
    expect(withRa.condition).toBeUndefined();
    expect(withRa.opCoded).toMatchObject({ code: '129458007', reference: 'Condition/boop' });
  });

  it('does not treat WHO ICD-10 J84.x alone as COP', () => {
    const fact = cop(condition({ system: ICD10, code: 'J84.1' }));
    expect(fact).toMatchObject({ present: false, whoIcdOnly: true });
    expect(cop(condition({ system: ICD10, code: 'J84.1' }), copCondition()).whoIcdOnly).toBe(false);
  });

  it('counts relapse records', () => {
    expect(cop(copCondition({ clinicalStatus: 'relapse' }), copCondition({ clinicalStatus: 'recurrence' }), copCondition()).relapseRecords).toBe(2);
  });

  it('reports the conditions domain', () => {
    expect(factsFor({ domains: { conditions: 'unavailable' } }).cop.domain).toBe('unavailable');
  });
});

describe('secondary causes (P-SECONDARY)', () => {
  it.each([
    [SNOMED, '69896004', 'ctd'], [SNOMED, '55464009', 'ctd'], [ICD10CM, 'M05.10', 'ctd'], [ICD10CM, 'M35.02', 'ctd'],
    [ICD10CM, 'M35.1', 'ctd'], [ICD10CM, 'M34.81', 'ctd'], [SNOMED, '363358000', 'malignancy'], [ICD10CM, 'C34.90', 'malignancy'],
    [ICD10, 'C96.9', 'malignancy'], [ICD10CM, 'D46.9', 'malignancy'], [ICD10CM, 'Z85.118', 'malignancy'],
  ])('%s %s is %s', (system, code, kind) => {
    expect(factsFor({ conditions: [condition({ system, code, clinicalStatus: 'resolved' })] }).secondaryCauses).toEqual([
      expect.objectContaining({ code, kind }),
    ]);
  });

  it.each([[ICD10CM, 'M35.3'], [ICD10CM, 'C97'], [ICD10CM, 'D48.1'], [ICD10, 'Z85.1']])('%s %s is not a secondary cause', (system, code) => {
    expect(factsFor({ conditions: [condition({ system, code })] }).secondaryCauses).toEqual([]);
  });

  it('ignores refuted conditions', () => {
    expect(factsFor({ conditions: [condition({ code: '69896004', verificationStatus: 'refuted' })] }).secondaryCauses).toEqual([]);
  });
});

describe('oxygenation (P-RESP-INSUFF)', () => {
  const oxy = (observations: Observation[], extra: Partial<ResourcePool> = {}) => factsFor({ observations, ...extra }).oxygenation;

  it('SpO2 91% is present, 92% room air is absent', () => {
    expect(oxy([spo2(91, 1)]).respiratoryInsufficiency).toBe('present');
    const ok = oxy([spo2(92, 1)]);
    expect(ok.respiratoryInsufficiency).toBe('absent');
    expect(ok.spo2[0]).toMatchObject({ value: 92, unit: '%', onSupplementalOxygen: false, ageDays: 1 });
  });

  it('PaO2 59 mm[Hg] is present, 60 is absent', () => {
    expect(oxy([pao2(59, 'mm[Hg]', 2)]).respiratoryInsufficiency).toBe('present');
    expect(oxy([pao2(60, 'mm[Hg]', 2)]).respiratoryInsufficiency).toBe('absent');
  });

  it('PaO2 7.9 kPa is present, 8.0 kPa is absent, values converted to mm[Hg]', () => {
    const low = oxy([pao2(7.9, 'kPa', 2)]);
    expect(low.respiratoryInsufficiency).toBe('present');
    expect(low.pao2[0]?.value).toBeCloseTo(59.255, 3);
    expect(low.pao2[0]?.original).toEqual({ value: 7.9, unit: 'kPa' });
    expect(oxy([pao2(8.0, 'kPa', 2)]).respiratoryInsufficiency).toBe('absent');
  });

  it('SpO2 on supplemental oxygen (3151-8 > 0) is present even at 98%', () => {
    const fact = oxy([spo2(98, 1, { o2FlowLPerMin: 2 })]);
    expect(fact.respiratoryInsufficiency).toBe('present');
    expect(fact.reasons.join(' ')).toMatch(/supplemental oxygen/);
    expect(oxy([spo2(98, 1, { o2FlowLPerMin: 0 })]).respiratoryInsufficiency).toBe('absent');
  });

  it('an active respiratory-failure condition is present without any reading', () => {
    for (const [system, code] of [[SNOMED, '65710008'], [SNOMED, '409622000'], [ICD10CM, 'J96.01'], [ICD10CM, 'R09.02'], [ICD10, 'J96.9']] as const) {
      const fact = oxy([], { conditions: [condition({ system, code, display: 'Resp failure' })] });
      expect(fact.respiratoryInsufficiency).toBe('present');
      expect(fact.respiratoryFailureConditions).toHaveLength(1);
    }
    expect(oxy([], { conditions: [condition({ code: '65710008', clinicalStatus: 'resolved' })] }).respiratoryInsufficiency).toBe('unknown');
  });

  it('is unknown with no reading within 7 days (8 days old does not count)', () => {
    const fact = oxy([spo2(97, 8)]);
    expect(fact.respiratoryInsufficiency).toBe('unknown');
    expect(fact.reasons).toEqual(['no SpO2/PaO2 in the last 7 days']);
    expect(oxy([spo2(97, 7)]).respiratoryInsufficiency).toBe('absent');
  });

  it('is present when any reading in the window is low, even if a later one is normal', () => {
    expect(oxy([spo2(97, 1), spo2(90, 3)]).respiratoryInsufficiency).toBe('present');
  });

  it('lists readings newest first and reports an unavailable domain', () => {
    const fact = oxy([spo2(95, 5, { id: 'old' }), spo2(96, 1, { id: 'new' })]);
    expect(fact.spo2.map((m) => m.reference)).toEqual(['Observation/new', 'Observation/old']);
    const unavailable = oxy([], { domains: { oxygenation: 'unavailable' } });
    expect(unavailable).toMatchObject({ respiratoryInsufficiency: 'unknown', domain: 'unavailable' });
  });
});

describe('PFT (P-PFT-PRESERVED)', () => {
  const pft = (...observations: Observation[]) => factsFor({ observations }).pft;

  it.each([
    [80, 75, 'false'], [80.1, 75, 'true'], [85, 70, 'false'], [85, 70.1, 'true'],
  ])('FVC%% %f and FEV1%% %f → %s', (fvc, fev1, preserved) => {
    expect(pft(percentPredicted('19872-1', fvc, 30), percentPredicted('20152-5', fev1, 30)).preserved).toBe(preserved);
  });

  it('is unknown with only one of the two above threshold, or older than 90 days', () => {
    expect(pft(percentPredicted('19872-1', 85, 30)).preserved).toBe('unknown');
    expect(pft(percentPredicted('19872-1', 85, 91), percentPredicted('20152-5', 75, 30)).preserved).toBe('unknown');
    expect(pft(percentPredicted('19872-1', 75, 30)).preserved).toBe('false');
  });

  it('uses pre-bronchodilator FVC% 19871-3 when no 19872-1 exists', () => {
    const fact = pft(percentPredicted('19871-3', 85, 10), percentPredicted('20152-5', 75, 10));
    expect(fact.preserved).toBe('true');
    expect(fact.fvcPercentPredicted?.value).toBe(85);
  });

  it('reports absolute-only values as unknown with absoluteOnly', () => {
    const fact = pft(observation({ loinc: '19870-5', date: daysAgo(10), value: ucum(3.1, 'L') }), observation({ loinc: '20150-9', date: daysAgo(10), value: ucum(2.5, 'L') }));
    expect(fact).toMatchObject({ preserved: 'unknown', absoluteOnly: true });
  });

  it('captures DLCO', () => {
    expect(pft(percentPredicted('98130-8', 65, 10)).dlco).toMatchObject({ value: 65, unit: '%' });
  });
});

describe('cholestasis (P-CHOLESTASIS)', () => {
  const chol = (...observations: Observation[]) => factsFor({ observations }).cholestasis;

  it('uses referenceRange.high: at ULN not elevated, just above elevated', () => {
    const atUln = chol(lab('2324-2', 55, 'U/L', 10, { high: 55 }));
    expect(atUln.ggt).toMatchObject({ value: 55, uln: 55, ulnSource: 'reference-range', ratio: 1, elevated: false });
    expect(atUln.elevated).toBe(false);
    const above = chol(lab('2324-2', 55.1, 'U/L', 10, { high: 55 }));
    expect(above.ggt?.elevated).toBe(true);
    expect(above.elevated).toBe(true);
    expect(chol(lab('2324-2', 130, 'U/L', 10, { high: 55 })).ggt?.ratio).toBeCloseTo(2.36, 2);
  });

  it('falls back to 60 / 130 U/L without a reference range', () => {
    const fact = chol(lab('2324-2', 80, 'U/L', 10), lab('6768-6', 130, 'U/L', 10));
    expect(fact.ggt).toMatchObject({ uln: 60, ulnSource: 'fallback', elevated: true });
    expect(fact.alp).toMatchObject({ uln: 130, ulnSource: 'fallback', elevated: false });
  });

  it('ignores a reference range in another unit and honours H interpretation', () => {
    expect(chol(lab('2324-2', 50, 'U/L', 10, { high: 0.9, highUnit: 'ukat/L' })).ggt?.ulnSource).toBe('fallback');
    expect(chol(lab('6768-6', 100, 'U/L', 10, { interpretation: 'H' })).alp?.elevated).toBe(true);
  });

  it('only uses labs within 90 days', () => {
    expect(chol(lab('2324-2', 200, 'U/L', 91)).ggt).toBeUndefined();
  });
});

describe('glycaemia and blood pressure', () => {
  it('takes HbA1c within 90 days and glucose within 30 days, plus diabetes conditions', () => {
    const fact = factsFor({
      observations: [lab('4548-4', 7.1, '%', 90), lab('2345-7', 210, 'mg/dL', 31), lab('14749-6', 9, 'mmol/L', 30)],
      conditions: [condition({ system: ICD10CM, code: 'E11.9' })],
    }).glycaemia;
    expect(fact.hba1c).toMatchObject({ value: 7.1, unit: '%' });
    expect(fact.glucose).toMatchObject({ value: 9, unit: 'mmol/L' });
    expect(fact.diabetesConditions).toHaveLength(1);
  });

  it('reads the latest BP panel components within 30 days and hypertension conditions', () => {
    const fact = factsFor({ observations: [bloodPressure(150, 95, 3), bloodPressure(120, 80, 10)], conditions: [condition({ system: ICD10CM, code: 'I10' })] }).bloodPressure;
    expect(fact.latest).toMatchObject({ systolic: 150, diastolic: 95, ageDays: 3 });
    expect(fact.hypertensionConditions).toHaveLength(1);
    expect(factsFor({ observations: [bloodPressure(150, 95, 31)] }).bloodPressure.latest).toBeUndefined();
  });
});

describe('pregnancy (P-PREGNANT)', () => {
  const preg = (age: number, sex: 'female' | 'male' = 'female', extra: Partial<ResourcePool> = {}) =>
    extractFacts(emptyPool({ patient: patient({ birthDate: birthDateForAge(age), gender: sex }), ...extra }), input, NOW, DEFAULT_THRESHOLDS).pregnancy;

  it.each([[11, 'n/a'], [12, 'unknown'], [55, 'unknown'], [56, 'n/a']])('female aged %i with no data → %s', (age, status) => {
    expect(preg(age).status).toBe(status);
  });

  it('is n/a for a male, unknown for a female of unknown age', () => {
    expect(preg(30, 'male').status).toBe('n/a');
    expect(extractFacts(emptyPool({ patient: patient({ gender: 'female' }) }), input, NOW, DEFAULT_THRESHOLDS).pregnancy.status).toBe('unknown');
  });

  it('reads 82810-3 within 30 days', () => {
    expect(preg(30, 'female', { observations: [pregnancyStatus('77386006', 30)] })).toMatchObject({ status: 'yes', evidence: { ageDays: 30 } });
    expect(preg(30, 'female', { observations: [pregnancyStatus('60001007', 5)] }).status).toBe('no');
    expect(preg(30, 'female', { observations: [pregnancyStatus('60001007', 31)] }).status).toBe('unknown');
  });

  it('an active pregnancy condition means yes, over a "not pregnant" observation', () => {
    const fact = preg(30, 'female', { observations: [pregnancyStatus('60001007', 2)], conditions: [condition({ system: ICD10CM, code: 'O09.90', id: 'p1' })] });
    expect(fact).toMatchObject({ status: 'yes', evidence: { reference: 'Condition/p1' } });
    expect(preg(30, 'female', { conditions: [condition({ system: ICD10CM, code: 'Z33.1' })] }).status).toBe('yes');
    expect(preg(30, 'female', { conditions: [condition({ code: '77386006', clinicalStatus: 'resolved' })] }).status).toBe('unknown');
  });
});

describe('medications', () => {
  it('takes active/on-hold orders with intent order/plan/original-order and active statements', () => {
    const fact = factsFor({
      medicationRequests: [
        medicationRequest({ id: 'a', rxnorm: '198145', status: 'active', intent: 'order' }),
        medicationRequest({ id: 'b', rxnorm: '198145', status: 'on-hold', intent: 'plan' }),
        medicationRequest({ id: 'c', rxnorm: '198145', status: 'completed' }),
        medicationRequest({ id: 'd', rxnorm: '198145', status: 'active', intent: 'proposal' }),
      ],
      medicationStatements: [medicationStatement({ id: 's', rxnorm: '198145' }), medicationStatement({ id: 't', rxnorm: '198145', status: 'completed' })],
    }).medications;
    expect(fact.active.map((m) => m.reference)).toEqual(['MedicationRequest/a', 'MedicationRequest/b', 'MedicationStatement/s']);
    expect(fact.drafts).toEqual([]);
  });

  it('reads drafts from draftOrders and marks the selected one', () => {
    const draftOrders = bundle([sandboxPrednisoneDraft('d1'), sandboxPrednisoneDraft('d2'), serviceRequest({ id: 'sr1', loinc: '81458-2' })]);
    const fact = factsFor({}, { draftOrders, selections: ['MedicationRequest/d2'] });
    expect(fact.medications.drafts.map((m) => [m.reference, m.selected])).toEqual([['MedicationRequest/d1', false], ['MedicationRequest/d2', true]]);
    expect(fact.medications.drafts[1]?.dailyDose?.mgPerDay).toBe(20);
    expect(fact.medications.drafts[1]?.draftResource?.id).toBe('d2');
    expect(fact.serviceRequests).toEqual([expect.objectContaining({ reference: 'ServiceRequest/sr1', draft: true })]);
  });

  describe('macrolide allergy', () => {
    const allergyFact = (allergies: ReturnType<typeof allergy>[], domains: ResourcePool['domains'] = {}) => factsFor({ allergies, domains }).medications.macrolideAllergy;
    it('is present for RxNorm 21212, ATC J01FA*, or a macrolide name', () => {
      expect(allergyFact([allergy({ code: { system: RXNORM, code: '21212' } })])).toBe('present');
      expect(allergyFact([allergy({ code: { system: ATC, code: 'J01FA01' } })])).toBe('present');
      expect(allergyFact([allergy({ text: 'Azithromycin' })])).toBe('present');
      expect(allergyFact([allergy({ text: 'Macrolide antibiotics' })])).toBe('present');
    });
    it('is absent for other allergies or refuted/resolved ones, unknown when allergies could not be read', () => {
      expect(allergyFact([allergy({ text: 'Penicillin' })])).toBe('absent');
      expect(allergyFact([allergy({ text: 'clarithromycin', verificationStatus: 'refuted' })])).toBe('absent');
      expect(allergyFact([allergy({ text: 'clarithromycin', clinicalStatus: 'resolved' })])).toBe('absent');
      expect(allergyFact([], { allergies: 'unavailable' })).toBe('unknown');
    });
  });

  describe('P-ON-GC-WEEKS', () => {
    const gc = (start: number, days?: number, id?: string) =>
      medicationRequest({ ...(id ? { id } : {}), rxnorm: '198145', authoredOn: daysAgo(start), dosages: [dailyMg(10, days !== undefined ? { boundsDays: days } : {})] });
    const weeks = (...requests: ReturnType<typeof gc>[]) => factsFor({ medicationRequests: requests }).medications;

    it('counts whole weeks since the start of an open-ended order', () => {
      expect(weeks(gc(60))).toMatchObject({ onGlucocorticoidWeeks: 8, glucocorticoidRunStart: daysAgo(60) });
      expect(weeks(gc(6)).onGlucocorticoidWeeks).toBe(0);
    });

    it('merges orders separated by gaps of up to 7 days, not more', () => {
      // 100 days ago for 30 days (ended 70 days ago), then a new order 63 days ago: gap 7 → merged.
      expect(weeks(gc(100, 30), gc(63)).glucocorticoidRunStart).toBe(daysAgo(100));
      // Gap 8 → the current run starts 62 days ago.
      expect(weeks(gc(100, 30), gc(62)).glucocorticoidRunStart).toBe(daysAgo(62));
    });

    it('is undefined when not on a systemic glucocorticoid', () => {
      const fact = factsFor({ medicationRequests: [medicationRequest({ rxnorm: '197517', authoredOn: daysAgo(10) })] }).medications;
      expect(fact.onGlucocorticoidWeeks).toBeUndefined();
      expect(fact.glucocorticoidRunStart).toBeUndefined();
    });
  });
});

describe('bone health, adrenal insufficiency, service requests', () => {
  it('collects osteoporosis, fragility fracture and adrenal-insufficiency conditions', () => {
    const fact = factsFor({
      conditions: [
        condition({ code: '64859006' }),
        condition({ system: ICD10CM, code: 'M80.08XA', clinicalStatus: 'resolved' }),
        condition({ system: ICD10CM, code: 'E27.40' }),
        condition({ code: '386584007', clinicalStatus: 'resolved' }),
      ],
    });
    expect(fact.boneHealth.osteoporosisConditions.map((c) => c.code)).toEqual(['64859006', 'M80.08XA']);
    expect(fact.boneHealth.fragilityFractureConditions.map((c) => c.code)).toEqual(['M80.08XA']);
    expect(fact.adrenalInsufficiencyConditions.map((c) => c.code)).toEqual(['E27.40']);
  });

  it('lists existing service requests with occurrence, skipping entered-in-error', () => {
    const fact = factsFor({
      serviceRequests: [
        serviceRequest({ id: 'pft', loinc: '81458-2', occurrence: daysAgo(-30), authoredOn: daysAgo(2), text: 'PFT' }),
        serviceRequest({ id: 'bad', status: 'entered-in-error' }),
      ],
    });
    expect(fact.serviceRequests).toEqual([
      { reference: 'ServiceRequest/pft', date: daysAgo(2), ageDays: 2, status: 'active', codes: [{ system: 'http://loinc.org', code: '81458-2' }], text: 'PFT', occurrence: daysAgo(-30), draft: false },
    ]);
  });
});

describe('whole-patient scenario (test matrix #1)', () => {
  it('adult COP patient, 60 kg 5 days ago, no GC', () => {
    const fact = factsFor({
      conditions: [copCondition({ id: 'cop1' })],
      observations: [weight(60, 'kg', 5, { id: 'w1' })],
      domains: { patient: 'available', conditions: 'available', weight: 'available' },
    });
    expect(fact).toMatchObject({
      age: { status: 'known', years: 54 },
      weight: { state: 'fresh', kg: { value: 60 } },
      cop: { present: true, whoIcdOnly: false, relapseRecords: 0 },
      secondaryCauses: [],
      medications: { active: [], drafts: [], macrolideAllergy: 'absent' },
      pregnancy: { status: 'n/a' },
      inpatient: false,
    });
  });
});

describe('data domains the service never asked for', () => {
  it('are unknown, not "nothing recorded" (unknown ≠ normal)', () => {
    const pool = { ...emptyPool({ patient: patient({ birthDate: '1972-03-01', gender: 'male' }) }), domains: {} };
    const facts = extractFacts(pool, input, NOW, DEFAULT_THRESHOLDS);
    expect(facts.medications.macrolideAllergy).toBe('unknown');
    expect(facts.oxygenation.domain).toBe('unavailable');
    expect(facts.bloodPressure.domain).toBe('unavailable');
  });
});
