import { describe, expect, it } from 'vitest';
import type { RuleId } from './knowledge.js';
import type { Finding } from './rule-types.js';
import { appliesTo, applySuppression, suppressionWindows } from './suppression.js';

const finding = (ruleId: RuleId): Finding => ({ ruleId, indicator: 'info', summary: 's', detail: [], evidence: [], citations: [] });
const ids = (fs: Finding[]) => fs.map((f) => f.ruleId);

describe('applySuppression', () => {
  const all = [finding('COP-R01'), finding('COP-R15'), finding('COP-R20')];

  it('drops rules overridden within the window and keeps the rest', () => {
    expect(ids(applySuppression(all, { overridden: new Set(['COP-R15']), shownWithinInterval: new Set() }))).toEqual(['COP-R01', 'COP-R20']);
  });

  it('shows COP-R20 only when it was not shown within its interval; other rules are not rate-limited', () => {
    expect(ids(applySuppression(all, { overridden: new Set(), shownWithinInterval: new Set(['COP-R20', 'COP-R01']) }))).toEqual(['COP-R01', 'COP-R15']);
    expect(ids(applySuppression(all, { overridden: new Set(), shownWithinInterval: new Set() }))).toEqual(['COP-R01', 'COP-R15', 'COP-R20']);
  });

  it('applies to patient-view only', () => {
    expect(appliesTo('patient-view')).toBe(true);
    expect(appliesTo('order-select')).toBe(false);
    expect(appliesTo('order-sign')).toBe(false);
  });

  it('computes the windows from the request clock', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const w = suppressionWindows(now, { overrideSuppressionHours: 24, surveillanceIntervalDays: 90 });
    expect(w.overrideSince.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(w.intervalSince.toISOString()).toBe('2026-08-27T10:00:00.000Z');
  });
});

describe('the once-per-interval policy comes from the rule declarations', () => {
  it('is COP-R20 alone, as its declaration says', async () => {
    const { ONCE_PER_INTERVAL_RULES } = await import('./suppression.js');
    expect(ONCE_PER_INTERVAL_RULES).toEqual(['COP-R20']);
  });
});
