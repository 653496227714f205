/**
 * The date shift of examples/redate.mjs, for `cop-cds call --redate`: every FHIR date in the
 * request moves forward by the days between the examples' writing day and today, so an example
 * keeps its clinical meaning (a weight 5 days old stays 5 days old). Kept identical to
 * examples/redate.mjs (test/cli/examples.test.ts compares them).
 */

/** The day the examples were written: their dates are relative to it. */
export const WRITTEN_ON = Date.UTC(2026, 10, 25);
const DAY_MS = 86_400_000;
const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;

export function shiftDaysFor(today: Date): number {
  return Math.max(0, Math.round((Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - WRITTEN_ON) / DAY_MS));
}

export function redate(value: unknown, shiftDays: number): unknown {
  if (typeof value === 'string') {
    const m = DATE_PREFIX.exec(value);
    if (!m) return value;
    const moved = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + shiftDays * DAY_MS);
    return moved.toISOString().slice(0, 10) + value.slice(10);
  }
  if (Array.isArray(value)) return value.map((v) => redate(v, shiftDays));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redate(v, shiftDays)]));
  return value;
}
