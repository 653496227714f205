/**
 * Decision 22 through the whole app: "today" is the calendar date in the site's time zone
 * (SITE_TIME_ZONE), a resource's day is its date as written in its own offset, and a time without
 * an offset is refused. The request clock is 2026-11-26T03:30:00Z: 26 November in UTC and in
 * Auckland (16:30 NZDT), still 25 November in New York (22:30 EST).
 */
import { describe, expect, it, vi } from 'vitest';
import type { CdsStore, ShownCard } from '../../src/store/types.js';
import { medicationRequest, observation, orderSelectRequest, orderSignRequest, sandboxPrednisoneDraft, searchset } from '../fixtures/requests.js';
import { cardFor, expectWellFormed, type WireCard } from './cards-contract.js';
import { useApp } from './harness.js';

const CLOCK = new Date('2026-11-26T03:30:00Z');
const SELECT = '/cds-services/cop-order-select';
const SIGN = '/cds-services/cop-order-sign';
const UCUM = 'http://unitsofmeasure.org';

/** A body weight of 60 kg taken at `when` (a dateTime with its offset). */
const weightAt = (when: string) => observation('weight-tz', '29463-7', 60, 'kg', 0, { effectiveDateTime: when });

/**
 * Written on 26 October, 30 days before New York's today; its UTC date is 27 October, so the
 * old UTC arithmetic called it 30 days old in every zone.
 */
const LATE_EVENING_NEW_YORK = '2026-10-26T23:30:00-05:00';
/** Written on 26 October too; its UTC date is also 26 October (01:00Z). */
const MORNING_TOKYO = '2026-10-26T10:00:00+09:00';

/** Prednisone 40 mg daily planned for 24 weeks: a first treatment, so COP-R14 suggests a review. */
const prednisone40For24Weeks = medicationRequest('draft-pred-40', '312615', 'prednisone 20 MG Oral Tablet', 'draft', { value: 2, unit: '{tbl}', system: UCUM, code: '{tbl}' }, {
  dosageInstruction: [
    {
      timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', boundsDuration: { value: 168, unit: 'days', system: UCUM, code: 'd' } } },
      doseAndRate: [{ doseQuantity: { value: 2, unit: '{tbl}', system: UCUM, code: '{tbl}' } }],
    },
  ],
});

function recordingStore(): { store: CdsStore; shown: ShownCard[] } {
  const shown: ShownCard[] = [];
  const store: CdsStore = {
    recordShownCards: async (cards) => {
      shown.push(...cards);
    },
    recordFeedback: async () => ({ stored: 0, duplicates: 0 }),
    overriddenRules: async () => new Set(),
    shownRules: async () => new Set(),
    patientKeySecret: async () => 'site-time-zone-test-secret-0123456789',
    close: async () => undefined,
  };
  return { store, shown };
}

function siteApp(siteTimeZone: string, store?: CdsStore) {
  const { http } = useApp({ siteTimeZone }, { clock: () => CLOCK, ...(store ? { store } : {}) });
  const post = async (url: string, body: object): Promise<{ cards: WireCard[] }> => {
    const res = await http().post(url).send(body).expect(200);
    expectWellFormed(res.body);
    return res.body;
  };
  return {
    http,
    weightCard: async (when: string) => cardFor(await post(SELECT, orderSelectRequest({ prefetch: { weight: searchset(weightAt(when)) } })), 'COP-R01'),
    reviewDate: async () => {
      const r14 = cardFor(await post(SIGN, orderSignRequest({ drafts: [prednisone40For24Weeks] })), 'COP-R14');
      const pft = r14.suggestions!.flatMap((s) => s.actions.map((a) => a.resource!)).find((r) => r.code?.coding?.[0]?.code === '81458-2');
      return String(pft?.occurrenceDateTime);
    },
  };
}

describe('SITE_TIME_ZONE=UTC (the default): today is 26 November', () => {
  const { store, shown } = recordingStore();
  const app = siteApp('UTC', store);

  it('a weight written on 26 October at 23:30−05:00 is 31 days old: stale (COP-R01 warning)', async () => {
    const r01 = await app.weightCard(LATE_EVENING_NEW_YORK);
    expect(r01.indicator).toBe('warning');
    expect(r01.summary).toMatch(/31 days old/);
    // The card shows the day as written, not the UTC date (27 October).
    expect(r01.detail).toContain('2026-10-26');
    expect(r01.detail).not.toContain('2026-10-27');
  });

  it('COP-R14 dates the review from the site\'s today: 26 November + 42 days', async () => {
    expect(await app.reviewDate()).toMatch(/^2027-01-07/);
  });

  it('the store records the real instant, not the site clock', async () => {
    await app.weightCard(MORNING_TOKYO);
    await vi.waitFor(() => expect(shown.length).toBeGreaterThan(0));
    expect(shown.every((c) => c.shownAt.getTime() === CLOCK.getTime())).toBe(true);
  });
});

describe('SITE_TIME_ZONE=America/New_York: today is still 25 November', () => {
  const { store, shown } = recordingStore();
  const app = siteApp('America/New_York', store);

  it('the same weight is 30 days old: fresh (COP-R01 info)', async () => {
    expect((await app.weightCard(LATE_EVENING_NEW_YORK)).indicator).toBe('info');
  });

  it('a weight written on 26 October whose UTC date is also 26 October is 30 days old here: fresh', async () => {
    // UTC arithmetic (26 October → 26 November) called it 31 days: stale.
    expect((await app.weightCard(MORNING_TOKYO)).indicator).toBe('info');
  });

  it('COP-R14 dates the review from 25 November: 2027-01-06', async () => {
    expect(await app.reviewDate()).toMatch(/^2027-01-06/);
  });

  it('the store and the suppression windows keep the real instant', async () => {
    await vi.waitFor(() => expect(shown.length).toBeGreaterThan(0));
    expect(shown.every((c) => c.shownAt.toISOString() === CLOCK.toISOString())).toBe(true);
  });
});

describe('SITE_TIME_ZONE=Pacific/Auckland: today is 26 November (16:30)', () => {
  const app = siteApp('Pacific/Auckland');

  it('the weight is 31 days old: stale', async () => {
    expect((await app.weightCard(LATE_EVENING_NEW_YORK)).indicator).toBe('warning');
  });
});

describe('a time without a time-zone offset is refused (FHIR requires one)', () => {
  const app = siteApp('UTC');

  it('400 OperationOutcome naming the prefetch key, the resource and the element', async () => {
    const body = orderSelectRequest({ prefetch: { weight: searchset(weightAt('2026-11-01T10:00:00')) } });
    const res = await app.http().post(SELECT).send(body).expect(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const diagnostics = (res.body.issue as { diagnostics: string }[]).map((i) => i.diagnostics).join('\n');
    expect(diagnostics).toMatch(/prefetch\.weight: Observation\/weight-tz: effectiveDateTime: must be a FHIR date or dateTime \(a time needs a time-zone offset/);
  });

  it('also in a draft order', async () => {
    const draft = { ...sandboxPrednisoneDraft(), authoredOn: '2026-11-25T09:00:00' };
    const res = await app.http().post(SELECT).send(orderSelectRequest({ drafts: [draft] })).expect(400);
    const diagnostics = (res.body.issue as { diagnostics: string }[]).map((i) => i.diagnostics).join('\n');
    expect(diagnostics).toMatch(/context\.draftOrders\.entry\.0: MedicationRequest\/draft-pred-1: authoredOn: .*time-zone offset/);
  });
});
