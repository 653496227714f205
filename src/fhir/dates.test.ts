import type { Observation } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { daysAgo, NOW } from '../../test/fixtures/facts.js';
import {
  addDays, ageFromBirthDate, calendarDaysAgo, canonicalTimeZone, daysFromTo, hoursBetween, isoDate, observationDate, parseFhirDate, siteClock,
  writtenDay,
} from './dates.js';

describe('calendarDaysAgo (decision 9: whole calendar days; decision 22: written days, site today)', () => {
  it('counts calendar days, not 24-hour periods', () => {
    expect(calendarDaysAgo(daysAgo(0), NOW)).toBe(0);
    expect(calendarDaysAgo(daysAgo(30), NOW)).toBe(30);
    expect(calendarDaysAgo(daysAgo(31), NOW)).toBe(31);
    // Late yesterday evening is still 1 day ago, although fewer than 24 h have passed.
    expect(calendarDaysAgo('2026-11-24T23:59:00Z', NOW)).toBe(1);
    expect(calendarDaysAgo('2026-11-25T00:01:00Z', NOW)).toBe(0);
  });

  it('uses the date as written in a dateTime with an offset, not its UTC date', () => {
    // 2026-11-25T01:00+02:00 is 2026-11-24T23:00Z, but it was written on (and happened on) the 25th.
    expect(calendarDaysAgo('2026-11-25T01:00:00+02:00', NOW)).toBe(0);
    expect(calendarDaysAgo('2026-11-24T23:00:00-05:00', NOW)).toBe(1);
  });

  it('counts a partial date from its first day, and rejects garbage', () => {
    expect(calendarDaysAgo('2026-11', NOW)).toBe(24);
    expect(calendarDaysAgo('2026', NOW)).toBe(328);
    expect(calendarDaysAgo('not a date', NOW)).toBeUndefined();
    expect(calendarDaysAgo('2026-02-31', NOW)).toBeUndefined();
    expect(calendarDaysAgo(undefined, NOW)).toBeUndefined();
  });

  it('is negative for a future date', () => {
    expect(calendarDaysAgo(daysAgo(-3), NOW)).toBe(-3);
  });
});

describe('parseFhirDate / hoursBetween / addDays', () => {
  it('reports precision', () => {
    expect(parseFhirDate('2026')?.precision).toBe('year');
    expect(parseFhirDate('2026-05')?.precision).toBe('month');
    expect(parseFhirDate('2026-05-04')?.precision).toBe('day');
    expect(parseFhirDate('2026-05-04T10:00:00Z')?.precision).toBe('time');
  });
  it('measures hours between instants', () => {
    expect(hoursBetween('2026-11-24T08:00:00Z', '2026-11-25T08:00:00Z')).toBe(24);
    expect(hoursBetween('2026-11-24', 'x')).toBeUndefined();
  });
  it('adds days', () => {
    expect(addDays('2026-11-25', 42)).toBe('2027-01-06');
  });
});

describe('ageFromBirthDate (P-ADULT)', () => {
  it('gives whole calendar years, changing on the birthday', () => {
    expect(ageFromBirthDate('2008-11-25', NOW)).toEqual({ status: 'known', years: 18 });
    expect(ageFromBirthDate('2008-11-26', NOW)).toEqual({ status: 'known', years: 17 });
    expect(ageFromBirthDate('1972-03-01', NOW)).toEqual({ status: 'known', years: 54 });
  });

  it('is unknown without a birthDate', () => {
    expect(ageFromBirthDate(undefined, NOW)).toEqual({ status: 'unknown', reason: 'no-birth-date' });
  });

  it('gives the range of ages of a year-only birthDate unless every day of that year gives the same age (decision 12)', () => {
    expect(ageFromBirthDate('2008', NOW)).toEqual({ status: 'range', minYears: 17, maxYears: 18 });
    // On 31 December everyone born in a given year has had their birthday.
    expect(ageFromBirthDate('2000', new Date('2026-12-31T12:00:00Z'))).toEqual({ status: 'known', years: 26 });
  });

  it('treats a year-month birthDate the same way', () => {
    expect(ageFromBirthDate('2008-11', NOW)).toEqual({ status: 'range', minYears: 17, maxYears: 18 });
    expect(ageFromBirthDate('2008-10', NOW)).toEqual({ status: 'known', years: 18 });
    expect(ageFromBirthDate('2008-12', NOW)).toEqual({ status: 'known', years: 17 });
  });
});

