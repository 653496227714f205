/**
 * The CdsStore contract, one suite run against every backend (SQLite, PostgreSQL). A backend
 * supplies fresh, isolated locations; each test opens stores on its own location.
 */
import { describe, expect, it } from 'vitest';
import type { RuleId } from '../../src/cop/knowledge.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
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
  /**
   * Creates the schema as a service knowing migrations up to `version` left it (tables and
   * schema_migrations), without opening a store: the starting point of an upgrade.
   */
  createAtVersion(version: number): Promise<void>;
  /**
   * One raw SQL statement with `?` placeholders (times as ISO-8601 text, booleans as 0/1, which
   * both backends accept); the rows it returns, if any.
   */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
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
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** overriddenRules as the store answered it before feedback carried the card's patient and rule. */
async function overriddenByJoin(location: StoreLocation, key: string, ruleIds: RuleId[], since: Date): Promise<Set<string>> {
  const rows = await location.query(
    `SELECT DISTINCT s.rule_id AS rule_id FROM shown_card s JOIN feedback f ON f.card_uuid = s.card_uuid
      WHERE s.patient_key = ? AND s.rule_id IN (${marks(ruleIds.length)})
        AND f.outcome = 'overridden' AND f.outcome_at >= ?`,
    [key, ...ruleIds, since.toISOString()],
  );
  return new Set(rows.map((r) => String(r.rule_id)));
}

