/** The store contract on SQLite (a file in a fresh temporary directory), plus SQLite specifics. */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, overriddenRulesSql, shownRulesSql } from '../../src/store/sqlite-store.js';
import { storeContract, type StoreBackend } from './contract.js';
import { sqliteLocation as sqliteAt } from './sqlite-location.js';

const sqliteLocation = () => sqliteAt(openSqliteStore);

/** EXPLAIN QUERY PLAN details of one statement, parameters bound to placeholder text. */
function queryPlan(db: Database.Database, sql: string, params: unknown[] | Record<string, unknown>): string[] {
  const explain = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const rows = (Array.isArray(params) ? explain.all(...params) : explain.all(params)) as { detail: string }[];
  return rows.map((r) => r.detail);
}

const backend: StoreBackend = { fresh: sqliteLocation };
storeContract('SQLite', () => backend);

describe('SQLite store specifics', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('opens in WAL mode with synchronous = FULL and creates the parent directory', async () => {
    const location = await sqliteLocation();
    cleanups.push(location.dispose);
    const store = await openSqliteStore(location.file);
    try {
      expect(store.settings()).toEqual({ journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 5000 });
    } finally {
      await store.close();
    }
  });

  it('works in memory for tests', async () => {
    const store = await openSqliteStore(':memory:');
    try {
      const secret = await store.patientKeySecret();
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      await store.recordShownCards([
        {
          cardUuid: 'c-1', ruleId: 'COP-R20', serviceId: 's', hook: 'patient-view', hookInstance: 'h',
          patientKey: 'k', indicator: 'info', suggestionUuids: [], shownAt: new Date('2025-01-01T00:00:00Z'),
        },
      ]);
      expect(await store.shownRules('k', ['COP-R20'], new Date('2024-12-31T00:00:00Z'))).toEqual(new Set(['COP-R20']));
    } finally {
      await store.close();
    }
  });

  describe('query plans of the suppression reads', () => {
    /** A store file with a long history for one patient, some for others, then (optionally) ANALYZE. */
    async function populated(analyze: boolean): Promise<Database.Database> {
      const location = await sqliteLocation();
      cleanups.push(location.dispose);
      const store = await openSqliteStore(location.file, { patientKeySecret: 'plan-test-secret-0123456789' });
      try {
        const rules = ['COP-R01', 'COP-R08', 'COP-R10', 'COP-R20'] as const;
        const cards = Array.from({ length: 600 }, (_, i) => ({
          cardUuid: `plan-${i}`, ruleId: rules[i % 4]!, serviceId: 's', hook: i % 5 === 0 ? 'order-sign' : 'patient-view',
          hookInstance: `h-${i}`, patientKey: i % 10 === 0 ? `other-${i}` : 'hot', indicator: 'info' as const,
          suggestionUuids: [], shownAt: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000),
        }));
        await store.recordShownCards(cards);
        await store.recordFeedback(
          's',
          cards.filter((_, i) => i % 3 === 0).map((c) => ({
            cardUuid: c.cardUuid, outcome: 'overridden' as const, acceptedSuggestions: [], hadUserComment: false,
            outcomeTimestamp: c.shownAt.toISOString(),
          })),
          new Date(Date.UTC(2026, 0, 1)),
        );
      } finally {
        await store.close();
      }
      const db = new Database(location.file);
      cleanups.push(async () => void db.close());
      if (analyze) db.exec('ANALYZE');
      return db;
    }

    for (const analyze of [false, true]) {
      const stats = analyze ? 'with ANALYZE statistics' : 'without statistics';

      it(`overriddenRules reads only feedback_patient_outcome_time, never shown_card (${stats})`, async () => {
        const db = await populated(analyze);
        for (const count of [1, 3]) {
          const ids = ['COP-R01', 'COP-R08', 'COP-R20'].slice(0, count);
          const plan = queryPlan(db, overriddenRulesSql(count), ['hot', '2025-01-10T00:00:00.000Z', ...ids]);
          const reads = plan.filter((d) => /^(SEARCH|SCAN) /.test(d));
          expect(reads).toHaveLength(1);
          expect(reads[0]).toMatch(
            /^SEARCH feedback USING (COVERING )?INDEX feedback_patient_outcome_time \(patient_key=\? AND outcome=\? AND outcome_at>\?\)/,
          );
          expect(plan.join('\n')).not.toMatch(/shown_card/);
        }
      });

      it(`shownRules seeks shown_card_patient_rule_time once per rule, with or without a hook (${stats})`, async () => {
        const db = await populated(analyze);
        for (const withHook of [false, true]) {
          for (const count of [1, 3]) {
            const params: Record<string, string> = { patientKey: 'hot', since: '2025-01-10T00:00:00.000Z' };
            if (withHook) params.hook = 'patient-view';
            ['COP-R01', 'COP-R08', 'COP-R20'].slice(0, count).forEach((id, i) => (params[`r${i}`] = id));
            const plan = queryPlan(db, shownRulesSql(count, withHook), params);
            const reads = plan.filter((d) => /^(SEARCH|SCAN) /.test(d));
            expect(reads).toHaveLength(count);
            for (const read of reads) {
              // An EXISTS probe: the first matching index entry answers it.
              expect(read).toMatch(
                /^SEARCH shown_card EXISTS USING (COVERING )?INDEX shown_card_patient_rule_time \(patient_key=\? AND rule_id=\? AND shown_at>\?\)$/,
              );
            }
            expect(plan.join('\n')).not.toMatch(/shown_card_patient_hook_time|TEMP B-TREE/);
          }
        }
      });
    }
  });

  it('refuses a database migrated by a newer version of the service', async () => {
    const location = await sqliteLocation();
    cleanups.push(location.dispose);
    await (await location.open()).close();
    const db = new Database(location.file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01')").run();
    db.close();
    await expect(location.open()).rejects.toThrow(/newer than this service/);
  });
});
