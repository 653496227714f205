/**
 * The CdsStore contract, one suite run against every backend (SQLite, PostgreSQL). A backend
 * supplies fresh, isolated locations; each test opens stores on its own location.
 */
import { describe, expect, it } from 'vitest';
import type { RuleId } from '../../src/cop/knowledge.js';
import { patientKey } from '../../src/store/patient-key.js';
import type { CdsStore, FeedbackItem, ShownCard } from '../../src/store/types.js';

export interface StoreLocation {
  open(options?: { patientKeySecret?: string }): Promise<CdsStore>;
  /** Every row of every table (schema_migrations and meta included), as text. */
  dump(): Promise<string>;
  /** Names of the tables at this location. */
  tables(): Promise<string[]>;
  /** Versions recorded in schema_migrations, in order. */
  migrationVersions(): Promise<number[]>;
  /** Raw bytes of the storage as text, where the backend can show them (SQLite files). */
  rawText?(): Promise<string>;
  dispose(): Promise<void>;
}

export interface StoreBackend {
  fresh(): Promise<StoreLocation>;
}

const NOW = new Date('2025-11-20T12:00:00.000Z');
const hoursAgo = (h: number): Date => new Date(NOW.getTime() - h * 3_600_000);
const daysAgo = (d: number): Date => hoursAgo(d * 24);
const SERVICE = 'cop-patient-view';
/** Looks like nothing else in the data, so a search for it is meaningful. */
const PATIENT_ID = 'Patient-cop-7f3c91e2-zz';
const OTHER_PATIENT_ID = 'Patient-cop-0b44d5aa-yy';
const SECRET = 'contract-test-secret-0123456789';

let counter = 0;
function card(ruleId: RuleId, key: string, shownAt: Date, extra: Partial<ShownCard> = {}): ShownCard {
  counter += 1;
  return {
    cardUuid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    ruleId,
    serviceId: SERVICE,
    hook: 'patient-view',
    hookInstance: `hook-instance-${counter}`,
    patientKey: key,
    indicator: 'info',
    suggestionUuids: [],
    shownAt,
    ...extra,
  };
}

function overridden(c: ShownCard, at: Date, extra: Partial<FeedbackItem> = {}): FeedbackItem {
  return {
    cardUuid: c.cardUuid,
    outcome: 'overridden',
    acceptedSuggestions: [],
    hadUserComment: false,
    outcomeTimestamp: at.toISOString(),
    ...extra,
  };
}

function accepted(c: ShownCard, at: Date, suggestion: string): FeedbackItem {
  return {
    cardUuid: c.cardUuid,
    outcome: 'accepted',
    acceptedSuggestions: [suggestion],
    hadUserComment: false,
    outcomeTimestamp: at.toISOString(),
  };
}

async function withLocation(backend: StoreBackend, test: (location: StoreLocation) => Promise<void>): Promise<void> {
  const location = await backend.fresh();
  try {
    await test(location);
  } finally {
    await location.dispose();
  }
}

async function withStore(
  backend: StoreBackend,
  test: (store: CdsStore, location: StoreLocation) => Promise<void>,
): Promise<void> {
  await withLocation(backend, async (location) => {
    const store = await location.open({ patientKeySecret: SECRET });
    try {
      await test(store, location);
    } finally {
      await store.close();
    }
  });
}

