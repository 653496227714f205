/** Shared helpers for turning contract objects into rows (both backends). */
import { hasNul, StoreDataError, stripNul } from './errors.js';
import type { FeedbackItem, ShownCard } from './types.js';

/**
 * The instant an outcome happened, for the suppression windows: the client's outcomeTimestamp,
 * but never later than receipt (a client clock running ahead must not stretch a window) and
 * receipt time when the timestamp cannot be read.
 */
export function outcomeInstant(item: FeedbackItem, receivedAt: Date): Date {
  const t = Date.parse(item.outcomeTimestamp);
  if (Number.isNaN(t) || t > receivedAt.getTime()) return receivedAt;
  return new Date(t);
}

export function assertValidDate(d: Date, what: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`${what} is not a valid Date`);
}

/**
 * A shown card as both backends store it: every text without NUL bytes (the HTTP edge refuses
 * them; this is the store's own defence, since PostgreSQL text cannot hold U+0000 and one such
 * row would fail its whole batch). The record is kept, as suppression reads it.
 */
export function cleanShownCard(c: ShownCard): ShownCard {
  assertValidDate(c.shownAt, 'shownAt');
  const texts = [c.cardUuid, c.ruleId, c.serviceId, c.hook, c.hookInstance, c.patientKey, c.indicator, ...c.suggestionUuids];
  if (!texts.some((t) => typeof t === 'string' && hasNul(t))) return c;
  return {
    ...c,
    cardUuid: stripNul(c.cardUuid),
    serviceId: stripNul(c.serviceId),
    hook: stripNul(c.hook),
    hookInstance: stripNul(c.hookInstance),
    patientKey: stripNul(c.patientKey),
    suggestionUuids: c.suggestionUuids.map(stripNul),
  };
}

/** Feedback is the client's own data: a NUL byte in any of its texts refuses the post (StoreDataError), never a half-stored one. */
export function assertStorableFeedback(serviceId: string, items: FeedbackItem[]): void {
  for (const [i, item] of items.entries()) {
    const texts = [serviceId, item.cardUuid, item.outcome, item.outcomeTimestamp, ...item.acceptedSuggestions,
      item.overrideReason?.system ?? '', item.overrideReason?.code ?? '', item.overrideReason?.display ?? ''];
    if (texts.some((t) => typeof t !== 'string' || hasNul(t))) {
      throw new StoreDataError(`feedback item ${i}: text with a NUL byte (U+0000) or of the wrong type cannot be stored`);
    }
  }
}
