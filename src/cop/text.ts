/**
 * Number and duration formatting for order and card text, shared by the dose arithmetic and the
 * order builders (dosing.ts, order-assembly.ts) and the rules (rules/shared.ts re-exports them).
 * A leaf of src/cop: imports nothing.
 */

/** Round half-up to the nearest `step` (5 mg by default): 42.5 → 45, 42.4 → 40. */
export const roundToStep = (value: number, step = 5): number => Math.floor(value / step + 0.5 + 1e-9) * step;

/** One decimal, trailing ".0" kept for weights ("60.0 kg") as the catalog's examples show. */
export const oneDecimal = (n: number): string => n.toFixed(1);

/**
 * Rounded half-up to `digits` decimals, without trailing zeros, for amounts read from the record
 * (2.5 mg, 0.125 mg/mL); a number too large to round that way is written as it is (never "Infinity").
 */
export const roundedText = (n: number, digits: number): string => {
  const rounded = Math.round(n * 10 ** digits) / 10 ** digits;
  return String(Number.isFinite(rounded) ? rounded : n);
};

/** Up to `digits` decimals without trailing zeros, for summaries: 60 → "60", 59.9 → "59.9". */
export const compactNumber = (n: number, digits = 1): string => String(Number(n.toFixed(digits)));

/** "4 weeks" for whole weeks, else "10 days": how a clinician reads a duration in an order. */
export function durationText(days: number): string {
  if (days > 0 && days % 7 === 0) return days === 7 ? '1 week' : `${days / 7} weeks`;
  return days === 1 ? '1 day' : `${days} days`;
}

/** mg/kg as clinicians write it: at least one decimal, two when needed (0.5, 0.75, 1.0). */
export const mgPerKgText = (n: number): string => {
  const two = n.toFixed(2);
  return two.endsWith('0') ? n.toFixed(1) : two;
};