/** shownRules as the store answered it before the per-rule existence checks. */
async function shownByScan(location: StoreLocation, key: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<string>> {
  const rows = await location.query(
    `SELECT DISTINCT rule_id AS rule_id FROM shown_card
      WHERE patient_key = ? AND rule_id IN (${marks(ruleIds.length)}) AND shown_at >= ?${hook === undefined ? '' : ' AND hook = ?'}`,
    [key, ...ruleIds, since.toISOString(), ...(hook === undefined ? [] : [hook])],
  );
  return new Set(rows.map((r) => String(r.rule_id)));
}

/** A card row written the way a version-1 service wrote it. */
async function insertV1Card(location: StoreLocation, c: ShownCard): Promise<void> {
  await location.query(
    `INSERT INTO shown_card (card_uuid, rule_id, service_id, hook, hook_instance, patient_key, indicator, suggestion_uuids, shown_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [c.cardUuid, c.ruleId, c.serviceId, c.hook, c.hookInstance, c.patientKey, c.indicator, JSON.stringify(c.suggestionUuids),
      c.shownAt.toISOString()],
  );
}

/** A feedback row written the way a version-1 service wrote it (no patient or rule columns). */
async function insertV1Feedback(location: StoreLocation, cardUuid: string, outcome: 'accepted' | 'overridden', at: Date): Promise<void> {
  await location.query(
    `INSERT INTO feedback (service_id, card_uuid, outcome, accepted_suggestions, had_user_comment, outcome_timestamp, outcome_at, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [SERVICE, cardUuid, outcome, '[]', 0, at.toISOString(), at.toISOString(), at.toISOString()],
  );
}

/** What feedback says about each card: the patient and rule it was given (null when unknown). */
async function feedbackCards(location: StoreLocation): Promise<{ card_uuid: string; patient_key: string | null; rule_id: string | null }[]> {
  const rows = await location.query('SELECT card_uuid, patient_key, rule_id FROM feedback ORDER BY card_uuid, outcome_at');
  return rows.map((r) => ({
    card_uuid: String(r.card_uuid),
    patient_key: r.patient_key === null ? null : String(r.patient_key),
    rule_id: r.rule_id === null ? null : String(r.rule_id),
  }));
}

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
          expect(await location.migrationVersions()).toEqual(ALL_VERSIONS);

          const second = await location.open({ patientKeySecret: SECRET });
          try {
            expect(await location.migrationVersions()).toEqual(ALL_VERSIONS);
            expect(await second.shownRules(key, ['COP-R20'], daysAgo(90))).toEqual(new Set(['COP-R20']));
          } finally {
            await second.close();
          }
        });
      });

      it('upgrades a version-1 database: feedback gets its card patient and rule, unknown cards stay NULL', async () => {
        await withLocation(backend(), async (location) => {
          await location.createAtVersion(1);
          expect(await location.migrationVersions()).toEqual([1]);
          const a = patientKey(SECRET, PATIENT_ID);
          const b = patientKey(SECRET, OTHER_PATIENT_ID);
          const recent = card('COP-R01', a, hoursAgo(3));
          const old = card('COP-R08', a, hoursAgo(40));
          const acceptedCard = card('COP-R10', a, hoursAgo(3));
          const otherPatient = card('COP-R09', b, hoursAgo(3));
          const never = card('COP-R12', a, hoursAgo(3)); // feedback only: the store never saw this card
          const shownOnly = card('COP-R20', a, daysAgo(30), { hook: 'patient-view' });
          for (const c of [recent, old, acceptedCard, otherPatient, shownOnly]) await insertV1Card(location, c);
          await insertV1Feedback(location, recent.cardUuid, 'overridden', hoursAgo(2));
          await insertV1Feedback(location, recent.cardUuid, 'accepted', hoursAgo(1));
          await insertV1Feedback(location, old.cardUuid, 'overridden', hoursAgo(30));
          await insertV1Feedback(location, acceptedCard.cardUuid, 'accepted', hoursAgo(2));
          await insertV1Feedback(location, otherPatient.cardUuid, 'overridden', hoursAgo(1));
          await insertV1Feedback(location, never.cardUuid, 'overridden', hoursAgo(1));
          const all: RuleId[] = ['COP-R01', 'COP-R08', 'COP-R09', 'COP-R10', 'COP-R12', 'COP-R20'];
          const before = {
            a24: await overriddenByJoin(location, a, all, hoursAgo(24)),
            a48: await overriddenByJoin(location, a, all, hoursAgo(48)),
            b24: await overriddenByJoin(location, b, all, hoursAgo(24)),
          };

          const store = await location.open({ patientKeySecret: SECRET });
          try {
            expect(await location.migrationVersions()).toEqual(ALL_VERSIONS);
            expect(await feedbackCards(location)).toEqual(
              [
                { card_uuid: recent.cardUuid, patient_key: a, rule_id: 'COP-R01' },
                { card_uuid: recent.cardUuid, patient_key: a, rule_id: 'COP-R01' },
                { card_uuid: old.cardUuid, patient_key: a, rule_id: 'COP-R08' },
                { card_uuid: acceptedCard.cardUuid, patient_key: a, rule_id: 'COP-R10' },
                { card_uuid: otherPatient.cardUuid, patient_key: b, rule_id: 'COP-R09' },
                { card_uuid: never.cardUuid, patient_key: null, rule_id: null },
              ].sort((x, y) => x.card_uuid.localeCompare(y.card_uuid)),
            );
            // The same answers as the version-1 join gave.
            expect(before.a24).toEqual(new Set(['COP-R01']));
            expect(before.a48).toEqual(new Set(['COP-R01', 'COP-R08']));
            expect(before.b24).toEqual(new Set(['COP-R09']));
            expect(await store.overriddenRules(a, all, hoursAgo(24))).toEqual(before.a24);
            expect(await store.overriddenRules(a, all, hoursAgo(48))).toEqual(before.a48);
            expect(await store.overriddenRules(b, all, hoursAgo(24))).toEqual(before.b24);
            expect(await store.shownRules(a, all, daysAgo(90))).toEqual(new Set(['COP-R01', 'COP-R08', 'COP-R10', 'COP-R20']));
            expect(await store.shownRules(a, all, daysAgo(90), 'order-sign')).toEqual(new Set());
          } finally {
            await store.close();
          }
          // Opening again applies nothing more.
          await (await location.open({ patientKeySecret: SECRET })).close();
          expect(await location.migrationVersions()).toEqual(ALL_VERSIONS);
        });
      });

      it('two stores opening the same empty location together both succeed', async () => {
        await withLocation(backend(), async (location) => {
          const stores = await Promise.all([location.open(), location.open()]);
          try {
            expect(await location.migrationVersions()).toEqual(ALL_VERSIONS);
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

    describe('feedback carries its card patient and rule', () => {
      it('from the stored card when the feedback is written; NULL for a card the store never saw', async () => {
        await withStore(backend(), async (store, location) => {
          const a = patientKey(SECRET, PATIENT_ID);
          const known = card('COP-R01', a, hoursAgo(3));
          const unknown = card('COP-R08', a, hoursAgo(3));
          await store.recordShownCards([known]);
          await store.recordFeedback(SERVICE, [overridden(known, hoursAgo(2)), overridden(unknown, hoursAgo(2))], hoursAgo(2));
          expect(await feedbackCards(location)).toEqual(
            [
              { card_uuid: known.cardUuid, patient_key: a, rule_id: 'COP-R01' },
              { card_uuid: unknown.cardUuid, patient_key: null, rule_id: null },
            ].sort((x, y) => x.card_uuid.localeCompare(y.card_uuid)),
          );
        });
      });

      it('from the card recorded after its feedback (a card another instance had not yet committed)', async () => {
        await withStore(backend(), async (store, location) => {
          const a = patientKey(SECRET, PATIENT_ID);
          const late = card('COP-R01', a, hoursAgo(3));
          await store.recordFeedback(SERVICE, [overridden(late, hoursAgo(2))], hoursAgo(2));
          expect(await store.overriddenRules(a, ['COP-R01'], hoursAgo(24))).toEqual(new Set());
          await store.recordShownCards([late]);
          expect(await store.overriddenRules(a, ['COP-R01'], hoursAgo(24))).toEqual(new Set(['COP-R01']));
          expect(await store.overriddenRules(a, ['COP-R01'], hoursAgo(24))).toEqual(await overriddenByJoin(location, a, ['COP-R01'], hoursAgo(24)));
          // Recording the card again changes nothing.
          await store.recordShownCards([{ ...late, patientKey: 'someone-else', ruleId: 'COP-R08' }]);
          expect(await feedbackCards(location)).toEqual([{ card_uuid: late.cardUuid, patient_key: a, rule_id: 'COP-R01' }]);
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
          // Another patient's override, or an override of a rule not asked about, does not count.
          expect(await store.overriddenRules(a, ['COP-R09'], hoursAgo(48))).toEqual(new Set());
          expect(await store.overriddenRules(a, ['COP-R03', 'COP-R10', 'COP-R12'], hoursAgo(48))).toEqual(new Set());
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

    describe('same answers as the queries they replace', () => {
      it('overriddenRules and shownRules agree with the join and the window scan over a mixed history', async () => {
        await withStore(backend(), async (store, location) => {
          const keys = [patientKey(SECRET, PATIENT_ID), patientKey(SECRET, OTHER_PATIENT_ID), patientKey(SECRET, 'third')];
          const rules: RuleId[] = ['COP-R01', 'COP-R08', 'COP-R10', 'COP-R20'];
          const hooks = ['patient-view', 'order-sign'];
          const cards: ShownCard[] = [];
          const feedback: { items: FeedbackItem[]; at: Date }[] = [];
          // A deterministic spread: every patient, rule and hook, over 120 days, some overridden,
          // some accepted, and overrides for cards the store never saw.
          for (let i = 0; i < 96; i += 1) {
            const c = card(rules[i % 4]!, keys[i % 3]!, hoursAgo((i * 29) % 2900), { hook: hooks[(i >> 2) % 2]! });
            cards.push(c);
            const at = hoursAgo(Math.max(0, ((i * 29) % 2900) - (i % 7) * 5));
            if (i % 3 === 0) feedback.push({ items: [overridden(c, at)], at });
            if (i % 5 === 0) feedback.push({ items: [accepted(c, at, 'sug')], at });
            if (i % 11 === 0) feedback.push({ items: [overridden(card(rules[(i + 1) % 4]!, keys[i % 3]!, at), at)], at });
          }
          await store.recordShownCards(cards);
          for (const f of feedback) await store.recordFeedback(SERVICE, f.items, f.at);

          const ruleSets: RuleId[][] = [rules, ['COP-R01'], ['COP-R20', 'COP-R08', 'COP-R12']];
          const sizes = { overridden: new Set<number>(), shown: new Set<number>() };
          for (const key of [...keys, patientKey(SECRET, 'nobody')]) {
            for (const ids of ruleSets) {
              for (const since of [hoursAgo(24), hoursAgo(48), daysAgo(90), daysAgo(365)]) {
                const o = await store.overriddenRules(key, ids, since);
                expect(o).toEqual(await overriddenByJoin(location, key, ids, since));
                sizes.overridden.add(o.size);
                for (const hook of [undefined, ...hooks]) {
                  const s = await store.shownRules(key, ids, since, hook);
                  expect(s).toEqual(await shownByScan(location, key, ids, since, hook));
                  sizes.shown.add(s.size);
                }
              }
            }
          }
          // The history is varied enough that the answers range from none to several rules.
          expect(Math.max(...sizes.overridden)).toBeGreaterThanOrEqual(2);
          expect(Math.max(...sizes.shown)).toBeGreaterThanOrEqual(3);
          expect(sizes.overridden.has(0) && sizes.shown.has(0)).toBe(true);
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
