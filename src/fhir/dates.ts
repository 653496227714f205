/**
 * Calendar arithmetic on FHIR date / dateTime / instant strings ("today" is the calendar date in
 * the site's time zone; recency windows count whole days: 30 days ago = fresh, 31 = stale, 91 = absent).
 *
 * Two kinds of "date" meet here, and they are kept apart:
 *
 * - A resource's calendar day is the date AS WRITTEN, in the resource's own offset: a weight taken
 *   at 2026-11-01T23:00:00-05:00 was taken on 2026-11-01, never "2026-11-02 in UTC". A year or
 *   year-month counts from its first day. `ParsedFhirDate.day` holds it as midnight UTC of that
 *   date; `ParsedFhirDate.instant` is the true instant, for ordering and hour arithmetic only.
 * - "Today" is the calendar date in the site's time zone (SITE_TIME_ZONE, an IANA name, default
 *   UTC). The request pipeline (cds/invoke.ts) turns its real instant into the SITE CLOCK once per
 *   request (`siteClock`): a Date whose UTC fields are the site's local date and time. Facts and
 *   rules receive that Date as `now`, so everything that reads `now`'s UTC date parts (day counts,
 *   ages, a review date n weeks ahead) reads the site's date. Its getTime() is NOT the real
 *   instant: the store and the suppression windows keep the real one (invoke.ts).
 *
 * Design choice: the site clock, rather than a new "today" type threaded through every extractor
 * and rule, because `now: Date` already reaches all of them and each of them only ever reads its
 * calendar date; a new type would change every signature from facts.ts down, for the same result.
 * Every day count therefore compares two calendar Dates (UTC date parts): the site clock or a
 * resource's `day`, never a resource's `instant`.
 *
 * A dateTime with a time but no offset is not FHIR ("if hours and minutes are specified, a time
 * zone SHALL be populated"): it parses to undefined (unknown), never to the server's local zone.
 */
import type { Observation } from 'fhir/r4.js';

const MS_PER_DAY = 86_400_000;

/** FHIR date/dateTime/instant: YYYY, YYYY-MM, YYYY-MM-DD, or a full dateTime with offset. */
const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
/** A date with a time, which FHIR requires to carry its offset (Z or ±hh:mm). */
const DATE_TIME_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** How precisely a FHIR date string was written. */
export type DatePrecision = 'year' | 'month' | 'day' | 'time';