export function storeContract(name: string, backend: () => StoreBackend): void {
  describe(`CdsStore contract: ${name}`, () => {
    describe('migrations', () => {
      it('creates the schema once; opening again applies nothing and keeps the data', async () => {
        await withLocation(backend(), async (location) => {
          const key = patientKey(SECRET, PATIENT_ID);
          const first = await location.open({ patientKeySecret: SECRET });
          await first.recordShownCards([card('COP-R20', key, daysAgo(1))]);
          await first.close();
          expect(await location.tables()).toEqual(
            expect.arrayContaining(['feedback', 'meta', 'schema_migrations', 'shown_card']),
          );
          expect(await location.migrationVersions()).toEqual([1]);

          const second = await location.open({ patientKeySecret: SECRET });
          try {
            expect(await location.migrationVersions()).toEqual([1]);
            expect(await second.shownRules(key, ['COP-R20'], daysAgo(90))).toEqual(new Set(['COP-R20']));
          } finally {
            await second.close();
          }
        });
      });

      it('two stores opening the same empty location together both succeed', async () => {
        await withLocation(backend(), async (location) => {
          const stores = await Promise.all([location.open(), location.open()]);
          try {
            expect(await location.migrationVersions()).toEqual([1]);
            const [a, b] = await Promise.all(stores.map((s) => s.patientKeySecret()));
            expect(a).toBe(b);
          } finally {
            await Promise.all(stores.map((s) => s.close()));
          }
        });
      });
    });

    describe('recordFeedback', () => {
      it('is idempotent: a repeated post stores nothing new and counts duplicates', async () => {
        await withStore(backend(), async (store, location) => {
          const key = patientKey(SECRET, PATIENT_ID);
          const c1 = card('COP-R01', key, hoursAgo(3), { suggestionUuids: ['s-1', 's-2'] });
          const c2 = card('COP-R08', key, hoursAgo(3));
          await store.recordShownCards([c1, c2]);
          const items = [accepted(c1, hoursAgo(2), 's-1'), overridden(c2, hoursAgo(2))];

          expect(await store.recordFeedback(SERVICE, items, hoursAgo(2))).toEqual({ stored: 2, duplicates: 0 });
          expect(await store.recordFeedback(SERVICE, items, hoursAgo(1))).toEqual({ stored: 0, duplicates: 2 });
          // A duplicate inside one batch, next to a new item.
          const later = overridden(c1, hoursAgo(1));
          expect(await store.recordFeedback(SERVICE, [later, later, items[0]!], hoursAgo(1))).toEqual({
            stored: 1,
            duplicates: 2,
          });
          expect(await store.recordFeedback(SERVICE, [], hoursAgo(1))).toEqual({ stored: 0, duplicates: 0 });

          const dump = await location.dump();
          // Three distinct (card, outcome, timestamp) rows in feedback.
          expect(dump.match(/"outcome":"(accepted|overridden)"/g)).toHaveLength(3);
        });
      });

      it('keeps override reason codes and whether a comment was given, for cards it never issued too', async () => {
        await withStore(backend(), async (store, location) => {
          const key = patientKey(SECRET, PATIENT_ID);
          const c = card('COP-R10', key, hoursAgo(2));
          const result = await store.recordFeedback(
            SERVICE,
            [
              overridden(c, hoursAgo(1), {
                overrideReason: { system: 'http://example.org/reasons', code: 'client-added', display: 'Client reason' },
                hadUserComment: true,
              }),
              overridden(card('COP-R11', key, hoursAgo(2)), hoursAgo(1)),
            ],
            hoursAgo(1),
          );
          expect(result).toEqual({ stored: 2, duplicates: 0 });
          const dump = await location.dump();
          expect(dump).toContain('client-added');
          expect(dump).toContain('http://example.org/reasons');
        });
      });
    });

    describe('recordShownCards', () => {
      it('records a card once; recording the same uuid again is a no-op', async () => {
        await withStore(backend(), async (store, location) => {
          const key = patientKey(SECRET, PATIENT_ID);
          const c = card('COP-R20', key, daysAgo(10), { suggestionUuids: ['sug-a'] });
          await store.recordShownCards([c]);
          await store.recordShownCards([c, { ...c, shownAt: daysAgo(1) }]);
          await store.recordShownCards([]);
          const dump = await location.dump();
          expect(dump.split(c.cardUuid)).toHaveLength(2);
          expect(dump).toContain('sug-a');
        });
      });
    });

    describe('overriddenRules', () => {
      it('joins feedback to shown cards by card uuid, within `since`, for this patient only', async () => {
        await withStore(backend(), async (store) => {
          const a = patientKey(SECRET, PATIENT_ID);
          const b = patientKey(SECRET, OTHER_PATIENT_ID);
          const recent = card('COP-R01', a, hoursAgo(3));
          const old = card('COP-R08', a, hoursAgo(40));
          const acceptedCard = card('COP-R10', a, hoursAgo(3), { suggestionUuids: ['sug-1'] });
          const ignored = card('COP-R03', a, hoursAgo(3));
          const otherPatient = card('COP-R09', b, hoursAgo(3));
          // Shown long ago, but the client reports the override only now, with a timestamp in the future.
          const futureStamped = card('COP-R16', a, hoursAgo(50));
          await store.recordShownCards([recent, old, acceptedCard, ignored, otherPatient, futureStamped]);
          await store.recordFeedback(SERVICE, [overridden(recent, hoursAgo(2)), accepted(acceptedCard, hoursAgo(2), 'sug-1')], hoursAgo(2));
          await store.recordFeedback(SERVICE, [overridden(old, hoursAgo(30))], hoursAgo(30));
          await store.recordFeedback(SERVICE, [overridden(otherPatient, hoursAgo(1))], hoursAgo(1));
          await store.recordFeedback(
            SERVICE,
            [overridden(futureStamped, new Date(NOW.getTime() + 10 * 86_400_000))],
            hoursAgo(30),
          );
          // Feedback for a card this store never saw joins nothing.
          await store.recordFeedback(SERVICE, [overridden(card('COP-R12', a, NOW), hoursAgo(1))], hoursAgo(1));

          const all: RuleId[] = ['COP-R01', 'COP-R03', 'COP-R08', 'COP-R09', 'COP-R10', 'COP-R12', 'COP-R16'];
          expect(await store.overriddenRules(a, all, hoursAgo(24))).toEqual(new Set(['COP-R01']));
          expect(await store.overriddenRules(a, all, hoursAgo(48))).toEqual(new Set(['COP-R01', 'COP-R08', 'COP-R16']));
          expect(await store.overriddenRules(a, ['COP-R08'], hoursAgo(48))).toEqual(new Set(['COP-R08']));
          expect(await store.overriddenRules(a, [], hoursAgo(48))).toEqual(new Set());
          expect(await store.overriddenRules(b, all, hoursAgo(24))).toEqual(new Set(['COP-R09']));
          expect(await store.overriddenRules(patientKey(SECRET, 'nobody'), all, hoursAgo(48))).toEqual(new Set());
          // The window's edge is inclusive.
          expect(await store.overriddenRules(a, ['COP-R01'], hoursAgo(2))).toEqual(new Set(['COP-R01']));
          expect(await store.overriddenRules(a, ['COP-R01'], new Date(hoursAgo(2).getTime() + 1))).toEqual(new Set());
        });
      });
    });

    describe('shownRules', () => {
      it('returns rules shown to this patient since `since`, optionally on one hook', async () => {
        await withStore(backend(), async (store) => {
          const a = patientKey(SECRET, PATIENT_ID);
          const b = patientKey(SECRET, OTHER_PATIENT_ID);
          await store.recordShownCards([
            card('COP-R20', a, daysAgo(30)),
            card('COP-R18', a, daysAgo(100)),
            card('COP-R04', a, daysAgo(2), { hook: 'order-sign', serviceId: 'cop-order-sign' }),
            card('COP-R17', b, daysAgo(1)),
          ]);
          const rules: RuleId[] = ['COP-R20', 'COP-R18', 'COP-R04', 'COP-R17'];
          expect(await store.shownRules(a, rules, daysAgo(90))).toEqual(new Set(['COP-R20', 'COP-R04']));
          expect(await store.shownRules(a, rules, daysAgo(90), 'patient-view')).toEqual(new Set(['COP-R20']));
          expect(await store.shownRules(a, rules, daysAgo(90), 'order-sign')).toEqual(new Set(['COP-R04']));
          expect(await store.shownRules(a, rules, daysAgo(365))).toEqual(new Set(['COP-R20', 'COP-R18', 'COP-R04']));
          expect(await store.shownRules(a, ['COP-R20'], daysAgo(29))).toEqual(new Set());
          expect(await store.shownRules(a, [], daysAgo(365))).toEqual(new Set());
          expect(await store.shownRules(b, rules, daysAgo(90))).toEqual(new Set(['COP-R17']));
        });
      });
    });

    describe('privacy', () => {
      it('never stores the patient id in clear', async () => {
        await withLocation(backend(), async (location) => {
          const store = await location.open();
          try {
            const secret = await store.patientKeySecret();
            const key = patientKey(secret, PATIENT_ID);
            const c = card('COP-R01', key, hoursAgo(3));
            await store.recordShownCards([c, card('COP-R20', key, hoursAgo(3))]);
            await store.recordFeedback(
              SERVICE,
              [overridden(c, hoursAgo(2), { hadUserComment: true, overrideReason: { code: 'x' } })],
              hoursAgo(2),
            );
          } finally {
            await store.close();
          }
          const dump = await location.dump();
          expect(dump).toContain(patientKey(await secretOf(location), PATIENT_ID)); // the dump does see the rows
          expect(dump).not.toContain(PATIENT_ID);
          if (location.rawText) expect(await location.rawText()).not.toContain(PATIENT_ID);
        });
      });

      it('generates a patient-key secret once and keeps it across reopening', async () => {
        await withLocation(backend(), async (location) => {
          const first = await location.open();
          const secret = await first.patientKeySecret();
          await first.close();
          expect(secret).toMatch(/^[0-9a-f]{64}$/);
          const second = await location.open();
          try {
            expect(await second.patientKeySecret()).toBe(secret);
          } finally {
            await second.close();
          }
        });
      });

      it('uses a configured secret as given and does not store it', async () => {
        await withLocation(backend(), async (location) => {
          const store = await location.open({ patientKeySecret: SECRET });
          try {
            expect(await store.patientKeySecret()).toBe(SECRET);
          } finally {
            await store.close();
          }
          expect(await location.dump()).not.toContain(SECRET);
        });
      });
    });

    it('refuses calls after close', async () => {
      await withLocation(backend(), async (location) => {
        const store = await location.open();
        await store.close();
        await store.close(); // twice is fine
        await expect(store.shownRules('k', ['COP-R20'], NOW)).rejects.toThrow(/closed/);
        await expect(store.recordFeedback(SERVICE, [], NOW)).rejects.toThrow(/closed/);
      });
    });
  });
}

/** The generated secret, read back through a store (opening migrates nothing new). */
async function secretOf(location: StoreLocation): Promise<string> {
  const store = await location.open();
  try {
    return await store.patientKeySecret();
  } finally {
    await store.close();
  }
}
