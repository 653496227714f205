import { describe, expect, it } from 'vitest';
import { RULE_CODE_SYSTEM } from '../cop/knowledge.js';
import { feedbackItemsOf, shownCardsOf } from './card-records.js';
import type { Card } from './wire.js';

const card = (code: string, suggestions: string[] = []): Card => ({
  uuid: `card-${code}`,
  summary: 's',
  indicator: 'info',
  source: { label: 'COP CDS', topic: { system: RULE_CODE_SYSTEM, code } },
  ...(suggestions.length > 0
    ? { suggestions: suggestions.map((uuid) => ({ uuid, label: 'x', actions: [{ type: 'delete' as const, description: 'd', resourceId: 'X/1' }] })), selectionBehavior: 'at-most-one' as const }
    : {}),
});

describe('shownCardsOf', () => {
  it('keeps the rule id, service, hookInstance, patient key and suggestion uuids of each card', () => {
    const shownAt = new Date('2026-11-25T10:00:00Z');
    const rows = shownCardsOf([card('COP-R01', ['s1', 's2'])], { serviceId: 'svc', hook: 'order-select', hookInstance: 'hi', patientKey: 'k', shownAt });
    expect(rows).toEqual([{ cardUuid: 'card-COP-R01', ruleId: 'COP-R01', serviceId: 'svc', hook: 'order-select', hookInstance: 'hi', patientKey: 'k', indicator: 'info', suggestionUuids: ['s1', 's2'], shownAt }]);
  });

  it('skips a card without a known rule id rather than inventing one', () => {
    expect(shownCardsOf([card('NOT-A-RULE')], { serviceId: 's', hook: 'h', hookInstance: 'i', patientKey: 'k', shownAt: new Date() })).toEqual([]);
  });
});

describe('feedbackItemsOf', () => {
  it('maps accepted and overridden items, keeping only whether a comment was given', () => {
    const items = feedbackItemsOf({
      feedback: [
        { card: 'c1', outcome: 'accepted', acceptedSuggestions: [{ id: 's1' }], outcomeTimestamp: '2026-11-25T10:00:00Z' },
        { card: 'c2', outcome: 'overridden', overrideReason: { reason: { code: 'specialist-plan', system: 'x', display: 'Specialist' }, userComment: 'Mrs Smith prefers…' }, outcomeTimestamp: '2026-11-25T10:01:00Z' },
      ],
    });
    expect(items).toEqual([
      { cardUuid: 'c1', outcome: 'accepted', acceptedSuggestions: ['s1'], hadUserComment: false, outcomeTimestamp: '2026-11-25T10:00:00Z' },
      { cardUuid: 'c2', outcome: 'overridden', acceptedSuggestions: [], hadUserComment: true, overrideReason: { code: 'specialist-plan', system: 'x', display: 'Specialist' }, outcomeTimestamp: '2026-11-25T10:01:00Z' },
    ]);
    expect(JSON.stringify(items)).not.toContain('Smith');
  });
});
