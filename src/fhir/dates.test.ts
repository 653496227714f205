import type { Observation } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { daysAgo, NOW } from '../../test/fixtures/facts.js';
import { addDays, ageFromBirthDate, calendarDaysAgo, hoursBetween, observationDate, parseFhirDate } from './dates.js';

describe('calendarDaysAgo (decision 9: whole calendar days, UTC date parts)', () => {
  it('counts calendar days, not 24-hour periods', () => {
    expect(calendarDaysAgo(daysAgo(0), NOW)).toBe(0);
    expect(calendarDaysAgo(daysAgo(30), NOW)).toBe(30);
    expect(calendarDaysAgo(daysAgo(31), NOW)).toBe(31);
    // Late yesterday evening is still 1 day ago, although fewer than 24 h have passed.
    expect(calendarDaysAgo('2026-11-24T23:59:00Z', NOW)).toBe(1);
    expect(calendarDaysAgo('2026-11-25T00:01:00Z', NOW)).toBe(0);
  });

  it('uses the UTC date of a dateTime with an offset', () => {
    // 2026-11-25T01:00+02:00 is 2026-11-24T23:00Z: yesterday in UTC.
    expect(calendarDaysAgo('2026-11-25T01:00:00+02:00', NOW)).toBe(1);
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

  it('is ambiguous for a year-only birthDate unless every day of that year gives the same age', () => {
    expect(ageFromBirthDate('2008', NOW)).toEqual({ status: 'unknown', reason: 'ambiguous-birth-date' });
    // On 31 December everyone born in a given year has had their birthday.
    expect(ageFromBirthDate('2000', new Date('2026-12-31T12:00:00Z'))).toEqual({ status: 'known', years: 26 });
  });

  it('treats a year-month birthDate the same way', () => {
    expect(ageFromBirthDate('2008-11', NOW)).toEqual({ status: 'unknown', reason: 'ambiguous-birth-date' });
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
