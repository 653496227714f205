/**
 * Decisions 19 and 20 over every card the project's own patients produce (the demo patients on
 * every hook, the examples, the fixture charts: test/fixtures/card-corpus.ts): summary ≤ 140 and
 * detail ≤ 600 characters, no time stamp, no UCUM bracket code, no resource id and no note about
 * the project itself in anything a clinician reads. `npm run card-text` prints the same report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cardTextProblems, collectCorpus, detailLengthsByRule, type CorpusCard } from '../fixtures/card-corpus.js';

let corpus: CorpusCard[] = [];
beforeAll(async () => {
  corpus = await collectCorpus();
}, 60_000);

describe('card text of every fixture and demo patient', () => {
  it('covers every rule that has a card in the corpus, and many cards', () => {
    expect(corpus.length).toBeGreaterThan(100);
    expect(new Set(corpus.map((c) => c.card.source.topic?.code)).size).toBeGreaterThanOrEqual(19);
  });

  it('no card breaks the text rules', () => {
    const bad = corpus
      .map((c) => ({ where: `${c.card.source.topic?.code} (${c.source}, ${c.hook})`, problems: cardTextProblems(c.card) }))
      .filter((x) => x.problems.length > 0)
      .map((x) => `${x.where}: ${x.problems.join(' | ')}`);
    expect(bad).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    const card = (text: string): CorpusCard['card'] => ({ summary: 'Do this.', detail: text, indicator: 'info', source: {} });
    expect(cardTextProblems(card('x'.repeat(601)))).toHaveLength(1);
    expect(cardTextProblems(card('x'.repeat(600)))).toEqual([]);
    expect(cardTextProblems(card('Weight 2026-11-30T19:08:28.643Z'))[0]).toMatch(/time stamp/);
    expect(cardTextProblems(card('132 [lb_av]'))[0]).toMatch(/UCUM/);
    expect(cardTextProblems(card('BP 150/95 mm[Hg]'))[0]).toMatch(/UCUM/);
    expect(cardTextProblems(card('See [the evidence](https://x.example/evidence)'))).toEqual([]);
    expect(cardTextProblems(card('from Observation/abc-1'))[0]).toMatch(/resource id/);
    expect(cardTextProblems(card('pharmacy sign-off is pending'))[0]).toMatch(/internal note/);
    expect(cardTextProblems({ ...card(''), links: [{ label: 'codes unconfirmed' }] })[0]).toMatch(/link 0: internal note/);
    const order = { resourceType: 'MedicationRequest', note: [{ text: '45 mg for 60 kg (Observation/w1)' }] };
    const withOrder = { ...card(''), suggestions: [{ label: 'Order prednisone', actions: [{ type: 'create', description: 'Order', resource: order }] }] };
    expect(cardTextProblems(withOrder as CorpusCard['card'])[0]).toMatch(/suggestion 0 action 0 note: resource id/);
  });

  it('reports the median and largest detail per rule', () => {
    const rows = detailLengthsByRule(corpus);
    expect(rows.every((r) => r.median <= r.max)).toBe(true);
  });
});
