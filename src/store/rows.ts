/** Shared helpers for turning contract objects into rows (both backends). */
import type { FeedbackItem } from './types.js';

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