describe('observationDate', () => {
  const base: Observation = { resourceType: 'Observation', status: 'final', code: {} };
  it('prefers effectiveDateTime, then period end/start, instant, issued', () => {
    expect(observationDate({ ...base, effectiveDateTime: '2026-01-01', issued: '2026-02-01T00:00:00Z' })).toBe('2026-01-01');
    expect(observationDate({ ...base, effectivePeriod: { start: '2026-01-01', end: '2026-01-03' } })).toBe('2026-01-03');
    expect(observationDate({ ...base, effectivePeriod: { start: '2026-01-01' } })).toBe('2026-01-01');
    expect(observationDate({ ...base, effectiveInstant: '2026-01-05T10:00:00Z' })).toBe('2026-01-05T10:00:00Z');
    expect(observationDate({ ...base, issued: '2026-02-01T00:00:00Z' })).toBe('2026-02-01T00:00:00Z');
    expect(observationDate(base)).toBeUndefined();
  });
});

describe('calendar sanity (no rolled-over or 1900-mapped dates)', () => {
  it('rejects days that do not exist, in dates and dateTimes', async () => {
    const { parseFhirDate, isCalendarDate } = await import('./dates.js');
    for (const bad of ['2026-02-30', '2026-02-29', '2026-04-31', '2026-02-30T10:00:00Z', '2026-04-31T23:00:00-05:00']) {
      expect(parseFhirDate(bad), bad).toBeUndefined();
      expect(isCalendarDate(bad), bad).toBe(false);
    }
    expect(parseFhirDate('2024-02-29')?.instant.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('keeps years below 100 as written (Date.UTC would make 0050 into 1950)', async () => {
    const { parseFhirDate, ageFromBirthDate, addDays } = await import('./dates.js');
    expect(parseFhirDate('0050-06-15')?.instant.getUTCFullYear()).toBe(50);
    expect(parseFhirDate('0099')?.instant.getUTCFullYear()).toBe(99);
    expect(ageFromBirthDate('0050-06', new Date('2026-11-25T10:00:00Z'))).toEqual({ status: 'known', years: 1976 });
    expect(addDays('2026-01-01', 1e12)).toBeUndefined();
  });
});

describe('the site\'s today (decision 22)', () => {
  // 04:30 UTC on 2 November is 23:30 on 1 November in New York (EST, −05:00) and 17:30 on
  // 2 November in Auckland (NZDT, +13:00).
  const instant = new Date('2026-11-02T04:30:00Z');
  const weighed = '2026-11-01T23:00:00-05:00';

  it('counts from the written day of the resource to the site\'s calendar date', () => {
    expect(calendarDaysAgo(weighed, siteClock(instant, 'UTC'))).toBe(1);
    expect(calendarDaysAgo(weighed, siteClock(instant, 'America/New_York'))).toBe(0);
    expect(calendarDaysAgo(weighed, siteClock(instant, 'Pacific/Auckland'))).toBe(1);
  });

  it('the site clock carries the local date and time in its UTC fields', () => {
    expect(siteClock(instant, 'UTC').toISOString()).toBe('2026-11-02T04:30:00.000Z');
    expect(siteClock(instant, 'America/New_York').toISOString()).toBe('2026-11-01T23:30:00.000Z');
    expect(siteClock(instant, 'Pacific/Auckland').toISOString()).toBe('2026-11-02T17:30:00.000Z');
    expect(isoDate(siteClock(instant, 'America/New_York'))).toBe('2026-11-01');
    // Daylight saving: the same wall time in summer is −04:00 in New York.
    expect(siteClock(new Date('2026-07-01T03:30:00Z'), 'America/New_York').toISOString()).toBe('2026-06-30T23:30:00.000Z');
    // The real instant is not changed.
    expect(instant.toISOString()).toBe('2026-11-02T04:30:00.000Z');
  });

  it('a 30-day freshness boundary flips with the zone (30 days fresh, 31 stale)', () => {
    const thirtyWrittenDaysEarlier = '2026-10-02T23:30:00-05:00';
    expect(calendarDaysAgo(thirtyWrittenDaysEarlier, siteClock(instant, 'America/New_York'))).toBe(30);
    expect(calendarDaysAgo(thirtyWrittenDaysEarlier, siteClock(instant, 'UTC'))).toBe(31);
  });

  it('takes a birthday on the site\'s date', () => {
    // Born 2 November 2008: in UTC it is already the 2nd (18); in New York still the 1st (17).
    expect(ageFromBirthDate('2008-11-02', siteClock(instant, 'UTC'))).toEqual({ status: 'known', years: 18 });
    expect(ageFromBirthDate('2008-11-02', siteClock(instant, 'America/New_York'))).toEqual({ status: 'known', years: 17 });
    expect(ageFromBirthDate('2008-11-02', siteClock(instant, 'Pacific/Auckland'))).toEqual({ status: 'known', years: 18 });
  });

  it('knows IANA names (canonical spelling) and refuses anything else', () => {
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Europe/London')).toBe('Europe/London');
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    for (const bad of ['Mars/Olympus_Mons', '', '+05:00', '-0500', 'Europe/London; DROP', 'local']) {
      expect(canonicalTimeZone(bad), bad).toBeUndefined();
    }
  });
});

describe('a resource\'s day is the date as written (decision 22)', () => {
  it('writtenDay, daysFromTo and addDays read the written date, not the UTC date', () => {
    expect(writtenDay('2026-11-01T23:00:00-05:00')).toBe('2026-11-01');
    expect(writtenDay('2026-11-02T01:00:00+13:00')).toBe('2026-11-02');
    expect(writtenDay('2026-11')).toBe('2026-11-01');
    expect(parseFhirDate('2026-11-01T23:00:00-05:00')?.instant.toISOString()).toBe('2026-11-02T04:00:00.000Z');
    expect(parseFhirDate('2026-11-01T23:00:00-05:00')?.day.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    // 23:00−05:00 on the 1st and 01:00+13:00 on the 3rd: two written days apart, though only 8 h apart in time.
    expect(daysFromTo('2026-11-01T23:00:00-05:00', '2026-11-03T01:00:00+13:00')).toBe(2);
    expect(hoursBetween('2026-11-01T23:00:00-05:00', '2026-11-03T01:00:00+13:00')).toBe(8);
    expect(daysFromTo('2026-11-01', 'garbage')).toBeUndefined();
    expect(addDays('2026-11-01T23:00:00-05:00', 1)).toBe('2026-11-02');
  });

  it('a time without an offset is unknown, never read in the server\'s local zone', () => {
    for (const local of ['2026-11-01T10:00:00', '2026-11-01T10:00', '2026-11-01T10:00:00.5']) {
      expect(parseFhirDate(local), local).toBeUndefined();
      expect(calendarDaysAgo(local, NOW), local).toBeUndefined();
      expect(writtenDay(local), local).toBeUndefined();
    }
    expect(parseFhirDate('2026-11-01T10:00Z')?.precision).toBe('time');
    expect(parseFhirDate('2026-11-01T10:00:00.123+05:30')?.instant.toISOString()).toBe('2026-11-01T04:30:00.123Z');
  });
});
