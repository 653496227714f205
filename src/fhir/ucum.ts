/**
 * The unit conversions the rules need. Body weight goes through a UCUM engine (`@lhncbc/ucum-lhc`):
 * any UCUM unit of mass is converted to kg. PaO2 (kPa → mm[Hg]), durations (→ days) and the
 * laboratory enzyme units keep hand-written rules, some deliberately different from UCUM
 * (see `isUnitsPerLitre`).
 */
import { UcumLhcUtils } from '@lhncbc/ucum-lhc';
import type { Quantity } from 'fhir/r4.js';
import { SYSTEMS } from './systems.js';

export const UCUM_SYSTEM = SYSTEMS.ucum;

/** 1 kPa = 7.50062 mm[Hg]. */
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

// ---------------------------------------------------------------------------------------------
// Body weight (P-WEIGHT): any UCUM unit of mass, or a few unit texts sent without a system

const ucum = UcumLhcUtils.getInstance();

/** Longer unit strings are refused without being parsed (no real unit of mass comes near this). */
export const MAX_UNIT_CODE_LENGTH = 64;
/** UCUM expressions are printable ASCII without spaces (UCUM §1–§3); anything else is not parsed. */
const UCUM_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * Unit texts trusted on a Quantity with no `system` (trimmed, any case), and the UCUM code each one
 * stands for. `lb`/`lbs` are the avoirdupois pound and `oz` the avoirdupois ounce, as on a scale.
 */
const UNIT_TEXT_CODES: Readonly<Record<string, string>> = { kg: 'kg', g: 'g', lb: '[lb_av]', lbs: '[lb_av]', oz: '[oz_av]' };

/**
 * How a person writes a UCUM code on a card ("132 lb", not "132 [lb_av]"). Codes not listed are
 * shown as the sender wrote the unit.
 */
const HUMAN_UNITS: Readonly<Record<string, string>> = {
  kg: 'kg',
  g: 'g',
  mg: 'mg',
  '[lb_av]': 'lb',
  '[oz_av]': 'oz',
  '[stone_av]': 'st',
  '[lb_tr]': 'lb (troy)',
  '[oz_tr]': 'oz (troy)',
  '[gr]': 'grain',
  'mm[Hg]': 'mmHg',
};

/** kg per unit for each unit string already looked at (`null`: not a UCUM unit of mass). */
const kgPerUnitCache = new Map<string, number | null>();
/** Senders can put any string in `code`; the cache keeps at most this many (oldest dropped first). */
const KG_PER_UNIT_CACHE_SIZE = 512;

/**
 * Calls the UCUM library with `console.log` silenced: on some malformed strings (`{a}2`, `(x)(`)
 * the library catches its own parser error and logs it to stdout, which would break the JSON log
 * stream. The call is synchronous, so nothing else can log in between.
 */
function quietly<T>(call: () => T): T {
  const log = console.log;
  console.log = () => {};
  try {
    return call();
  } finally {
    console.log = log;
  }
}

/** kg in one `code`, when `code` is exactly a UCUM expression whose dimension is mass; else undefined. Never throws. */
function lookUpKgPerUnit(code: string): number | undefined {
  if (code.length === 0 || code.length > MAX_UNIT_CODE_LENGTH || !UCUM_CHARACTERS.test(code)) return undefined;
  try {
    return quietly(() => {
      // `validateUnitString` first: `convertUnitTo` would silently read "pound" as [lb_av] or "gram" as g.
      if (ucum.validateUnitString(code, false, 'validate').status !== 'valid') return undefined;
      // Converting to kg succeeds only for a unit commensurable with kg, i.e. of dimension mass
      // (mol, U, [IU], m, L, kg/m2, {annotation} alone … all fail; no molecular weight is given).
      const to = ucum.convertUnitTo(code, 1, 'kg');
      const factor = to.toVal;
      if (to.status !== 'succeeded' || typeof factor !== 'number' || to.fromUnit?.isSpecial_) return undefined;
      return Number.isFinite(factor) && factor > 0 ? factor : undefined;
    });
  } catch {
    return undefined;
  }
}

/** `lookUpKgPerUnit`, memoised: each unit string is parsed once (the weight is read on every request). */
export function kgPerUnit(code: string): number | undefined {
  const cached = kgPerUnitCache.get(code);
  if (cached !== undefined) return cached ?? undefined;
  const factor = lookUpKgPerUnit(code);
  if (kgPerUnitCache.size >= KG_PER_UNIT_CACHE_SIZE) {
    const oldest = kgPerUnitCache.keys().next();
    if (!oldest.done) kgPerUnitCache.delete(oldest.value);
  }
  kgPerUnitCache.set(code, factor ?? null);
  return factor;
}

