/**
 * The few unit conversions the rules need, written out exactly (no general UCUM engine):
 * body weight to kg, PaO2 to mm[Hg], and durations to days.
 */
import type { Quantity } from 'fhir/r4.js';
import { SYSTEMS } from './systems.js';

export const UCUM_SYSTEM = SYSTEMS.ucum;

/** 1 [lb_av] = 0.45359237 kg (international avoirdupois pound, exact by definition). */
const KG_PER_LB_AV = 0.45359237;
/** 1 kPa = 7.50062 mm[Hg] (cop-codes.md §2). */
export const MMHG_PER_KPA = 7.50062;
/** UCUM `mo` is the mean Julian month: 1/12 of 365.25 days. */
export const DAYS_PER_MONTH = 30.4375;

/**
 * The UCUM code of a Quantity: `code` when `system` is UCUM. A Quantity with a UCUM system but no
 * code falls back to `unit` (some senders put the code only there); any other system gives
 * `undefined`, because the unit cannot then be trusted to be UCUM.
 */
export function ucumCode(q: Quantity | undefined): string | undefined {
  if (!q || q.system !== UCUM_SYSTEM) return undefined;
  return q.code ?? q.unit;
}

/** The unit as the sender wrote it, for display ("150 lbs"). */
export function displayUnit(q: Quantity): string {
  return q.unit ?? q.code ?? '';
}

export type ConversionResult =
  | { ok: true; value: number; unit: string }
  | { ok: false; reason: string };

const KG_FACTOR: Record<string, number> = { kg: 1, g: 0.001, '[lb_av]': KG_PER_LB_AV };

/**
 * Body weight → kg. Only the three codes of the FHIR `ucum-bodyweight` value set are accepted, and
 * only with the UCUM system: `lbs`, `lb` or a non-UCUM system are invalid (cop-codes.md §2).
 */
export function bodyWeightToKg(q: Quantity | undefined): ConversionResult {
  if (!q || typeof q.value !== 'number') return { ok: false, reason: 'weight has no numeric value' };
  const code = ucumCode(q);
  const factor = code === undefined ? undefined : KG_FACTOR[code];
  if (factor === undefined) {
    const written = displayUnit(q) || 'no unit';
    const system = q.system ? ` (system ${q.system})` : ' (no UCUM system)';
    return { ok: false, reason: `weight unit "${written}"${q.system === UCUM_SYSTEM ? '' : system} not recognised; expected kg, g or [lb_av] (UCUM)` };
  }
  return { ok: true, value: q.value * factor, unit: 'kg' };
}

/** PaO2 → mm[Hg]; accepts UCUM `mm[Hg]` and `kPa`. */
export function pao2ToMmHg(q: Quantity | undefined): ConversionResult {
  if (!q || typeof q.value !== 'number') return { ok: false, reason: 'PaO2 has no numeric value' };
  const code = ucumCode(q);
  if (code === 'mm[Hg]') return { ok: true, value: q.value, unit: 'mm[Hg]' };
  if (code === 'kPa') {
    const mmHg = q.value * MMHG_PER_KPA;
    return Number.isFinite(mmHg) ? { ok: true, value: mmHg, unit: 'mm[Hg]' } : { ok: false, reason: 'PaO2 value is out of range' };
  }
  return { ok: false, reason: `PaO2 unit "${displayUnit(q)}" not recognised; expected mm[Hg] or kPa (UCUM)` };
}

/** A percentage: UCUM `%`, or a bare unit `%` with no system (a common, unambiguous shortcut). */
export function isPercent(q: Quantity | undefined): boolean {
  if (!q) return false;
  if (q.system === UCUM_SYSTEM) return (q.code ?? q.unit) === '%';
  return q.system === undefined && q.code === undefined && q.unit === '%';
}

/** The unit a lab Quantity is reported in (code, else unit), for comparing with its reference range. */
export function quantityUnit(q: Quantity | undefined): string | undefined {
  return q?.code ?? q?.unit;
}

/**
 * Enzyme activities: `U/L` and `[IU]/L` (and the common non-UCUM spelling `IU/L`) are the same
 * number for GGT/ALP, so all three may use the U/L fallback ULN.
 */
export function isUnitsPerLitre(unit: string | undefined): boolean {
  return unit === 'U/L' || unit === '[IU]/L' || unit === 'IU/L';
}

const DAYS_PER_TIME_UNIT: Record<string, number> = {
  h: 1 / 24,
  d: 1,
  wk: 7,
  mo: DAYS_PER_MONTH,
};

/** FHIR UnitsOfTime (h, d, wk, mo) → days; other units (s, min, a) are not used for these drugs. */
export function unitOfTimeToDays(unit: string | undefined): number | undefined {
  return unit === undefined ? undefined : DAYS_PER_TIME_UNIT[unit];
}

const DURATION_WORDS: Record<string, string> = {
  d: 'd', day: 'd', days: 'd',
  wk: 'wk', week: 'wk', weeks: 'wk',
  mo: 'mo', month: 'mo', months: 'mo',
};

/** A Duration (boundsDuration) → days; `code` first, else the human `unit` ("days"). Negative or overflowing durations → undefined. */
export function durationToDays(q: Quantity | undefined): number | undefined {
  if (!q || typeof q.value !== 'number' || !Number.isFinite(q.value) || q.value < 0) return undefined;
  const unit = q.code ?? (q.unit ? DURATION_WORDS[q.unit.toLowerCase()] : undefined);
  const perUnit = unitOfTimeToDays(unit);
  const days = perUnit === undefined ? undefined : q.value * perUnit;
  return days !== undefined && Number.isFinite(days) ? days : undefined;
}
