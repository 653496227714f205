/**
 * Terminal output of the CLI: colours (ANSI, only on a TTY and never with NO_COLOR), cards with
 * their rule id and trimmed detail, suggestions as a short table, links, and check problems.
 */
import type { Problem } from './check.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'blue' | 'green' | 'cyan' | 'magenta';
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
};

export interface Painter {
  enabled: boolean;
  paint(text: string, ...styles: Style[]): string;
}

/**
 * Colour when `--color` is given, or the stream is a TTY and neither NO_COLOR nor TERM=dumb is
 * set (FORCE_COLOR=1 forces it; FORCE_COLOR=0 and `--no-color` turn it off).
 */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

export function painter(enabled: boolean): Painter {
  return {
    enabled,
    paint: (text, ...styles) =>
      enabled ? styles.reduce((t, s) => `\u001b[${CODES[s][0]}m${t}\u001b[${CODES[s][1]}m`, text) : text,
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (s: string): number => [...s.replace(ANSI, '')].length;
const pad = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - visibleLength(s)));
const clip = (s: string, width: number): string => ([...s].length <= width ? s : `${[...s].slice(0, width - 1).join('')}…`);

/** A plain table: header, rule and rows, columns as wide as their widest cell. */
export function table(header: string[], rows: string[][], p: Painter, indent = '    '): string[] {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!))).join('  ').trimEnd();
  return [line(header.map((h) => p.paint(h, 'bold'))), indent + widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

// ---- suggestion rows ---------------------------------------------------------------------------------

const first = <T>(v: unknown): T | undefined => (Array.isArray(v) ? (v[0] as T) : undefined);

function medication(resource: Json): string {
  const concept = isObject(resource.medicationCodeableConcept) ? resource.medicationCodeableConcept : isObject(resource.code) ? resource.code : undefined;
  if (!concept) {
    const ref = isObject(resource.medicationReference) ? resource.medicationReference.reference : undefined;
    return typeof ref === 'string' ? ref : '';
  }
  const coding = first<Json>(concept.coding);
  const code = coding && typeof coding.code === 'string' ? coding.code : '';
  const display = (coding && typeof coding.display === 'string' ? coding.display : undefined) ?? (typeof concept.text === 'string' ? concept.text : '');
  return clip([code, display].filter(Boolean).join(' '), 44);
}

const PER_DAY: Record<string, number> = { h: 24, d: 1, wk: 1 / 7, mo: 1 / 30, a: 1 / 365 };

/** mg per day of one dosage instruction, when its dose is in mg (or g) and its timing regular. */
function mgPerDay(dosage: Json): number | undefined {
  const dose = first<Json>(dosage.doseAndRate);
  const quantity = dose && isObject(dose.doseQuantity) ? dose.doseQuantity : undefined;
  if (!quantity || typeof quantity.value !== 'number') return undefined;
  const unit = String(quantity.code ?? quantity.unit ?? '');
  const mg = unit === 'mg' ? quantity.value : unit === 'g' ? quantity.value * 1000 : undefined;
  if (mg === undefined) return undefined;
  const repeat = isObject(dosage.timing) && isObject(dosage.timing.repeat) ? dosage.timing.repeat : undefined;
  const frequency = typeof repeat?.frequency === 'number' ? repeat.frequency : 1;
  const period = typeof repeat?.period === 'number' ? repeat.period : 1;
  const perDay = PER_DAY[String(repeat?.periodUnit ?? 'd')];
  if (perDay === undefined) return undefined;
  return Math.round(((mg * frequency) / period) * perDay * 100) / 100;
}

function durationDays(q: unknown): number | undefined {
  if (!isObject(q) || typeof q.value !== 'number') return undefined;
  const unit = String(q.code ?? q.unit ?? 'd');
  const factor: Record<string, number> = { d: 1, day: 1, days: 1, wk: 7, week: 7, weeks: 7, mo: 30, a: 365, h: 1 / 24 };
  const f = factor[unit];
  return f === undefined ? undefined : q.value * f;
}

function fmtDays(days: number): string {
  return days % 7 === 0 && days >= 14 ? `${days / 7} wk` : `${Math.round(days * 10) / 10} d`;
}

/** The doses of the dosage instructions in sequence (`45`, or `45→30→20` for a taper). */
function doses(resource: Json): string {
  const list = Array.isArray(resource.dosageInstruction) ? resource.dosageInstruction.filter(isObject) : [];
  const values = list.map(mgPerDay).filter((v): v is number => v !== undefined);
  const distinct = values.filter((v, i) => i === 0 || v !== values[i - 1]);
  return distinct.join('→');
}

function duration(resource: Json): string {
  const dispense = isObject(resource.dispenseRequest) ? durationDays(resource.dispenseRequest.expectedSupplyDuration) : undefined;
  if (dispense !== undefined) return fmtDays(dispense);
  const list = Array.isArray(resource.dosageInstruction) ? resource.dosageInstruction.filter(isObject) : [];
  const bounds = list.map((d) => (isObject(d.timing) && isObject(d.timing.repeat) ? durationDays(d.timing.repeat.boundsDuration) : undefined));
  if (bounds.length > 0 && bounds.every((b): b is number => b !== undefined)) return fmtDays(bounds.reduce((a, b) => a + b, 0));
  return '';
}

/** One table row per action of each suggestion. */
export function suggestionRows(suggestions: unknown[], p: Painter): string[][] {
  const rows: string[][] = [];
  suggestions.forEach((s, i) => {
    if (!isObject(s)) return;
    const label = `${s.isRecommended === true ? p.paint('★ ', 'green') : ''}${clip(String(s.label ?? ''), 48)}`;
    const actions = Array.isArray(s.actions) ? s.actions.filter(isObject) : [];
    if (actions.length === 0) rows.push([String(i + 1), label, '', '', '', '', '']);
    actions.forEach((a, k) => {
      const resource = isObject(a.resource) ? a.resource : undefined;
      const type = resource ? String(resource.resourceType ?? '') : typeof a.resourceId === 'string' ? a.resourceId : '';
      rows.push([
        k === 0 ? String(i + 1) : '',
        k === 0 ? label : '',
        String(a.type ?? ''),
        type,
        resource ? medication(resource) : '',
        resource ? doses(resource) : '',
        resource ? duration(resource) : '',
      ]);
    });
  });
  return rows;
}

// ---- cards ---------------------------------------------------------------------------------------------

const INDICATOR_STYLE: Record<string, Style> = { info: 'blue', warning: 'yellow', critical: 'red' };

/** The first lines of a Markdown detail, at most `maxChars`, without emphasis markers. */
export function trimDetail(detail: string, maxLines = 4, maxChars = 360): string[] {
  const paragraphs = detail
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' ').replace(/\*\*|__/g, '').trim())
    .filter(Boolean);
  const out: string[] = [];
  let used = 0;
  for (const para of paragraphs) {
    if (out.length >= maxLines || used >= maxChars) {
      out.push('…');
      break;
    }
    const room = Math.max(maxChars - used, 40);
    out.push(clip(para, room));
    used += para.length;
    if ([...para].length > room) break; // clipped: its own "…" says there is more
  }
  return out;
}

