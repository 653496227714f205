/**
 * Site configuration: one JSON file (SITE_CONFIG_FILE) for what a deploying site tunes — formulary
 * profile, clinical thresholds, local codes, card wording locale and override reasons. Read and
 * validated once at start-up by config.ts. The clinical thresholds come from this file only (a
 * reviewed file, not an operations knob: COP_* variables are refused, config.ts); for the other
 * fields FORMULARY_PROFILE and SITE_TIME_ZONE win over the file, and the file wins over the defaults.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SiteOverrideReasons } from './cop/cards.js';
import { parseThresholds, RULE_IDS, type RuleId, type ThresholdKey, type Thresholds } from './cop/knowledge.js';
import type { FormularyProfile, OverrideReason } from './cop/rule-types.js';
import { R01_OVERRIDE_REASONS } from './cop/rules/r01-initial-dose.js';
import { DUPLICATE_OVERRIDE_REASONS } from './cop/rules/r04-existing-glucocorticoid.js';
import { R05_OVERRIDE_REASONS } from './cop/rules/r05-dose-check.js';
import { R07_OVERRIDE_REASONS } from './cop/rules/r07-clarithromycin-outside-population.js';
import { R19_OVERRIDE_REASONS } from './cop/rules/r19-pregnancy-safety.js';
import { normaliseIcd, SYSTEMS, type LocalCodes } from './cop/valuesets.js';
import { canonicalTimeZone } from './fhir/dates.js';

/** Card wording locales that exist. Only English today; the field is there for later translations. */
export const CARD_LOCALES = ['en'] as const;
export type CardLocale = (typeof CARD_LOCALES)[number];

/** The rules whose cards offer override reasons, with their built-in lists (what a site may replace). */
export const DEFAULT_OVERRIDE_REASONS: Readonly<Partial<Record<RuleId, readonly OverrideReason[]>>> = {
  'COP-R01': R01_OVERRIDE_REASONS,
  'COP-R04': DUPLICATE_OVERRIDE_REASONS,
  'COP-R05': R05_OVERRIDE_REASONS,
  'COP-R07': R07_OVERRIDE_REASONS,
  'COP-R19': R19_OVERRIDE_REASONS,
};
const RULES_WITH_REASONS = Object.keys(DEFAULT_OVERRIDE_REASONS).join(', ');

/** The site settings as AppConfig carries them (thresholds and formulary go into their own fields). */
export interface SiteSettings {
  /** The file they came from, when SITE_CONFIG_FILE was set. */
  file?: string;
  locale: CardLocale;
  /** Local codes added to the value sets that allow local mapping (P-COP). */
  localCodes: LocalCodes;
  /** Per rule, the override reasons that replace the rule's own. */
  overrideReasons: SiteOverrideReasons;
}

export const DEFAULT_SITE_SETTINGS: SiteSettings = { locale: 'en', localCodes: {}, overrideReasons: {} };

const localCodingSchema = z
  .strictObject({
    system: z.string().min(1),
    code: z.string().min(1),
    /** For the reader of the file only. */
    display: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    // Safety decisions of the rule catalog that a local mapping must not undo.
    if (c.system === SYSTEMS.icd10who && normaliseIcd(c.code).startsWith('J84')) {
      ctx.addIssue({ code: 'custom', message: 'WHO ICD-10 J84.x is non-specific and never counts as a COP diagnosis' });
    }
    if (c.system === SYSTEMS.snomed && c.code === '129458007') {
      ctx.addIssue({ code: 'custom', message: 'SNOMED 129458007 (BOOP) counts as COP only without a secondary cause; it is handled already' });
    }
  });

const overrideReasonSchema = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a code of letters, digits, ".", "_" or "-" (at most 64)'),
  display: z.string().trim().min(1).max(200),
});

