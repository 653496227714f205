/**
 * Decisions 15 and 20 on the cards: every card that uses pregnancy status shows the last recorded
 * status with its date (even outside the window), and a pregnancy test is asked for by one card
 * only (COP-R19), not repeated by COP-R07.
 */
import { describe, expect, it } from 'vitest';
import { baseFacts, clarithromycinDraft, conditionFact, context, daysAgo, facts, NOW, prednisoneDraft } from '../../../test/fixtures/facts.js';
import { birthDateForAge, emptyPool, patient, pregnancyStatus } from '../../../test/fixtures/fhir.js';
import { renderCard } from '../cards.js';
import { extractFacts } from '../facts.js';
import type { MedicationFact, PatientFacts, PregnancyFact, ResourcePool } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';
import { r07 } from './r07-clarithromycin-outside-population.js';
import { r10 } from './r10-bone-protection.js';
import { r19 } from './r19-pregnancy-safety.js';
import { pregnancyEvidence, pregnancyStatusText } from './shared.js';

/** P-PREGNANT as the facts layer extracts it for a woman of 30. */
function extracted(pool: Partial<ResourcePool>): PregnancyFact {
  const p = emptyPool({ patient: patient({ birthDate: birthDateForAge(30), gender: 'female' }), ...pool });
  return extractFacts(p, { patientId: 'pat-1', selections: [] }, NOW, DEFAULT_THRESHOLDS).pregnancy;
}

const mmf: MedicationFact = {
  reference: 'MedicationRequest/draft-mmf', id: 'draft-mmf', resourceType: 'MedicationRequest', status: 'draft', intent: 'order',
  name: 'mycophenolate mofetil 500 MG Oral Tablet', identifiedBy: 'code', classes: ['mycophenolate'], rxnormCodes: ['200060'], selected: false,
};

function patientWith(pregnancy: PregnancyFact, drafts: MedicationFact[]): PatientFacts {
  const base = baseFacts();
  return { ...base, sex: 'female', age: { status: 'known', years: 30 }, pregnancy, medications: { ...base.medications, drafts } };
}

describe('COP-R19 with the 280-day window (the issue: a positive test 31 days old)', () => {
  const pregnancy = extracted({ observations: [pregnancyStatus('77386006', 31)] });

  it('mycophenolate drafted → critical, the positive result shown with its date', () => {
    const f = r19.evaluate(patientWith(pregnancy, [mmf]), context('order-sign'))!;
    expect(f.indicator).toBe('critical');
    expect(f.summary).toMatch(/^Mycophenolate drafted for a pregnant patient/);
    expect(f.detail[0]).toBe(`Pregnancy status: pregnant, ${daysAgo(31)} (31 days ago).`);
    expect(f.suggestions).toBeUndefined();
    // The status line carries the date; the data used are the drafted product.
    expect(f.evidence.map((e) => e.label)).toEqual(['Draft']);
  });

  it('a stale "not pregnant" result is shown too, saying it is too old to rule out pregnancy', () => {
    const old = extracted({ observations: [pregnancyStatus('60001007', 91)] });
    const f = r19.evaluate(patientWith(old, [mmf]), context('order-sign'))!;
    expect(f.indicator).toBe('warning');
    expect(f.detail[0]).toBe(`Pregnancy status: unknown; last recorded not pregnant, ${daysAgo(91)} (91 days ago: too old to rule out pregnancy).`);
    expect(f.suggestions?.[0]?.label).toBe('Order pregnancy test');
  });

  it('no card text carries a time stamp or a resource id', () => {
    const f = r19.evaluate(patientWith(pregnancy, [mmf]), context('order-sign'))!;
    const text = [f.summary, ...f.detail].join('\n');
    expect(text).not.toMatch(/T\d\d:\d\d|Observation\/|sign-off/);
  });
});

describe('one fact, one card (decision 20): COP-R07 leaves the pregnancy test to COP-R19', () => {
  const unknownPregnancy: PregnancyFact = { status: 'unknown', domain: 'available' };
  const claFacts = (hookSelected: boolean): PatientFacts => patientWith(unknownPregnancy, [clarithromycinDraft({ selected: hookSelected })]);

  it.each([['order-sign', false], ['order-select', true]] as const)('%s: R19 asks for the test; R07 only points to it', (hook, selected) => {
    const f = claFacts(selected);
    const ctx = context(hook);
    const r19Finding = r19.evaluate(f, ctx)!;
    expect(r19Finding.suggestions?.[0]?.label).toBe('Order pregnancy test');
    const r07Finding = r07.evaluate(f, ctx)!; // fires for the unassessed oxygenation and PFTs
    const r07Text = [r07Finding.summary, ...r07Finding.detail].join('\n');
    expect(r07Text).toContain('Pregnancy status unknown (see the pregnancy safety card).');
    expect(r07Text).not.toMatch(/confirm|pregnancy test/i);
    expect(r07Finding.summary).not.toMatch(/pregnan/);
    expect(r07Finding.suggestions).toBeUndefined();
  });

  it('pregnancy unknown is the only reason → no COP-R07 card, COP-R19 still fires', () => {
    const base = claFacts(false);
    const eligibleOtherwise: PatientFacts = {
      ...base,
      oxygenation: { ...base.oxygenation, spo2: [{ value: 97, unit: '%', date: daysAgo(2), ageDays: 2, onSupplementalOxygen: false }], respiratoryInsufficiency: 'absent', reasons: [] },
      pft: {
        fvcPercentPredicted: { value: 85, unit: '%', date: daysAgo(30), ageDays: 30 },
        fev1PercentPredicted: { value: 75, unit: '%', date: daysAgo(30), ageDays: 30 },
        absoluteOnly: false, preserved: 'true', domain: 'available',
      },
    };
    expect(r07.evaluate(eligibleOtherwise, context('order-sign'))).toBeUndefined();
    expect(r19.evaluate(eligibleOtherwise, context('order-sign'))?.ruleId).toBe('COP-R19');
  });
});

