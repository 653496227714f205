/**
 * Calendar arithmetic on FHIR date / dateTime / instant strings.
 *
 * Recency windows count whole calendar days between a resource's date and today's date, using
 * UTC date parts (cop-rules.md decision 9: 30 days ago = fresh, 31 = stale, 91 = absent).
 * A dateTime with a time-zone offset is first turned into its UTC instant, then its UTC date is
 * taken, so the same resource always gets the same age whatever the server's local zone.
 */
import type { Observation } from 'fhir/r4.js';

const MS_PER_DAY = 86_400_000;

/** FHIR date/dateTime/instant: YYYY, YYYY-MM, YYYY-MM-DD, or a full dateTime with offset. */
const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** How precisely a FHIR date string was written. */
export type DatePrecision = 'year' | 'month' | 'day' | 'time';

export interface ParsedFhirDate {
  /** The earliest instant the string can denote (midnight UTC for date-only forms). */
  instant: Date;
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
    return instant ? { instant, precision } : undefined;
  }
  // A dateTime with a time part must carry an offset in FHIR; Date.parse handles the ISO forms,
  // but rolls impossible days over (2026-02-30T… → 2 March), so the date part is checked first.
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !isCalendarDate(value)) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return { instant: new Date(ms), precision: 'time' };
}

/** Days since 1970-01-01 of the UTC calendar date of an instant. */
function utcDayNumber(instant: Date): number {
  return Math.floor(instant.getTime() / MS_PER_DAY);
}

/**
 * Whole calendar days from `date` to `now` (UTC date parts). 0 = today, 1 = yesterday;
 * negative for a future date. A partial date (year or year-month) counts from its first day,
 * so an imprecise date is never treated as more recent than it could be.
 */
export function calendarDaysAgo(date: string | undefined, now: Date): number | undefined {
  const parsed = parseFhirDate(date);
  if (!parsed) return undefined;
  return daysBetween(parsed.instant, now);
}

/** Whole calendar days (UTC date parts) from an instant to `now`, as `calendarDaysAgo` counts them. */
export function daysBetween(instant: Date, now: Date): number {
  return utcDayNumber(now) - utcDayNumber(instant);
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

/** Adds whole days to a FHIR date and returns YYYY-MM-DD (UTC); undefined past the range of dates. */
export function addDays(date: string, days: number): string | undefined {
  const parsed = parseFhirDate(date);
  if (!parsed) return undefined;
  const result = new Date(parsed.instant.getTime() + days * MS_PER_DAY);
  return Number.isNaN(result.getTime()) ? undefined : result.toISOString().slice(0, 10);
}

/** Today's UTC date as YYYY-MM-DD. */
export function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export type AgeResult =
  | { status: 'known'; years: number }
  | { status: 'unknown'; reason: 'no-birth-date' | 'ambiguous-birth-date' };

/** Whole years from a birth date (y, m 1-12, d) to today's UTC date. */
function yearsOnCalendar(year: number, month: number, day: number, now: Date): number {
  const ny = now.getUTCFullYear();
  const nm = now.getUTCMonth() + 1;
  const nd = now.getUTCDate();
  const hadBirthdayThisYear = nm > month || (nm === month && nd >= day);
  return ny - year - (hadBirthdayThisYear ? 0 : 1);
}

/**
 * Age in whole calendar years (P-ADULT). A year-only or year-month birthDate gives a known age only
 * when the earliest and the latest possible birthday both give the same age; otherwise the age is
 * 'ambiguous-birth-date' (unknown), never rounded either way.
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
  const youngest = yearsOnCalendar(year, lastMonth, lastDay, now);
  return oldest === youngest ? { status: 'known', years: oldest } : { status: 'unknown', reason: 'ambiguous-birth-date' };
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
