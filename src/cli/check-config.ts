/**
 * `cop-cds check-config <site-file>`: validates a site configuration file exactly as the service
 * does at start-up (src/site-config.ts: unknown keys, ranges, the checks between thresholds) and
 * prints every clinical threshold with its effective value, the default, the allowed range, where
 * the value comes from and the ⚠ flag of defaults that need clinical sign-off: the sheet a site's
 * respiratory lead and pharmacy review and sign off before the file goes live.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_THRESHOLDS, thresholdsSchema, type ThresholdKey } from '../cop/knowledge.js';
import { THRESHOLD_DOCS } from '../cop/threshold-docs.js';
import { DEFAULT_SITE_TIME_ZONE } from '../fhir/dates.js';
import { loadSiteFile } from '../site-config.js';
import type { CliIo } from './io.js';
import { colorEnabled, painter, table, type Painter } from './render.js';
import { CliError } from './sign.js';

export const CHECK_CONFIG_USAGE = 'usage: cop-cds check-config <site-config.json> [--json] [--color|--no-color]';

export interface ThresholdRow {
  key: ThresholdKey;
  value: number;
  default: number;
  /** e.g. `> 0`, `28–56, integer`, `> 0, ≤ 60`. */
  allowed: string;
  /** `file`: the site file sets it; `default`: the catalog default. */
  source: 'file' | 'default';
  /** The default is a ⚠ value of the catalog (clinical sign-off needed); also true for a key THRESHOLD_DOCS does not describe yet. */
  signOff: boolean;
  meaning?: string;
}

type NumberSchema = { type?: string; minimum?: number; exclusiveMinimum?: number; maximum?: number; exclusiveMaximum?: number };
let ranges: Record<string, NumberSchema> | undefined;

/** The allowed range of a threshold, from its zod schema, in the README's notation. */
export function thresholdRangeText(key: ThresholdKey): string {
  ranges ??= (z.toJSONSchema(thresholdsSchema, { io: 'input' }) as { properties: Record<string, NumberSchema> }).properties;
  const s = ranges[key] ?? {};
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  const parts: string[] = [];
  if (s.minimum !== undefined && max !== undefined) parts.push(`${s.minimum}–${max}`);
  else {
    if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
    else if (s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER) parts.push(`≥ ${s.minimum}`);
    if (max !== undefined) parts.push(`≤ ${max}`);
    if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  }
  if (s.type === 'integer') parts.push('integer');
  return parts.join(', ') || 'any number';
}

/** Every threshold of the schema, in its order, with the effective value of a loaded site file. */
export function thresholdRows(values = DEFAULT_THRESHOLDS, setByFile: readonly string[] = []): ThresholdRow[] {
  return (Object.keys(thresholdsSchema.shape) as ThresholdKey[]).map((key) => {
    const doc = THRESHOLD_DOCS[key];
    return {
      key,
      value: values[key],
      default: DEFAULT_THRESHOLDS[key],
      allowed: thresholdRangeText(key),
      source: setByFile.includes(key) ? 'file' : 'default',
      // A key without a description has not been reviewed as one: flag it rather than pass it.
      signOff: doc?.signOff ?? true,
      ...(doc ? { meaning: doc.meaning } : {}),
    };
  });
}

function renderRows(rows: ThresholdRow[], p: Painter): string[] {
  return table(
    ['threshold', 'value', 'default', 'allowed', 'from', '⚠'],
    rows.map((r) => [
      r.key,
      r.value === r.default ? String(r.value) : p.paint(String(r.value), 'bold'),
      String(r.default),
      r.allowed,
      r.source === 'file' ? 'file' : p.paint('default', 'dim'),
      r.signOff ? p.paint(r.source === 'file' ? '⚠ reviewed?' : '⚠ sign-off', 'yellow') : '',
    ]),
    p,
    '  ',
  );
}

export function runCheckConfig(args: string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, color: { type: 'boolean' }, 'no-color': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${CHECK_CONFIG_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out.write(`${CHECK_CONFIG_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(CHECK_CONFIG_USAGE);
  const file = positionals[0]!;
  const flag = values['no-color'] ? false : values.color ? true : undefined;
  const p = painter(colorEnabled(io.env, io.outIsTTY, flag));
  const loaded = loadSiteFile(file);

  if (!loaded.value) {
    if (values.json) io.out.write(`${JSON.stringify({ file, valid: false, problems: loaded.problems }, null, 2)}\n`);
    else {
      io.out.write(`${p.paint('✗', 'red')} ${file}: ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}; the service would not start with it (exit code 2)\n`);
      for (const problem of loaded.problems) io.out.write(`  ${problem}\n`);
    }
    return 1;
  }

  const site = loaded.value;
  const rows = thresholdRows(site.thresholds, site.thresholdsSet);
  const signOff = rows.filter((r) => r.signOff);
  if (values.json) {
    io.out.write(
      `${JSON.stringify(
        {
          file,
          valid: true,
          formulary: site.formulary ?? null,
          timeZone: site.timeZone ?? null,
          locale: site.settings.locale,
          localCopCodes: site.settings.localCodes.cop?.length ?? 0,
          overrideReasonRules: Object.keys(site.settings.overrideReasons),
          thresholds: rows,
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const fromFile = rows.filter((r) => r.source === 'file').length;
  const lines = [
    `${p.paint('✓', 'green')} ${file}: valid; the service starts with it (SITE_CONFIG_FILE=${file})`,
    `  formulary ${site.formulary ?? 'us (default)'}, time zone ${site.timeZone ?? `${DEFAULT_SITE_TIME_ZONE} (default)`}, locale ${site.settings.locale}; ` +
      `${site.settings.localCodes.cop?.length ?? 0} local COP code(s); override reasons for ${Object.keys(site.settings.overrideReasons).join(', ') || 'no rule (built-in lists)'}`,
    '  (FORMULARY_PROFILE and SITE_TIME_ZONE in the environment win over the file; the thresholds come from the file only.)',
    '',
    `Clinical thresholds: ${fromFile} set by the file, ${rows.length - fromFile} at the catalog default`,
    ...renderRows(rows, p),
    '',
    `⚠ ${signOff.length} thresholds have defaults that need clinical sign-off: ` +
      `${signOff.filter((r) => r.source === 'file').length} set in this file, ${signOff.filter((r) => r.source === 'default').length} left at the default.`,
    '  Sign off this output with the file (respiratory lead and pharmacy) before it goes live.',
  ];
  io.out.write(`${lines.join('\n')}\n`);
  return 0;
}