export function renderCards(body: unknown, p: Painter, serviceLabel: string): string {
  const cards = isObject(body) && Array.isArray(body.cards) ? body.cards.filter(isObject) : [];
  const lines: string[] = [];
  lines.push(p.paint(`${serviceLabel}: ${cards.length} card${cards.length === 1 ? '' : 's'}`, 'bold'));
  if (cards.length === 0) lines.push(p.paint('  (no guidance: {"cards": []})', 'dim'));
  for (const card of cards) {
    lines.push('');
    const indicator = String(card.indicator ?? '?');
    const style = INDICATOR_STYLE[indicator] ?? 'magenta';
    const source = isObject(card.source) ? card.source : {};
    const topic = isObject(source.topic) ? source.topic : undefined;
    const rule = topic && typeof topic.code === 'string' ? topic.code : '';
    lines.push(`${p.paint('●', style)} ${p.paint(indicator.toUpperCase().padEnd(8), style, 'bold')} ${rule ? `${p.paint(rule, 'cyan')}  ` : ''}${p.paint(String(card.summary ?? ''), 'bold')}`);
    const sourceLine = [source.label, source.url].filter((v) => typeof v === 'string').join(' · ');
    if (sourceLine) lines.push(p.paint(`    source: ${sourceLine}`, 'dim'));
    if (typeof card.detail === 'string') for (const l of trimDetail(card.detail)) lines.push(`    ${l}`);
    if (Array.isArray(card.suggestions) && card.suggestions.length > 0) {
      lines.push(`    ${p.paint('Suggestions', 'bold')} (${String(card.selectionBehavior ?? 'no selectionBehavior')}):`);
      lines.push(...table(['#', 'Label', 'Action', 'Resource', 'Medication / code', 'mg/day', 'Duration'], suggestionRows(card.suggestions, p), p, '    '));
    }
    if (Array.isArray(card.links)) {
      for (const link of card.links.filter(isObject)) {
        lines.push(`    ${p.paint('→', 'cyan')} ${String(link.label ?? '')} ${p.paint(`<${String(link.url ?? '')}>`, 'dim')}${link.type === 'smart' ? ' (SMART app)' : ''}`);
      }
    }
  }
  if (isObject(body) && Array.isArray(body.systemActions) && body.systemActions.length > 0) {
    lines.push('', p.paint(`systemActions: ${body.systemActions.length}`, 'bold'));
  }
  return `${lines.join('\n')}\n`;
}

export function renderProblems(problems: Problem[], p: Painter, file: string): string {
  const errors = problems.filter((x) => x.severity === 'error').length;
  const warnings = problems.length - errors;
  const lines = problems.map((x) => {
    const mark = x.severity === 'error' ? p.paint('✗ error  ', 'red') : p.paint('! warning', 'yellow');
    return `${mark} ${p.paint(x.path, 'bold')}  ${p.paint(x.rule, 'cyan')}  ${x.message}`;
  });
  const verdict =
    errors === 0
      ? p.paint(`✓ ${file}: conforms to the CDS Hooks 2.0 rules checked${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`, 'green')
      : p.paint(`${file}: ${errors} problem${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`, 'red', 'bold');
  return `${[...lines, verdict].join('\n')}\n`;
}

/** The diagnostics of an OperationOutcome error body, one per line. */
export function outcomeDiagnostics(body: unknown): string[] {
  if (!isObject(body) || body.resourceType !== 'OperationOutcome' || !Array.isArray(body.issue)) return [];
  return body.issue.filter(isObject).map((i) => `${String(i.severity ?? 'error')} ${String(i.code ?? '')}: ${String(i.diagnostics ?? (isObject(i.details) ? i.details.text : '') ?? '')}`);
}
