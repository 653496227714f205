import { expect } from 'vitest';
import { emptyValuePaths } from '../fixtures/requests.js';

export interface WireCard {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: string;
  source: { label: string; url?: string; topic: { system: string; code: string; display: string } };
  suggestions?: { label: string; uuid: string; isRecommended?: boolean; actions: WireAction[] }[];
  selectionBehavior?: string;
  overrideReasons?: { system: string; code: string; display: string }[];
  links?: { label: string; url: string; type: string; appContext?: string }[];
}
export interface WireAction {
  type: string;
  description: string;
  resource?: Record<string, any>;
  resourceId?: string;
}

/** The CDS Hooks wire rules every response must keep, whatever the rules said. */
export function expectWellFormed(body: { cards: WireCard[] }): void {
  expect(emptyValuePaths(body)).toEqual([]);
  const uuids = new Set<string>();
  for (const card of body.cards) {
    expect(card.summary.length).toBeLessThan(140);
    expect(['info', 'warning', 'critical']).toContain(card.indicator);
    expect(card.source.label).toBe('COP CDS');
    expect(card.source.topic.code).toMatch(/^COP-R\d\d$/);
    expect(card.links?.length ?? 0).toBeGreaterThan(0);
    for (const link of card.links ?? []) {
      expect(['absolute', 'smart']).toContain(link.type);
      // Every link URL is absolute; appContext only on smart links.
      expect(link.url).toMatch(/^https?:\/\//);
      if (link.type !== 'smart') expect(link).not.toHaveProperty('appContext');
    }
    expect(JSON.stringify(card)).not.toMatch(/American Thoracic|\bATS\b|88.100%|up to 31%/);
    uuids.add(card.uuid);
    if (card.suggestions) {
      expect(card.selectionBehavior).toBe('at-most-one');
      expect(card.suggestions.filter((s) => s.isRecommended).length).toBeLessThanOrEqual(1);
      for (const s of card.suggestions) {
        uuids.add(s.uuid);
        for (const a of s.actions) {
          expect(a.description.length).toBeGreaterThan(0);
          if (a.type === 'delete') expect(a.resourceId).toMatch(/^[A-Za-z]+\/[A-Za-z0-9\-.]+$/);
          else expect(a.resource?.resourceType).toBeTruthy();
        }
      }
    }
    for (const r of card.overrideReasons ?? []) expect(r.display.length).toBeGreaterThan(0);
  }
  const expectedIds = body.cards.reduce((n, c) => n + 1 + (c.suggestions?.length ?? 0), 0);
  expect(uuids.size).toBe(expectedIds);
  // At most one card per rule per call.
  const rules = body.cards.map((c) => c.source.topic.code);
  expect(new Set(rules).size).toBe(rules.length);
}

export const ruleIds = (body: { cards: WireCard[] }): string[] => body.cards.map((c) => c.source.topic.code);
export const cardFor = (body: { cards: WireCard[] }, ruleId: string): WireCard => {
  const card = body.cards.find((c) => c.source.topic.code === ruleId);
  if (!card) throw new Error(`no ${ruleId} card; got ${ruleIds(body).join(', ')}`);
  return card;
};

/** The mg dose of each dosage step of a MedicationRequest. */
export const stepDoses = (resource: Record<string, any>): number[] =>
  (resource.dosageInstruction as any[]).map((d) => d.doseAndRate[0].doseQuantity.value as number);
