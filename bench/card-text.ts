/**
 * `npm run card-text`: renders every card of the project's own patients (demo patients on every
 * hook, the examples, the fixture charts: test/fixtures/card-corpus.ts) and prints, per rule, how
 * many cards, the median and the largest `detail` length, then every card that breaks the text
 * rules (over budget, time stamps, UCUM codes, resource ids, internal notes). Exit 1 when any does.
 */
import { cardTextProblems, collectCorpus, detailLengthsByRule, MAX_DETAIL } from '../test/fixtures/card-corpus.js';

const cards = await collectCorpus();
console.log(`${cards.length} cards; detail budget ${MAX_DETAIL} characters\n`);
console.log('rule     cards  median  max');
for (const r of detailLengthsByRule(cards)) {
  console.log(`${r.rule.padEnd(8)} ${String(r.cards).padStart(5)}  ${String(r.median).padStart(6)}  ${String(r.max).padStart(4)}${r.max > MAX_DETAIL ? '  over' : ''}`);
}
const bad = cards.map((c) => ({ c, problems: cardTextProblems(c.card) })).filter((x) => x.problems.length > 0);
if (bad.length > 0) {
  console.log(`\n${bad.length} cards break the text rules:`);
  for (const { c, problems } of bad) {
    console.log(`- ${c.card.source.topic?.code} (${c.source}, ${c.hook})`);
    for (const p of problems) console.log(`    ${p}`);
  }
  process.exitCode = 1;
}
