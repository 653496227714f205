/**
 * Decision 19: a card gives a calendar date with its age in words a clinician says aloud, never
 * "2000 days ago". The date is always printed beside it, so the nearest unit is enough.
 */
import { describe, expect, it } from 'vitest';
import { ageInWords } from './cards.js';

describe('ageInWords', () => {
  it.each([
    [0, 'today'],
    [1, '1 day ago'],
    [30, '30 days ago'],
    [31, '4 weeks ago'],
    [70, '10 weeks ago'],
    [83, '12 weeks ago'],
    [84, '3 months ago'],
    [120, '4 months ago'],
    [729, '24 months ago'],
    [730, '2 years ago'],
    [2000, '5 years ago'],
    [-1, 'in 1 day'],
    [-42, 'in 6 weeks'],
    [-200, 'in 7 months'],
  ])('%s days → %s', (days, words) => {
    expect(ageInWords(days)).toBe(words);
  });
});