export interface ParsedFhirDate {
  /** The earliest instant the string can denote (midnight UTC for date-only forms): for ordering and hours only. */
  instant: Date;
  /**
   * The calendar day as written (in the resource's own offset; a partial date: its first day), as
   * midnight UTC of that date. This, not `instant`, is what day counts use.
   */
  day: Date;
  precision: DatePrecision;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Whether year-month-day names a day that exists (no 2026-02-30, no month 13). */
export function isExistingDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/**
 * Midnight UTC of a calendar date, or undefined when there is no such day (2026-02-30, month 13).
 * Years 0–99 go through setUTCFullYear: Date.UTC maps them to 1900–1999.
 */
function utcMidnight(year: number, month: number, day: number): Date | undefined {
  if (!isExistingDay(year, month, day)) return undefined;
  if (year >= 100) return new Date(Date.UTC(year, month - 1, day));
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  return instant;
}

const DATE_PART = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/;

/** Whether the date part of a FHIR date/dateTime (YYYY[-MM[-DD]]…) names a day that exists. */
export function isCalendarDate(value: string): boolean {
  const m = DATE_PART.exec(value);
  return !!m && isExistingDay(Number(m[1]), m[2] ? Number(m[2]) : 1, m[3] ? Number(m[3]) : 1);
}

/** Parses a FHIR date, dateTime or instant; `undefined` when the string is not one (or names no real day). */
export function parseFhirDate(value: string | undefined): ParsedFhirDate | undefined {
  if (!value) return undefined;
  const partial = PARTIAL_DATE.exec(value);
  if (partial) {
    const year = Number(partial[1]);
    const month = partial[2] ? Number(partial[2]) : 1;
    const day = partial[3] ? Number(partial[3]) : 1;
    const precision: DatePrecision = partial[3] ? 'day' : partial[2] ? 'month' : 'year';
    const instant = utcMidnight(year, month, day);
    return instant ? { instant, day: instant, precision } : undefined;
  }
  // A time must carry an offset in FHIR. Without one the instant is unknown: Date.parse would read
  // it in the server's local zone, so it is refused here (and by the schema, fhir/schemas.ts).
  const timed = DATE_TIME_WITH_ZONE.exec(value);
  if (!timed) return undefined;
  // Date.parse handles the ISO forms with an offset, but rolls impossible days over
  // (2026-02-30T… → 2 March), so the written day is checked first (utcMidnight).
  const day = utcMidnight(Number(timed[1]), Number(timed[2]), Number(timed[3]));
  if (!day) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return { instant: new Date(ms), day, precision: 'time' };
}

/** The calendar day of a FHIR date as written (YYYY-MM-DD; a partial date: its first day). */
export function writtenDay(value: string | undefined): string | undefined {
  const parsed = parseFhirDate(value);
  return parsed ? isoDate(parsed.day) : undefined;
}

/** Days since 1970-01-01 of the UTC calendar date of a Date. */
function utcDayNumber(date: Date): number {
  return Math.floor(date.getTime() / MS_PER_DAY);
}

/**
 * Whole calendar days from the day `date` was written on to the calendar date of `now`: the site
 * clock (`siteClock`), or another resource's `ParsedFhirDate.day`. 0 = today, 1 = yesterday;
 * negative for a future date. A partial date (year or year-month) counts from its first day,
 * so an imprecise date is never treated as more recent than it could be.
 */
export function calendarDaysAgo(date: string | undefined, now: Date): number | undefined {
  const parsed = parseFhirDate(date);
  if (!parsed) return undefined;
  return daysBetween(parsed.day, now);
}

/**
 * Whole calendar days between two calendar Dates (UTC date parts), as `calendarDaysAgo` counts
 * them: each is a `ParsedFhirDate.day` or the site clock, never a resource's `instant` (whose UTC
 * date need not be the date written).
 */
export function daysBetween(from: Date, to: Date): number {
  return utcDayNumber(to) - utcDayNumber(from);
}

/** Whole calendar days from the day `from` was written on to the day `to` was written on; undefined if either is unreadable. */
export function daysFromTo(from: string | undefined, to: string | undefined): number | undefined {
  const a = parseFhirDate(from);
  const b = parseFhirDate(to);
  return a && b ? daysBetween(a.day, b.day) : undefined;
}

/** Milliseconds since the epoch for ordering resources by date; `undefined` when unparseable. */
export function instantMs(date: string | undefined): number | undefined {
  return parseFhirDate(date)?.instant.getTime();
}

/** Whole hours between two FHIR dates (absolute), for "two weights within 24 h". */
export function hoursBetween(a: string, b: string): number | undefined {
  const ma = instantMs(a);
  const mb = instantMs(b);
  if (ma === undefined || mb === undefined) return undefined;
  return Math.abs(ma - mb) / 3_600_000;
}

/** Adds whole days to the day a FHIR date was written on and returns YYYY-MM-DD; undefined past the range of dates. */
export function addDays(date: string, days: number): string | undefined {
  const parsed = parseFhirDate(date);
  if (!parsed) return undefined;
  const result = new Date(parsed.day.getTime() + days * MS_PER_DAY);
  return Number.isNaN(result.getTime()) ? undefined : result.toISOString().slice(0, 10);
}

/** The UTC date of a calendar Date as YYYY-MM-DD: for the site clock, the site's today. */
export function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// The site's time zone

/** The zone used when the site names none (SITE_TIME_ZONE, site file `timeZone`). */
export const DEFAULT_SITE_TIME_ZONE = 'UTC';

/** One formatter per zone (few zones, many requests: building a DateTimeFormat is the cost). */
const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = wallClockFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    wallClockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * The IANA time-zone name in its canonical spelling (`america/new_york` → `America/New_York`), or
 * undefined when it is not a zone this runtime knows. Offsets (`+05:00`) are not zone names: a
 * fixed offset would be wrong for half the year wherever clocks change.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * The site clock: a Date whose UTC fields are the local date and time in `timeZone` at the real
 * instant `now` (module comment). Facts and rules take it as their `now`; its getTime() is not the
 * real instant, so it must not reach the store or the suppression windows.
 */
export function siteClock(now: Date, timeZone: string): Date {
  if (timeZone === 'UTC' || Number.isNaN(now.getTime())) return new Date(now.getTime());
  const parts: Record<string, number> = {};
  for (const p of wallClockFormatter(timeZone).formatToParts(now)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const wall = new Date(0);
  wall.setUTCFullYear(parts.year!, parts.month! - 1, parts.day!);
  wall.setUTCHours(parts.hour!, parts.minute!, parts.second!, now.getUTCMilliseconds());
  return wall;
}

export type AgeResult =
  | { status: 'known'; years: number }
  /**
   * A year-only or year-month birthDate whose possible birthdays give different ages: the youngest
   * (born on its last day) and the oldest (born on its first day) age it allows (decision 12).
   */
  | { status: 'range'; minYears: number; maxYears: number }
  | { status: 'unknown'; reason: 'no-birth-date' };

/** Whole years from a birth date (y, m 1-12, d) to the UTC date of `now` (the site clock: the site's today). */
function yearsOnCalendar(year: number, month: number, day: number, now: Date): number {
  const ny = now.getUTCFullYear();
  const nm = now.getUTCMonth() + 1;
  const nd = now.getUTCDate();
  const hadBirthdayThisYear = nm > month || (nm === month && nd >= day);
  return ny - year - (hadBirthdayThisYear ? 0 : 1);
}

/**
 * Age in whole calendar years (P-ADULT). A year-only or year-month birthDate gives a known age when
 * the earliest and the latest possible birthday give the same age; otherwise the range of ages it
 * allows (youngest: born on its last day; oldest: born on its first day), never rounded either way,
 * so that P-ADULT can be decided whenever the whole range is on one side of 18 (decision 12). `now`
 * is the site clock, so the birthday comes on the site's date. A youngest age below 0 (born later
 * this year) is 0.
 */
export function ageFromBirthDate(birthDate: string | undefined, now: Date): AgeResult {
  if (!birthDate) return { status: 'unknown', reason: 'no-birth-date' };
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(birthDate);
  if (!m) return { status: 'unknown', reason: 'no-birth-date' };
  const year = Number(m[1]);
  if (m[3] && m[2]) return { status: 'known', years: yearsOnCalendar(year, Number(m[2]), Number(m[3]), now) };
  const firstMonth = m[2] ? Number(m[2]) : 1;
  const lastMonth = m[2] ? Number(m[2]) : 12;
  // Day 0 of the next month is the last day of this one (setUTCFullYear: no 1900 mapping of years < 100).
  const monthEnd = new Date(0);
  monthEnd.setUTCFullYear(year, lastMonth, 0);
  const lastDay = monthEnd.getUTCDate();
  const oldest = yearsOnCalendar(year, firstMonth, 1, now);
  const youngest = oldest >= 0 ? Math.max(0, yearsOnCalendar(year, lastMonth, lastDay, now)) : yearsOnCalendar(year, lastMonth, lastDay, now);
  return oldest === youngest ? { status: 'known', years: oldest } : { status: 'range', minYears: youngest, maxYears: oldest };
}

/**
 * The clinical date of an Observation: effectiveDateTime, effectivePeriod (end, else start: the
 * latest moment the value is known to describe), effectiveInstant, else `issued`.
 */
export function observationDate(obs: Observation): string | undefined {
  return (
    obs.effectiveDateTime ??
    obs.effectivePeriod?.end ??
    obs.effectivePeriod?.start ??
    obs.effectiveInstant ??
    obs.issued
  );
}
