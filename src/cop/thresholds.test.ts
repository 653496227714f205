/** The checks between thresholds (knowledge.ts): every way thresholds are built goes through them. */
import { describe, expect, it } from 'vitest';
import { checkedThresholds, closestThresholdKey, DEFAULT_THRESHOLDS, parseThresholds, thresholdProblems } from './knowledge.js';

describe('thresholdProblems', () => {
  it('finds nothing wrong with the catalog defaults', () => {
    expect(thresholdProblems(DEFAULT_THRESHOLDS)).toEqual([]);
    expect(checkedThresholds()).toEqual(DEFAULT_THRESHOLDS);
  });

  it('refuses min above max, naming both keys, marking defaults only when asked', () => {
    const problems = thresholdProblems({ ...DEFAULT_THRESHOLDS, minMgPerKg: 2, maxMgPerKg: 1 });
    expect(problems[0]).toEqual({ keys: ['minMgPerKg', 'maxMgPerKg'], message: expect.stringMatching(/^minMgPerKg \(2\) must be at most maxMgPerKg \(1\): /) });
    expect(problems.map((p) => p.keys)).toEqual([['minMgPerKg', 'maxMgPerKg'], ['minMgPerKg', 'mgPerKg']]);
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, minMgPerKg: 2 }, (k) => k !== 'minMgPerKg')[1]!.message).toContain('mgPerKg (0.75, the default)');
  });

  it('accepts equal bounds where "at most" is the rule, refuses them where "below" is', () => {
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, weightFreshDays: 90, weightStaleMaxDays: 90, weightFreshDaysInpatient: 90 })).toEqual([]);
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, weightMinKg: 250 }).map((p) => p.keys)).toEqual([['weightMinKg', 'weightMaxKg']]);
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, initialPhaseDays: 56, maxInitialPhaseWeeks: 8 })).toEqual([]);
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, initialPhaseDays: 42, maxInitialPhaseWeeks: 5 }).map((p) => p.keys)).toEqual([['initialPhaseDays', 'maxInitialPhaseWeeks']]);
  });

  it('checks one cut-off given in two units (within 5 %)', () => {
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, pao2MinMmHg: 67.5, pao2MinKPa: 9 })).toEqual([]);
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, glucoseHighMmolPerL: 7 }).map((p) => p.keys)).toEqual([['glucoseHighMgPerDl', 'glucoseHighMmolPerL']]);
    expect(thresholdProblems({ ...DEFAULT_THRESHOLDS, hba1cHighMmolPerMol: 53, hba1cHighPercent: 7 })).toEqual([]);
  });
});

describe('parseThresholds / checkedThresholds', () => {
  it('refuses unknown keys with the key likely meant, ranges, and contradictions, in one run', () => {
    const { issues } = parseThresholds({ mgsPerKg: 0.6, mgPerKg: 2 });
    expect(issues.map((i) => i.key)).toEqual(['mgsPerKg', 'mgPerKg']);
    expect(issues[0]!.message).toMatch(/^not a threshold \(did you mean mgPerKg\?\)/);
    expect(() => checkedThresholds({ weightMinKg: 300 })).toThrow(/weightMinKg: weightMinKg \(300\) must be below weightMaxKg \(250, the default\)/);
    expect(checkedThresholds({ mgPerKg: 0.5 }).mgPerKg).toBe(0.5);
  });

  it('suggests a key for a misspelt name in camelCase or SCREAMING_SNAKE_CASE', () => {
    expect(closestThresholdKey('MG_PER_KILO')).toBe('mgPerKg');
    expect(closestThresholdKey('REVIEW_WEEK')).toBe('reviewWeeks');
    expect(closestThresholdKey('weightFreshDay')).toBe('weightFreshDays');
    expect(closestThresholdKey('CDS_RUNNER')).toBeUndefined();
  });
});
