/**
 * P-PREGNANT windows (decision 15): a positive 82810-3 counts for 280 days unless a later record
 * says otherwise; "not pregnant" needs a result within 30 days; the last recorded status is kept
 * whatever its age, so cards can show it with its date.
 */
import type { Condition } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { daysAgo, NOW } from '../../../test/fixtures/facts.js';
import { birthDateForAge, condition, emptyPool, patient, pregnancyStatus, SNOMED } from '../../../test/fixtures/fhir.js';
import { extractFacts } from '../facts.js';
import type { PregnancyFact, ResourcePool } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';

const PREGNANT = '77386006';
const NOT_PREGNANT = '60001007';

function pregnancy(extra: Partial<ResourcePool>, opts: { age?: number; sex?: 'female' | 'male' } = {}): PregnancyFact {
  const pool = emptyPool({ patient: patient({ birthDate: birthDateForAge(opts.age ?? 30), gender: opts.sex ?? 'female' }), ...extra });
  return extractFacts(pool, { patientId: 'pat-1', selections: [] }, NOW, DEFAULT_THRESHOLDS).pregnancy;
}

const obs = (...items: [typeof PREGNANT | typeof NOT_PREGNANT, number][]) => ({ observations: items.map(([code, days]) => pregnancyStatus(code, days)) });

/** A pregnancy Condition (SNOMED 77386006) that has ended, with or without an abatement date. */
function endedPregnancy(opts: { abatementDaysAgo?: number; onsetDaysAgo?: number; status?: string } = {}): Condition {
  const c = condition({
    id: 'preg-cond', code: PREGNANT, system: SNOMED, display: 'Pregnancy', clinicalStatus: opts.status ?? 'resolved',
    recordedDate: daysAgo(200), ...(opts.onsetDaysAgo !== undefined ? { onset: daysAgo(opts.onsetDaysAgo) } : {}),
  });
  if (opts.abatementDaysAgo !== undefined) c.abatementDateTime = daysAgo(opts.abatementDaysAgo);
  return c;
}

describe('P-PREGNANT: a positive status counts for 280 days (decision 15)', () => {
  it.each([
    [31, 'yes'],
    [279, 'yes'],
    [280, 'yes'],
    [281, 'unknown'],
  ] as const)('positive %i days ago → %s', (days, status) => {
    const fact = pregnancy(obs([PREGNANT, days]));
    expect(fact.status).toBe(status);
    expect(fact.lastRecorded).toMatchObject({ text: 'pregnant', date: daysAgo(days), ageDays: days });
  });

  it('a positive outside the window is kept as the last record, marked too old', () => {
    expect(pregnancy(obs([PREGNANT, 281])).lastRecorded).toMatchObject({ text: 'pregnant', ageDays: 281, outdated: 'too old to count as current' });
    expect(pregnancy(obs([PREGNANT, 280])).lastRecorded?.outdated).toBeUndefined();
  });

  it('the window is a threshold (pregnancyPositiveWindowDays)', () => {
    expect(DEFAULT_THRESHOLDS.pregnancyPositiveWindowDays).toBe(280);
    const pool = emptyPool({ patient: patient({ birthDate: birthDateForAge(30), gender: 'female' }), ...obs([PREGNANT, 100]) });
    const t = { ...DEFAULT_THRESHOLDS, pregnancyPositiveWindowDays: 90 };
    expect(extractFacts(pool, { patientId: 'pat-1', selections: [] }, NOW, t).pregnancy.status).toBe('unknown');
  });

  it('counts for any sex, as before (a recorded positive is never ignored)', () => {
    expect(pregnancy(obs([PREGNANT, 31]), { sex: 'male' }).status).toBe('yes');
  });
});