export const siteFileSchema = z.strictObject({
  /** Free text for the reader of the file (JSON has no comments). */
  $comment: z.union([z.string(), z.array(z.string())]).optional(),
  formulary: z.enum(['us', 'uk']).optional(),
  /** The site's time zone (IANA name), as SITE_TIME_ZONE: "today" is the calendar date there. */
  timeZone: z
    .string()
    .refine((name) => canonicalTimeZone(name) !== undefined, {
      message: 'not an IANA time-zone name this runtime knows (e.g. UTC, Europe/London, America/New_York)',
    })
    .optional(),
  locale: z
    .string()
    .refine((l): l is CardLocale => (CARD_LOCALES as readonly string[]).includes(l), {
      message: `card wording exists only in ${CARD_LOCALES.map((l) => `"${l}"`).join(', ')}`,
    })
    .optional(),
  /** Checked by `parseThresholds` (src/cop/knowledge.ts): known keys, ranges, and the checks between keys. */
  thresholds: z.unknown().optional(),
  valueSets: z
    .strictObject({
      /** Local codes that mean cryptogenic organizing pneumonia (P-COP "or a locally mapped code"). */
      cop: z.array(localCodingSchema).optional(),
    })
    .optional(),
  overrideReasons: z
    .record(z.string(), z.array(overrideReasonSchema).min(1))
    .superRefine((record, ctx) => {
      for (const [ruleId, reasons] of Object.entries(record)) {
        if (!(RULE_IDS as readonly string[]).includes(ruleId)) {
          ctx.addIssue({ code: 'custom', path: [ruleId], message: `unknown rule id; rules with override reasons: ${RULES_WITH_REASONS}` });
        } else if (!DEFAULT_OVERRIDE_REASONS[ruleId as RuleId]) {
          ctx.addIssue({ code: 'custom', path: [ruleId], message: `${ruleId} cards offer no override reasons; rules with override reasons: ${RULES_WITH_REASONS}` });
        }
        const codes = reasons.map((r) => r.code);
        const duplicate = codes.find((c, i) => codes.indexOf(c) !== i);
        if (duplicate) ctx.addIssue({ code: 'custom', path: [ruleId], message: `override reason code "${duplicate}" appears twice` });
      }
    })
    .optional(),
});

export type SiteFile = z.infer<typeof siteFileSchema>;

/** What the file contributes: settings and thresholds, plus formulary and time zone for config.ts to merge with the environment. */
export interface SiteFileValues {
  settings: SiteSettings;
  /** Every threshold: the file's values over the defaults, checked as a whole. */
  thresholds: Thresholds;
  /** The keys the file sets (the others are defaults). */
  thresholdsSet: ThresholdKey[];
  formulary?: FormularyProfile;
  /** Canonical IANA name. */
  timeZone?: string;
}

/** Reads and validates SITE_CONFIG_FILE; problems name the file and the field. */
export function loadSiteFile(file: string): { value?: SiteFileValues; problems: string[] } {
  const label = `SITE_CONFIG_FILE (${file})`;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `not valid JSON: ${error.message}` : `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    return { problems: [`${label}: ${reason}`] };
  }
  const parsed = siteFileSchema.safeParse(json);
  // Thresholds are checked even when another field is wrong, so one run reports every problem.
  const fileThresholds = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { thresholds?: unknown }).thresholds : undefined;
  const thresholds = parseThresholds(fileThresholds ?? {});
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => {
          const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k].join('.')) : [];
          const field = keys.length > 0 ? keys.join(', ') : issue.path.map(String).join('.') || '(top level)';
          return `${label}: ${field}: ${issue.message}`;
        })),
    ...thresholds.issues.map((issue) => `${label}: ${issue.key ? `thresholds.${issue.key}` : 'thresholds'}: ${issue.message}`),
  ];
  if (!parsed.success || !thresholds.value || problems.length > 0) return { problems };
  const f = parsed.data;
  const settings: SiteSettings = {
    file,
    locale: (f.locale as CardLocale | undefined) ?? 'en',
    localCodes: f.valueSets?.cop ? { cop: f.valueSets.cop.map((c) => ({ system: c.system, code: c.code })) } : {},
    overrideReasons: f.overrideReasons ?? {},
  };
  const timeZone = f.timeZone === undefined ? undefined : canonicalTimeZone(f.timeZone);
  return {
    value: {
      settings,
      thresholds: thresholds.value,
      thresholdsSet: Object.keys(fileThresholds ?? {}) as ThresholdKey[],
      ...(f.formulary ? { formulary: f.formulary } : {}),
      ...(timeZone ? { timeZone } : {}),
    },
    problems: [],
  };
}
