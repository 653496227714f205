/**
 * One pass over the Observations: keep the usable ones (status final/amended/corrected, a dated
 * clinical time), index them by LOINC code and sort each list newest first. Observations may come
 * from any prefetch key, so everything downstream filters by code, never by key.
 */
import type { Observation } from 'fhir/r4.js';
import { calendarDaysAgo, daysBetween, observationDate, parseFhirDate } from '../../fhir/dates.js';
import type { Measurement, Provenance } from '../facts-types.js';
import { READ_OBSERVATION_LOINC_CODES, SYSTEMS } from '../valuesets.js';

/** Only results that are complete count (P-WEIGHT; applied to every observation for consistency). */
const USABLE_STATUSES: ReadonlySet<string> = new Set(['final', 'amended', 'corrected']);

export interface DatedObservation {
  resource: Observation;
  date: string;
  /** Whole calendar days from the day `date` was written on to the site's today. */
  ageDays: number;
  /** Instant of `date`, for ordering and the 24-hour weight-conflict test. */
  ms: number;
}

export interface ObservationIndex {
  /** Usable observations carrying any of the LOINC codes, newest first, each resource once. */
  byLoinc(codes: string | readonly string[]): DatedObservation[];
}

export function indexObservations(
  observations: readonly Observation[],
  now: Date,
  readCodes: ReadonlySet<string> = READ_OBSERVATION_LOINC_CODES,
): ObservationIndex {
  const byCode = new Map<string, DatedObservation[]>();
  for (const resource of observations) {
    if (!USABLE_STATUSES.has(resource.status)) continue;
    // Its code before anything else: most of a long chart is observations no reader asks for.
    let codes: Set<string> | undefined;
    for (const c of resource.code?.coding ?? []) {
      if (c.system === SYSTEMS.loinc && c.code && readCodes.has(c.code)) (codes ??= new Set()).add(c.code);
    }
    if (!codes) continue;
    const date = observationDate(resource);
    // One parse per observation: its instant gives the order, its day as written the age in
    // calendar days (decision 22: 23:00-05:00 on 1 November was 1 November, whatever UTC says).
    const parsed = parseFhirDate(date);
    if (date === undefined || parsed === undefined) continue;
    const entry: DatedObservation = { resource, date, ageDays: daysBetween(parsed.day, now), ms: parsed.instant.getTime() };
    for (const code of codes) {
      const list = byCode.get(code);
      if (list) list.push(entry);
      else byCode.set(code, [entry]);
    }
  }
  for (const list of byCode.values()) list.sort((a, b) => b.ms - a.ms);

  return {
    byLoinc(codes) {
      const wanted = typeof codes === 'string' ? [codes] : codes;
      // Only read codes were indexed: asking for another would answer "none" for data that is there.
      for (const code of wanted) if (!readCodes.has(code)) throw new Error(`LOINC ${code} is not among the codes Observations are read by (READ_OBSERVATION_LOINC_CODES)`);
      if (wanted.length === 1) return byCode.get(wanted[0] as string) ?? [];
      const seen = new Set<Observation>();
      const merged: DatedObservation[] = [];
      for (const code of wanted) {
        for (const entry of byCode.get(code) ?? []) {
          if (seen.has(entry.resource)) continue;
          seen.add(entry.resource);
          merged.push(entry);
        }
      }
      return merged.sort((a, b) => b.ms - a.ms);
    },
  };
}

/** Observations no older than `windowDays` (decision 9: whole calendar days, inclusive). */
export function withinDays(list: readonly DatedObservation[], windowDays: number): DatedObservation[] {
  return list.filter((o) => o.ageDays <= windowDays);
}

export function referenceOf(resource: { resourceType: string; id?: string }): string | undefined {
  return resource.id ? `${resource.resourceType}/${resource.id}` : undefined;
}

/** Provenance of a resource with a clinical date. */
export function provenance(resource: { resourceType: string; id?: string }, date: string | undefined, now: Date): Provenance {
  const p: Provenance = {};
  const reference = referenceOf(resource);
  if (reference) p.reference = reference;
  if (date) {
    p.date = date;
    const ageDays = calendarDaysAgo(date, now);
    if (ageDays !== undefined) p.ageDays = ageDays;
  }
  return p;
}

/** Provenance of a dated observation. */
export function observationProvenance(obs: DatedObservation): Provenance {
  const p: Provenance = { date: obs.date, ageDays: obs.ageDays };
  const reference = referenceOf(obs.resource);
  if (reference) p.reference = reference;
  return p;
}

/** A Measurement for a dated observation. */
export function measurementOf(
  obs: DatedObservation,
  value: number,
  unit: string,
  original?: { value: number; unit: string },
): Measurement {
  const m: Measurement = { ...observationProvenance(obs), value, unit };
  if (original) m.original = original;
  return m;
}
