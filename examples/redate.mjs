#!/usr/bin/env node
/**
 * Prints an example request with every date moved forward so that the example keeps the clinical
 * meaning it had on the day it was written: the weight stays 5 days old, the diagnosis 15 days,
 * the patient the same age. The examples are plain files (any FHIR date in them is fixed), while
 * the service counts recency from its own clock, so without this the example's weight would go
 * stale after 30 days and unusable after 90.
 *
 *   node examples/redate.mjs examples/order-select-request.json | curl ... --data @-
 */
import { readFileSync } from 'node:fs';

/** The day the examples were written: their dates are relative to it. */
const WRITTEN_ON = Date.UTC(2026, 10, 25);
const DAY_MS = 86_400_000;
const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node examples/redate.mjs <request.json>\n');
  process.exit(2);
}

// REDATE_TODAY=YYYY-MM-DD pins "today" (tests); otherwise the machine's clock.
const now = process.env.REDATE_TODAY ? new Date(`${process.env.REDATE_TODAY}T00:00:00Z`) : new Date();
const shiftDays = Math.max(0, Math.round((Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - WRITTEN_ON) / DAY_MS));

function shift(value) {
  if (typeof value === 'string') {
    const m = DATE_PREFIX.exec(value);
    if (!m) return value;
    const moved = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + shiftDays * DAY_MS);
    return moved.toISOString().slice(0, 10) + value.slice(10);
  }
  if (Array.isArray(value)) return value.map(shift);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shift(v)]));
  return value;
}

process.stdout.write(`${JSON.stringify(shift(JSON.parse(readFileSync(file, 'utf8'))), null, 2)}\n`);
