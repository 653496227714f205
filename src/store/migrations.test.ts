import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrationStatements, pendingMigrations } from './migrations.js';

describe('migrations', () => {
  it('are numbered 1, 2, … in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('fill in every type placeholder for both dialects', () => {
    for (const m of MIGRATIONS) {
      for (const dialect of ['sqlite', 'postgres'] as const) {
        const statements = migrationStatements(m, dialect);
        expect(statements.length).toBeGreaterThan(0);
        for (const s of statements) expect(s).not.toMatch(/\{\w+\}/);
      }
    }
    expect(migrationStatements(MIGRATIONS[0]!, 'postgres').join('\n')).toContain('TIMESTAMPTZ');
    expect(migrationStatements(MIGRATIONS[0]!, 'sqlite').join('\n')).toContain('AUTOINCREMENT');
  });

  it('keep free-text comments out of the schema', () => {
    const sql = MIGRATIONS.map((m) => m.sql).join('\n').toLowerCase();
    expect(sql).toContain('had_user_comment');
    expect(sql).not.toMatch(/user_comment\s+text/);
    expect(sql).not.toMatch(/patient_id/);
  });

  it('version 2 adds nullable patient_key and rule_id to feedback, one column per ALTER TABLE (SQLite), and the index', () => {
    const v2 = MIGRATIONS.find((m) => m.version === 2)!;
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const statements = migrationStatements(v2, dialect);
      const alters = statements.filter((s) => /^ALTER TABLE/i.test(s));
      expect(alters).toEqual(['ALTER TABLE feedback ADD COLUMN patient_key TEXT', 'ALTER TABLE feedback ADD COLUMN rule_id TEXT']);
      expect(statements.some((s) => /^UPDATE feedback\b/.test(s))).toBe(true);
      expect(statements).toContain('CREATE INDEX feedback_patient_outcome_time ON feedback (patient_key, outcome, outcome_at, rule_id)');
    }
  });

  it('pendingMigrations skips applied ones and refuses unknown newer ones', () => {
    expect(pendingMigrations([]).map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(pendingMigrations(MIGRATIONS.map((m) => m.version))).toEqual([]);
    expect(() => pendingMigrations([MIGRATIONS.length + 1])).toThrow(/newer than this service/);
  });
});