describe('COP-R10 names the last recorded pregnancy status', () => {
  it('unknown with a stale negative: the card asks to rule out pregnancy and its data used carry the last status with its date', () => {
    const pregnancy = extracted({ observations: [pregnancyStatus('60001007', 45)] });
    const draft = prednisoneDraft({ dailyDose: { mgPerDay: 40, prednisoneEquivalentMgPerDay: 40, derivation: '40 mg/day' }, plannedDurationDays: 168 });
    const f = facts({
      sex: 'female', pregnancy,
      boneHealth: { osteoporosisConditions: [conditionFact('64859006', 'Osteoporosis', 400)], fragilityFractureConditions: [] },
      medications: { ...baseFacts().medications, drafts: [draft] },
    });
    const finding = r10.evaluate(f, context('order-sign'))!;
    expect(finding.detail.join('\n')).toMatch(/rule out pregnancy/);
    const detail = renderCard(finding, { newId: () => 'x' }).detail ?? '';
    // Decision 15: the last recorded status with its date, even outside the 30-day window.
    expect(detail).toMatch(new RegExp(`not pregnant\\)? \\(${daysAgo(45)}, 6 weeks ago\\)`));
    expect(finding.evidence).toContainEqual(expect.objectContaining({ date: daysAgo(45), ageDays: 45 }));
  });
});

describe('pregnancyStatusText', () => {
  const f = (pregnancy: PregnancyFact, overrides: Partial<PatientFacts> = {}): PatientFacts => ({ ...facts(overrides), pregnancy });

  it('an active condition with a later negative test names both, each with its date', () => {
    const p: PregnancyFact = {
      status: 'yes', domain: 'available',
      evidence: { reference: 'Condition/p1', date: daysAgo(60), ageDays: 60, text: 'active condition: Pregnancy' },
      lastRecorded: { reference: 'Observation/t1', date: daysAgo(2), ageDays: 2, text: 'not pregnant' },
    };
    expect(pregnancyStatusText(f(p))).toBe(`pregnant (active condition: Pregnancy, ${daysAgo(60)} (60 days ago)); last recorded not pregnant, ${daysAgo(2)} (2 days ago)`);
    expect(pregnancyEvidence(f(p)).map((e) => e.label)).toEqual(['Pregnancy status', 'Last pregnancy record']);
  });

  it('unknown: none recorded, or the data could not be read', () => {
    expect(pregnancyStatusText(f({ status: 'unknown', domain: 'available' }))).toBe('unknown (none recorded)');
    expect(pregnancyStatusText(f({ status: 'unknown', domain: 'unavailable' }))).toBe('unknown (pregnancy data could not be read)');
  });

  it('n/a gives its reason and any last record', () => {
    expect(pregnancyStatusText(f({ status: 'n/a', domain: 'available' }, { sex: 'male' }))).toBe('not applicable (male)');
    const old: PregnancyFact = { status: 'n/a', domain: 'available', lastRecorded: { text: 'not pregnant', date: daysAgo(400), ageDays: 400, outdated: 'too old to rule out pregnancy' } };
    expect(pregnancyStatusText(f(old, { sex: 'female', age: { status: 'known', years: 62 } }))).toBe(
      `not applicable (age 62); last recorded not pregnant, ${daysAgo(400)} (400 days ago: too old to rule out pregnancy)`,
    );
  });

  it('today and yesterday read as words', () => {
    expect(pregnancyStatusText(f({ status: 'no', domain: 'available', lastRecorded: { text: 'not pregnant', date: daysAgo(0), ageDays: 0 } }))).toBe(`not pregnant, ${daysAgo(0)} (today)`);
    expect(pregnancyStatusText(f({ status: 'no', domain: 'available', lastRecorded: { text: 'not pregnant', date: daysAgo(1), ageDays: 1 } }))).toBe(`not pregnant, ${daysAgo(1)} (1 day ago)`);
  });
});
