import type { ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { baseFacts, clarithromycinDraft, context, daysAgo, prednisoneDraft } from '../../../test/fixtures/facts.js';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import type { MedicationClass, MedicationFact, PatientFacts, PregnancyFact } from '../facts-types.js';
import { r19 } from './r19-pregnancy-safety.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';


function draft(cls: MedicationClass, name: string, rxnorm: string, overrides: Partial<MedicationFact> = {}): MedicationFact {
  return {
    reference: `MedicationRequest/draft-${cls}`, id: `draft-${cls}`, resourceType: 'MedicationRequest', status: 'draft', intent: 'order',
    name, identifiedBy: 'code', classes: [cls], rxnormCodes: [rxnorm], selected: false, ...overrides,
  };
}
const mmf = (o: Partial<MedicationFact> = {}) => draft('mycophenolate', 'mycophenolate mofetil 500 MG Oral Tablet', '200060', o);
const aza = (o: Partial<MedicationFact> = {}) => draft('azathioprine', 'azathioprine 50 MG Oral Tablet', '197388', o);
const rtx = (o: Partial<MedicationFact> = {}) => draft('rituximab', 'rituximab injection', '121191', o);
const cla = (o: Partial<MedicationFact> = {}) => clarithromycinDraft({ selected: false, ...o });

const PREGNANT: PregnancyFact = {
  status: 'yes', domain: 'available',
  evidence: { text: 'Pregnancy status 82810-3: Patient currently pregnant (77386006)', reference: 'Observation/preg1', date: daysAgo(3), ageDays: 3 },
};
const UNKNOWN: PregnancyFact = { status: 'unknown', domain: 'available' };

function scenario(pregnancy: PregnancyFact, drafts: MedicationFact[]): PatientFacts {
  const base = baseFacts();
  return { ...base, sex: 'female', age: { status: 'known', years: 31 }, pregnancy, medications: { ...base.medications, drafts } };
}

describe('COP-R19 pregnancy safety for non-steroid agents', () => {
  it('matrix #16: mycophenolate drafted, pregnancy 82810-3 = 77386006 → critical', () => {
    const f = r19.evaluate(scenario(PREGNANT, [mmf()]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('critical');
    expect(f.summary).toMatch(/^Mycophenolate drafted for a pregnant patient/);
    expect(f.suggestions).toBeUndefined();
    // Decision 15: the status with its date is the first line; the data used are the drafted products.
    expect(f.detail[0]).toBe(`Pregnancy status: pregnant (Pregnancy status 82810-3: Patient currently pregnant (77386006), ${daysAgo(3)} (3 days ago)).`);
    expect(f.evidence).toEqual([expect.objectContaining({ label: 'Draft', value: 'mycophenolate mofetil 500 MG Oral Tablet', reference: 'MedicationRequest/draft-mycophenolate' })]);
    // Decision 19: no project-internal notes (sign-off status) on a card.
    expect(f.detail.join('\n')).not.toMatch(/sign-off|re-verified/);
    expect(f.citations).toEqual(['PREGNANCY-LABELLING']);
  });

  it('mycophenolate + unknown → warning "confirm pregnancy status / contraception" + text-only pregnancy test', () => {
    const f = r19.evaluate(scenario(UNKNOWN, [mmf()]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.summary).toContain('confirm pregnancy status / contraception');
    const action = f.suggestions?.[0]?.actions[0];
    const resource = (action?.type === 'create' ? action.resource : undefined) as ServiceRequest | undefined;
    expect(resource).toMatchObject({ resourceType: 'ServiceRequest', status: 'draft', subject: { reference: 'Patient/pat-1' }, code: { text: 'Pregnancy test (hCG)' } });
    // No confirmed code exists: the request must not pretend to have one.
    expect(resource?.code?.coding).toBeUndefined();
    // The text-only order is a site's mapping task: on the evidence page, not on the card.
    expect(f.detail.join('\n')).not.toMatch(/text-only|standard code/);
    expect(r19.reviewNotes!.join('\n')).toContain('text-only order');
  });

  it.each([
    ['clarithromycin', 'warning', cla()],
    ['rituximab', 'warning', rtx()],
    ['azathioprine', 'info', aza()],
  ] as const)('%s + pregnant → %s', (_name, indicator, med) => {
    const f = r19.evaluate(scenario(PREGNANT, [med]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe(indicator);
    expect(f.suggestions).toBeUndefined();
  });

  it.each([
    ['clarithromycin', () => cla()],
    ['rituximab', () => rtx()],
    ['azathioprine', () => aza()],
  ] as const)('%s + unknown → info (decision) with a pregnancy-test suggestion', (_name, make) => {
    const med = make();
    const f = r19.evaluate(scenario(UNKNOWN, [med]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.suggestions).toHaveLength(1);
  });

  it('not pregnant or not applicable → no card', () => {
    expect(r19.evaluate(scenario({ status: 'no', domain: 'available' }, [mmf()]), context('order-sign'))).toBeUndefined();
    expect(r19.evaluate(scenario({ status: 'n/a', domain: 'available' }, [mmf()]), context('order-sign'))).toBeUndefined();
  });

  it('pregnancy data unreadable (status unknown) still warns and says the data could not be read', () => {
    const f = r19.evaluate(scenario({ status: 'unknown', domain: 'unavailable' }, [mmf()]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('warning');
    expect(f.detail[0]).toContain('could not be read');
  });

  it('one card for several agents: the most severe drives the indicator and all are named', () => {
    const f = r19.evaluate(scenario(PREGNANT, [aza(), mmf(), cla()]), context('order-sign'));
    expectWellFormed(f);
    expect(f.indicator).toBe('critical');
    expect(f.summary).toMatch(/^Mycophenolate drafted for a pregnant patient: .* Also: Clarithromycin and Azathioprine\.$/);
    const agentLines = f.detail[1]?.split('\n') ?? [];
    expect(agentLines).toHaveLength(3);
    expect(agentLines[0]).toContain('**Mycophenolate**');
    expect(f.evidence.filter((e) => e.label === 'Draft')).toHaveLength(3);

    const g = r19.evaluate(scenario(PREGNANT, [aza(), cla()]), context('order-sign'));
    expect(g?.indicator).toBe('warning');
    expect(g?.summary).toMatch(/^Clarithromycin drafted for a pregnant patient/);

    const unknown = r19.evaluate(scenario(UNKNOWN, [cla(), mmf()]), context('order-sign'));
    expect(unknown?.indicator).toBe('warning');
    expect(unknown?.summary).toBe('Mycophenolate and Clarithromycin drafted; pregnancy status unknown: confirm pregnancy status / contraception.');
  });

  it('order-select judges only the selected draft; order-sign judges all drafts', () => {
    const drafts = [prednisoneDraft({ selected: true }), mmf({ selected: false })];
    expect(r19.evaluate(scenario(PREGNANT, drafts), context('order-select'))).toBeUndefined();
    expect(r19.evaluate(scenario(PREGNANT, [mmf({ selected: true })]), context('order-select'))?.indicator).toBe('critical');
    expect(r19.evaluate(scenario(PREGNANT, drafts), context('order-sign'))?.indicator).toBe('critical');
  });

  it('does not need P-COP (pregnancy safety is indication-independent); a GC draft alone never fires', () => {
    const noCop = { ...scenario(PREGNANT, [mmf()]), cop: { present: false, whoIcdOnly: true, relapseRecords: 0, domain: 'available' as const } };
    expect(r19.evaluate(noCop, context('order-sign'))?.indicator).toBe('critical');
    expect(r19.evaluate(scenario(PREGNANT, [prednisoneDraft()]), context('order-sign'))).toBeUndefined();
    expect(r19.evaluate(scenario(PREGNANT, [mmf()]), context('patient-view'))).toBeUndefined();
  });
});

describe('COP-R19 longest variant', () => {
  it('two agents, pregnant by an active condition with a later negative test → still a short card', () => {
    const pregnancy: PregnancyFact = {
      status: 'yes', domain: 'available',
      evidence: { text: 'active condition: Pregnancy, first trimester (Z33.1)', reference: 'Condition/preg', date: '2026-10-01T09:00:00+02:00', ageDays: 55 },
      lastRecorded: { text: 'not pregnant', reference: 'Observation/t1', date: daysAgo(20), ageDays: 20 },
    };
    const f = r19.evaluate(scenario(pregnancy, [mmf(), rtx()]), context('order-sign'));
    expect(f?.indicator).toBe('critical');
    expect(f?.detail[0]).toContain(`last recorded not pregnant, ${daysAgo(20)} (20 days ago)`);
    expectShortReadableCard(f);
  });

  it('three agents with a positive test, and unreadable pregnancy data → still short cards', () => {
    expectShortReadableCard(r19.evaluate(scenario(PREGNANT, [mmf(), cla(), rtx()]), context('order-sign')));
    expectShortReadableCard(r19.evaluate(scenario({ status: 'unknown', domain: 'unavailable' }, [mmf(), cla()]), context('order-sign')));
  });
});
