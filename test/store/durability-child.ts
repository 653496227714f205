/**
 * Child process of durability.test.ts: opens the SQLite store at argv[2] and records one shown card
 * and one override per iteration, printing `ack <n> <card uuid>` only after recordFeedback has
 * resolved (i.e. committed). The parent SIGKILLs it mid-stream.
 */
import { openSqliteStore } from '../../src/store/sqlite-store.js';

const file = process.argv[2];
if (!file) throw new Error('usage: durability-child.ts <sqlite file>');
const store = await openSqliteStore(file, { patientKeySecret: 'durability-test-secret' });
process.stdout.write('ready\n');
for (let n = 0; n < 1_000_000; n += 1) {
  const cardUuid = `dur-${process.pid}-${n}`;
  const at = new Date(Date.UTC(2025, 10, 20, 12, 0, 0) + n);
  await store.recordShownCards([
    {
      cardUuid, ruleId: 'COP-R10', serviceId: 'cop-patient-view', hook: 'patient-view', hookInstance: `hi-${n}`,
      patientKey: 'durability-key', indicator: 'warning', suggestionUuids: [], shownAt: at,
    },
  ]);
  const result = await store.recordFeedback(
    'cop-patient-view',
    [{ cardUuid, outcome: 'overridden', acceptedSuggestions: [], hadUserComment: false, outcomeTimestamp: at.toISOString() }],
    at,
  );
  if (result.stored !== 1) throw new Error(`expected one stored row, got ${JSON.stringify(result)}`);
  process.stdout.write(`ack ${n} ${cardUuid}\n`);
}