const normalText = (text: string | undefined): string | undefined => text?.trim().toLowerCase();

/**
 * The UCUM code a Quantity with no `system` stands for: its `unit` text is one of kg, g, lb, lbs or
 * oz (trimmed, any case) and its `code` is absent or the same text.
 */
function unitTextCode(q: Quantity): string | undefined {
  if (q.system) return undefined;
  const text = normalText(q.unit);
  if (!text || !Object.hasOwn(UNIT_TEXT_CODES, text)) return undefined;
  if (q.code !== undefined && normalText(q.code) !== text) return undefined;
  return UNIT_TEXT_CODES[text];
}

/**
 * The UCUM code a body weight is read in: the UCUM code (`ucumCode`, so the code wins over a
 * display unit such as "lbs"), or, with no system, the code of a trusted unit text (`unitTextCode`).
 * Whether that code is a unit of mass is `bodyWeightToKg`'s question.
 */
export function bodyWeightCode(q: Quantity | undefined): string | undefined {
  if (!q) return undefined;
  return q.system === UCUM_SYSTEM ? ucumCode(q) : unitTextCode(q);
}

/**
 * The unit as a person writes it, for cards: `[lb_av]` → `lb`, `[oz_av]` → `oz`, `kg`, `g`. A
 * Quantity is read as `bodyWeightCode` reads it (unit text "LBS" with no system → `lb`); a code
 * with no human form is shown as the sender wrote the unit (`unit`, else `code`).
 */
export function humanUnit(q: Quantity | string | undefined): string {
  if (q === undefined) return '';
  if (typeof q === 'string') return humanForm(q) ?? q;
  const code = bodyWeightCode(q);
  const human = code === undefined ? undefined : humanForm(code);
  if (human !== undefined) return human;
  const written = displayUnit(q);
  return humanForm(written) ?? written;
}

const humanForm = (code: string): string | undefined => (Object.hasOwn(HUMAN_UNITS, code) ? HUMAN_UNITS[code] : undefined);

const EXPECTED_WEIGHT_UNITS = 'expected a unit of mass such as kg, g, lb or oz';

/** The sender's unit text, quoted and cut short for a card. */
function quotedUnit(text: string): string {
  return `"${text.length > 32 ? `${text.slice(0, 32)}…` : text}"`;
}

function weightUnitReason(q: Quantity): string {
  const written = displayUnit(q);
  if (!written.trim()) return `weight has no unit; ${EXPECTED_WEIGHT_UNITS}`;
  const unit = quotedUnit(written);
  if (q.system === UCUM_SYSTEM) {
    return `weight unit ${unit} not recognised: not a UCUM unit of mass; ${EXPECTED_WEIGHT_UNITS}`;
  }
  if (q.system) {
    return `weight unit ${unit} (system ${q.system.slice(0, 80)}) not recognised: only UCUM units are read; ${EXPECTED_WEIGHT_UNITS}`;
  }
  return `weight unit ${unit} (no UCUM system) not recognised: without a system only kg, g, lb, lbs or oz are read`;
}

export type WeightConversion =
  | { ok: true; value: number; unit: 'kg'; /** the UCUM code converted from (`bodyWeightCode`) */ from: string }
  | { ok: false; reason: string };

/**
 * Body weight → kg (weight in any mass unit). Accepted: any UCUM unit of mass with
 * the UCUM system (kg, g, mg, [lb_av], [oz_av], [lb_tr], [stone_av] …; code absent → `unit` read as
 * the code), converted by the UCUM library; or, with no system, the unit text kg, g, lb, lbs or oz.
 * Anything else (no unit, cm, kg/m2, L, a non-UCUM system, "pound") is invalid with a reason.
 */
export function bodyWeightToKg(q: Quantity | undefined): WeightConversion {
  if (!q || typeof q.value !== 'number') return { ok: false, reason: 'weight has no numeric value' };
  const code = bodyWeightCode(q);
  const factor = code === undefined ? undefined : kgPerUnit(code);
  if (code === undefined || factor === undefined) return { ok: false, reason: weightUnitReason(q) };
  const kg = q.value * factor;
  if (!Number.isFinite(kg)) return { ok: false, reason: 'weight value is out of range' };
  return { ok: true, value: kg, unit: 'kg', from: code };
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
 * number for GGT/ALP, so all three may use the U/L fallback ULN. A hand rule on purpose, not the
 * UCUM engine: UCUM treats [IU] as an arbitrary unit, not commensurable with U (the enzyme unit,
 * µmol/min), and refuses to convert [IU]/L to U/L; but for these enzyme assays laboratories
 * report the same number under either unit.
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
