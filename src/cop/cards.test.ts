import { describe, expect, it } from 'vitest';
import { renderCard } from './cards.js';
import { MAX_SUMMARY_LENGTH } from './rule-types.js';
import { RULE_CODE_SYSTEM } from './knowledge.js';
import type { Finding } from './rule-types.js';

const ids = () => {
  let n = 0;
  return () => `id-${++n}`;
};

const finding = (overrides: Partial<Finding> = {}): Finding => ({
  ruleId: 'COP-R01',
  indicator: 'info',
  summary: 'COP: suggested prednisone 45 mg once daily',
  detail: ['Usual start 0.5-1.0 mg/kg/day.'],
  evidence: [{ label: 'Weight', value: '60.0 kg', date: '2026-11-20', ageDays: 5, reference: 'Observation/w1' }],
  citations: ['LAZOR-2000'],
  ...overrides,
});

const task = { resourceType: 'Task' as const, status: 'requested' as const, intent: 'order' as const };

describe('renderCard', () => {
  it('names the rule in source.topic and cites its sources as absolute links', () => {
    const card = renderCard(finding(), { newId: ids(), evidenceUrl: 'https://cds.example/evidence/cop' });
    expect(card.source).toEqual({
      label: 'COP CDS',
      url: 'https://cds.example/evidence/cop#COP-R01',
      topic: { system: RULE_CODE_SYSTEM, code: 'COP-R01', display: 'Initial glucocorticoid dose suggestion' },
    });
    expect(card.links).toEqual([{ label: 'Lazor 2000 (AJRCCM)', url: 'https://doi.org/10.1164/ajrccm.162.2.9909015', type: 'absolute' }]);
    expect(card.uuid).toBe('id-1');
  });

  it('states the data used on one line, with calendar dates and their age in words, and no resource id', () => {
    const card = renderCard(finding({ evidence: [
      { label: 'Weight', value: '60.0 kg', date: '2026-11-20T08:00:00-05:00', ageDays: 5, reference: 'Observation/w1' },
      { label: 'Age', value: '54 years' },
      { label: 'SpO2', value: '97%', date: '2026-11-25', ageDays: 0 },
      { label: 'FVC', value: '85%', date: '2026-11-24', ageDays: 1 },
    ] }), { newId: ids() });
    expect(card.detail).toContain('_Data used: Weight 60.0 kg (2026-11-20, 5 days ago); Age 54 years; SpO2 97% (2026-11-25, today); FVC 85% (2026-11-24, 1 day ago)._');
    expect(card.detail).not.toMatch(/Observation\/|T08:00/);
  });

  it('keeps the data behind the card machine-readable in an extension (references and full dates)', () => {
    const card = renderCard(finding(), { newId: ids() });
    expect(card.extension).toEqual({
      'org.example.cop-cds.evidence': [{ label: 'Weight', value: '60.0 kg', date: '2026-11-20', reference: 'Observation/w1' }],
    });
    expect(renderCard(finding({ evidence: [] }), { newId: ids() })).not.toHaveProperty('extension');
  });

  it('leaves data the detail already states off the Data used line, and keeps it in the extension', () => {
    const card = renderCard(finding({ detail: ['SpO2 97% on room air, 2026-11-23 (2 days ago).'], evidence: [
      { label: 'SpO2', value: '97%', date: '2026-11-23', ageDays: 2, reference: 'Observation/s1', statedInDetail: true },
      { label: 'Age', value: '54' },
    ] }), { newId: ids() });
    expect(card.detail).toBe('SpO2 97% on room air, 2026-11-23 (2 days ago).\n\n_Data used: Age 54._');
    expect(card.extension).toEqual({
      'org.example.cop-cds.evidence': [
        { label: 'SpO2', value: '97%', date: '2026-11-23', reference: 'Observation/s1' },
        { label: 'Age', value: '54' },
      ],
    });
  });

  it('links a citation of its own evidence page to this service, never to another host', () => {
    const own = finding({ ruleId: 'COP-R12', citations: ['STEROID-TOXICITY'] });
    expect(renderCard(own, { newId: ids(), evidenceUrl: 'https://cds.example/evidence/cop' }).links).toEqual([
      { label: 'COP CDS evidence: steroid side-effect monitoring', url: 'https://cds.example/evidence/cop#steroid-side-effects', type: 'absolute' },
    ]);
    // No known service URL: the link is left out rather than pointing somewhere else.
    expect(renderCard(own, { newId: ids() })).not.toHaveProperty('links');
  });

  it('omits optional fields it has no value for (no null, no empty arrays)', () => {
    const card = renderCard(finding({ citations: [] }), { newId: ids() });
    expect(card).not.toHaveProperty('suggestions');
    expect(card).not.toHaveProperty('selectionBehavior');
    expect(card).not.toHaveProperty('overrideReasons');
    expect(card).not.toHaveProperty('links');
    expect(card.source).not.toHaveProperty('url');
  });

  it('keeps the summary under 140 characters', () => {
    expect(renderCard(finding({ summary: 'x'.repeat(MAX_SUMMARY_LENGTH) }), { newId: ids() }).summary).toHaveLength(139);
    const long = renderCard(finding({ summary: 'x'.repeat(200) }), { newId: ids() }).summary;
    expect(long.length).toBeLessThanOrEqual(139);
    expect(long.endsWith('…')).toBe(true);
  });

  it('sets selectionBehavior and uuids on suggestions and recommends at most one', () => {
    const card = renderCard(
      finding({
        suggestions: [
          { label: 'A', isRecommended: true, actions: [{ type: 'create', description: 'a', resource: task }] },
          { label: 'B', isRecommended: true, actions: [{ type: 'create', description: 'b', resource: task }] },
          { label: 'C', actions: [{ type: 'delete', description: 'c', resourceId: 'MedicationRequest/1' }] },
        ],
      }),
      { newId: ids() },
    );
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions?.map((s) => [s.label, s.uuid, s.isRecommended])).toEqual([
      ['A', 'id-2', true],
      ['B', 'id-3', false],
      ['C', 'id-4', false],
    ]);
  });

  it('gives every override reason a system, code and display', () => {
    const card = renderCard(finding({ overrideReasons: [{ code: 'specialist-plan', display: 'Specialist regimen in place' }] }), { newId: ids() });
    expect(card.overrideReasons).toEqual([
      { system: expect.stringMatching(/^https:\/\//), code: 'specialist-plan', display: 'Specialist regimen in place' },
    ]);
  });
});
