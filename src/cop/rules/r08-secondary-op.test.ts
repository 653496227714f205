import { describe, expect, it } from 'vitest';
import { baseFacts, context, daysAgo } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import type { ConditionFact, PatientFacts, SecondaryCauseKind } from '../facts-types.js';
import { r08 } from './r08-secondary-op.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';


type Cause = ConditionFact & { kind: SecondaryCauseKind };

const rheumatoidArthritis = (overrides: Partial<Cause> = {}): Cause => ({
  kind: 'ctd', system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'M06.9', display: 'Rheumatoid arthritis',
  clinicalStatus: 'active', onset: '2019-04-02', reference: 'Condition/ra1', date: '2019-04-02', ageDays: 2794, ...overrides,
});

const lungCancerHistory = (): Cause => ({
  kind: 'malignancy', system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'Z85.118', display: 'Personal history of lung cancer',
  clinicalStatus: 'resolved', recordedDate: daysAgo(400), reference: 'Condition/ca1', date: daysAgo(400), ageDays: 400,
});

const withCauses = (causes: Cause[], base: PatientFacts = baseFacts()): PatientFacts => ({ ...base, secondaryCauses: causes });

const boop: ConditionFact = {
  system: 'http://snomed.info/sct', code: '129458007', display: 'Bronchiolitis obliterans organizing pneumonia',
  clinicalStatus: 'active', reference: 'Condition/boop1', date: daysAgo(15), ageDays: 15,
};

describe('COP-R08 possible secondary organizing pneumonia', () => {
  it('COP + CTD on order-select → warning naming the condition and its date, citing CTD-OP-2011', () => {
    const f = r08.evaluate(withCauses([rheumatoidArthritis()]), context('order-select'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('OP coded as cryptogenic but Rheumatoid arthritis (2019-04-02) is recorded. Consider secondary OP: treat the cause; specialist review.');
    expect(f.detail.join('\n')).toContain('(Rheumatology 2011)');
    expect(f.citations).toContain('CTD-OP-2011');
    // The cause with its onset date and age is the first datum of the card.
    expect(f.evidence[0]).toMatchObject({ label: 'CTD', value: 'Rheumatoid arthritis, active', date: '2019-04-02', ageDays: 2794, reference: 'Condition/ra1' });
    expect(f.suggestions).toBeUndefined();
    expect(f.evidence.map((e) => e.reference)).toEqual(expect.arrayContaining(['Condition/cop1', 'Condition/ra1']));
  });

  it('a historical malignancy counts too; an active cause is named first and all are listed', () => {
    const f = r08.evaluate(withCauses([lungCancerHistory(), rheumatoidArthritis()]), context('order-select'));
    expectWellFormed(f);
    expect(f.summary).toContain('Rheumatoid arthritis');
    expect(f.evidence.map((e) => `${e.label} ${e.value}`)).toEqual([
      'CTD Rheumatoid arthritis, active', 'Malignancy Personal history of lung cancer, resolved', 'Organizing pneumonia Cryptogenic organizing pneumonia (J84.116)',
    ]);
  });

  it('BOOP coded (P-COP false because of the secondary cause) still fires via cop.opCoded', () => {
    const base = baseFacts();
    const boopOnly: PatientFacts = { ...base, cop: { present: false, opCoded: boop, whoIcdOnly: false, relapseRecords: 0, domain: 'available' } };
    const f = r08.evaluate(withCauses([rheumatoidArthritis()], boopOnly), context('order-select'));
    expectWellFormed(f);
    expect(f.evidence.find((e) => e.label === 'Organizing pneumonia')).toMatchObject({ reference: 'Condition/boop1' });
  });

  it('long condition names fall back to a summary under 140 characters', () => {
    const long = rheumatoidArthritis({ display: 'Rheumatoid arthritis of multiple sites with involvement of other organs and systems, seropositive, long-standing' });
    const f = r08.evaluate(withCauses([long]), context('order-select'));
    expectWellFormed(f);
    expect(f.summary).toContain('connective tissue disease is recorded (2019-04-02)');
  });

  it('an undated cause says so instead of inventing a date', () => {
    const undated = rheumatoidArthritis({ onset: undefined, date: undefined, ageDays: undefined });
    const f = r08.evaluate(withCauses([undated]), context('order-select'));
    expectWellFormed(f);
    expect(f.summary).toContain('but Rheumatoid arthritis is recorded');
    expect(f.evidence[0]).toMatchObject({ value: 'Rheumatoid arthritis, active, date unknown' });
    expect(f.evidence[0]?.date).toBeUndefined();
  });

  it('longest variant: four long-named causes with dateTimes → two listed, the rest counted, still a short card', () => {
    const causes: Cause[] = [
      rheumatoidArthritis({ display: 'Rheumatoid arthritis of multiple sites with rheumatoid factor', onset: '2019-04-02T09:30:00+02:00' }),
      rheumatoidArthritis({ code: 'M35.00', display: 'Sicca syndrome, unspecified (Sjögren)', reference: 'Condition/ss1', clinicalStatus: 'recurrence' }),
      lungCancerHistory(),
      { ...lungCancerHistory(), code: 'C50.911', display: 'Malignant neoplasm of unspecified site of right female breast', reference: 'Condition/ca2' },
    ];
    const f = r08.evaluate(withCauses(causes, { ...baseFacts(), cop: { ...baseFacts().cop, condition: { ...baseFacts().cop.condition!, display: 'Cryptogenic organizing pneumonia (disorder)', code: '719218000' } } }), context('patient-view'));
    expect(f?.detail).toContain('2 more possible causes are recorded.');
    expect(f?.evidence).toHaveLength(3);
    expectShortReadableCard(f);
  });

  it('no secondary cause → no card', () => {
    expect(r08.evaluate(baseFacts(), context('order-select'))).toBeUndefined();
  });

  it('matrix #14: P-COP false and no OP code (WHO J84.1 only) → no card', () => {
    const noCop = withCauses([rheumatoidArthritis()], { ...baseFacts(), cop: { present: false, whoIcdOnly: true, relapseRecords: 0, domain: 'available' } });
    expect(r08.evaluate(noCop, context('order-select'))).toBeUndefined();
  });

  it('matrix #8: not run on order-sign; runs on patient-view (decision 5)', () => {
    expect(r08.evaluate(withCauses([rheumatoidArthritis()]), context('order-sign'))).toBeUndefined();
    expect(r08.evaluate(withCauses([rheumatoidArthritis()]), context('patient-view'))?.indicator).toBe('warning');
  });
});