describe('P-PREGNANT: "not pregnant" needs a result within 30 days', () => {
  it.each([
    [29, 'no'],
    [30, 'no'],
    [31, 'unknown'],
  ] as const)('negative %i days ago → %s', (days, status) => {
    const fact = pregnancy(obs([NOT_PREGNANT, days]));
    expect(fact.status).toBe(status);
    expect(fact.lastRecorded).toMatchObject({ text: 'not pregnant', date: daysAgo(days), ageDays: days });
    expect(fact.lastRecorded?.outdated).toBe(days > 30 ? 'too old to rule out pregnancy' : undefined);
  });

  it('an old negative is still the last record for a woman outside child-bearing age (n/a)', () => {
    expect(pregnancy(obs([NOT_PREGNANT, 91]), { age: 62 })).toMatchObject({ status: 'n/a', lastRecorded: { text: 'not pregnant', ageDays: 91 } });
  });
});

describe('P-PREGNANT: a later record overrules a positive', () => {
  it('a later negative: no within 30 days, else unknown; never yes', () => {
    expect(pregnancy(obs([PREGNANT, 100], [NOT_PREGNANT, 10]))).toMatchObject({ status: 'no', lastRecorded: { text: 'not pregnant', ageDays: 10 } });
    expect(pregnancy(obs([PREGNANT, 100], [NOT_PREGNANT, 40]))).toMatchObject({ status: 'unknown', lastRecorded: { text: 'not pregnant', ageDays: 40, outdated: 'too old to rule out pregnancy' } });
  });

  it('a later positive overrules an earlier negative', () => {
    expect(pregnancy(obs([NOT_PREGNANT, 20], [PREGNANT, 10])).status).toBe('yes');
  });

  it('a pregnancy Condition resolved after the positive: not yes, and the resolution is the last record', () => {
    const fact = pregnancy({ ...obs([PREGNANT, 100]), conditions: [endedPregnancy({ abatementDaysAgo: 20 })] });
    expect(fact.status).toBe('unknown');
    expect(fact.lastRecorded).toMatchObject({ text: 'pregnancy ended (condition resolved)', date: daysAgo(20), ageDays: 20, reference: 'Condition/preg-cond' });
  });

  it('inactive or remission count as ended too', () => {
    for (const status of ['inactive', 'remission']) {
      expect(pregnancy({ ...obs([PREGNANT, 100]), conditions: [endedPregnancy({ abatementDaysAgo: 20, status })] }).status).toBe('unknown');
    }
  });

  it('a pregnancy Condition that ended before the positive does not overrule it', () => {
    expect(pregnancy({ ...obs([PREGNANT, 100]), conditions: [endedPregnancy({ abatementDaysAgo: 150 })] }).status).toBe('yes');
    // Same day: the test may have come after the end.
    expect(pregnancy({ ...obs([PREGNANT, 100]), conditions: [endedPregnancy({ abatementDaysAgo: 100 })] }).status).toBe('yes');
  });

  it('without an end date, a resolved Condition overrules only a positive from before its onset (safe reading)', () => {
    expect(pregnancy({ ...obs([PREGNANT, 100]), conditions: [endedPregnancy({ onsetDaysAgo: 150 })] }).status).toBe('yes');
    const later = pregnancy({ ...obs([PREGNANT, 100]), conditions: [endedPregnancy({ onsetDaysAgo: 60 })] });
    expect(later.status).toBe('unknown');
    expect(later.lastRecorded).toMatchObject({ text: 'pregnancy condition resolved (end date not recorded)' });
    expect(later.lastRecorded?.date).toBeUndefined();
  });

  it('an active pregnancy Condition still means yes, whatever the tests say', () => {
    const active = condition({ id: 'p1', code: PREGNANT, system: SNOMED, display: 'Pregnancy' });
    const fact = pregnancy({ ...obs([NOT_PREGNANT, 2]), conditions: [active] });
    expect(fact).toMatchObject({ status: 'yes', evidence: { reference: 'Condition/p1', text: 'active condition: Pregnancy' }, lastRecorded: { text: 'not pregnant', ageDays: 2 } });
  });
});
