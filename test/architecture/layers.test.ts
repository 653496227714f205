/**
 * Layers that only point down (issue 16). Every non-test module under src/ belongs to one layer:
 *
 *   HTTP/app (3)  src/app.ts, src/main.ts, src/probes.ts, src/metrics.ts, src/evidence-page.ts,
 *                 src/openapi.ts, src/large-bodies.ts, src/logging.ts, src/plugins/**, src/smart/**, src/demo/**,
 *                 src/cli/**
 *   protocol (2)  src/cds/**, src/auth/**, src/shared-state/**, src/store/**
 *   domain   (1)  src/cop/**   (inside it, src/cop/rules/** sits above the rest of src/cop)
 *   fhir     (0)  src/fhir/**
 *
 * A module may import its own layer or a lower one, never a higher one. A few shared modules sit
 * beside the layers (SHARED below): each says who may import it. The file graph has no cycles.
 * Imports are read by a small lexer (comments, strings and templates aside): `import`,
 * `import type`, `export … from`, side-effect imports and `import('…')` with a literal specifier;
 * relative specifiers are resolved to files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Layer = 'http' | 'protocol' | 'domain' | 'fhir';
const RANK: Record<Layer, number> = { fhir: 0, domain: 1, protocol: 2, http: 3 };

const HTTP_FILES = new Set([
  'src/app.ts', 'src/main.ts', 'src/probes.ts', 'src/metrics.ts', 'src/evidence-page.ts',
  'src/openapi.ts', 'src/large-bodies.ts', 'src/logging.ts',
]);
const LAYER_DIRS: [string, Layer][] = [
  ['src/plugins/', 'http'], ['src/smart/', 'http'], ['src/demo/', 'http'], ['src/cli/', 'http'],
  ['src/cds/', 'protocol'], ['src/auth/', 'protocol'], ['src/shared-state/', 'protocol'], ['src/store/', 'protocol'],
  ['src/cop/', 'domain'],
  ['src/fhir/', 'fhir'],
];

/**
 * Modules beside the layers: who may import them, and what they may import. Not exceptions to
 * the direction rule so much as its edges; each entry says why it is shared.
 */
const SHARED: Record<string, { importers: readonly Layer[]; mayImport: readonly Layer[]; why: string }> = {
  'src/errors.ts': {
    importers: ['http', 'protocol', 'domain', 'fhir'],
    mayImport: [],
    why: 'error classes and OperationOutcome: a leaf every layer may throw or map',
  },
  'src/config.ts': {
    importers: ['http'],
    mayImport: ['protocol', 'domain', 'fhir'],
    why: 'composition: reads the environment into AppConfig from each layer\'s own settings type (auth/, store/, shared-state/ and cds/fhir-settings.ts); only the app layer sees the whole config',
  },
  'src/site-config.ts': {
    importers: ['http', 'protocol'],
    mayImport: ['protocol', 'domain', 'fhir'],
    why: 'composition: the site file (thresholds, override reasons, local codes) checked against the domain\'s declarations',
  },
  'src/smart/constants.ts': {
    importers: ['http', 'protocol'],
    mayImport: [],
    why: 'the SMART app\'s paths, no imports: the routes that serve the app and the CDS layer that links cards to it must agree',
  },
};

/**
 * Known imports that break a rule ('layer': points up; 'cycle': closes a loop, left out of the
 * cycle check), each with its reason. Keep this short; the last test fails on an entry no longer needed.
 */
const EXCEPTIONS: { from: string; to: string; rule: 'layer' | 'cycle'; why: string }[] = [];

/** Inside src/cop: the rest of the domain may use the rule registry, never a rule or the rules' helpers. */
const RULES_DIR = 'src/cop/rules/';
const RULES_ENTRY = 'src/cop/rules/index.ts';

function layerOf(file: string): Layer | undefined {
  if (HTTP_FILES.has(file)) return 'http';
  if (SHARED[file] && !LAYER_DIRS.some(([dir]) => file.startsWith(dir))) return undefined;
  return LAYER_DIRS.find(([dir]) => file.startsWith(dir))?.[1];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [rel] : [];
  });
}

type Token = { kind: 'word' | 'string' | 'punct'; text: string };

const KEYWORDS_BEFORE_EXPRESSION = new Set(['return', 'typeof', 'case', 'in', 'of', 'new', 'delete', 'void', 'throw', 'else', 'do', 'yield', 'await', 'instanceof']);

/**
 * A small TypeScript lexer, enough for import specifiers: words, string literals (with their value)
 * and punctuation; comments, template text and regular expressions are skipped. (The project's
 * TypeScript 7 has no JavaScript compiler API to parse with.)
 */
function tokens(text: string): Token[] {
  const out: Token[] = [];
  /** Open template literals: the brace depth at which each `${…}` returns to its template. */
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const regexAllowed = (): boolean => {
    const prev = out[out.length - 1];
    if (!prev) return true;
    if (prev.kind === 'string') return false;
    if (prev.kind === 'word') return KEYWORDS_BEFORE_EXPRESSION.has(prev.text);
    return ![')', ']', '}'].includes(prev.text);
  };
  /** From inside a template (after ` or }): skip to its end or to the next `${`. */
  const templateText = (): void => {
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\\') i += 2;
      else if (c === '`') { i++; return; }
      else if (c === '$' && text[i + 1] === '{') { i += 2; templates.push(depth); depth++; return; }
      else i++;
    }
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '/' && text[i + 1] === '/') { while (i < text.length && text[i] !== '\n') i++; }
    else if (c === '/' && text[i + 1] === '*') { const end = text.indexOf('*/', i + 2); i = end < 0 ? text.length : end + 2; }
    else if (c === '"' || c === "'") {
      let value = '';
      for (i++; i < text.length && text[i] !== c; i++) {
        if (text[i] === '\\') i++;
        value += text[i];
      }
      i++;
      out.push({ kind: 'string', text: value });
    } else if (c === '`') { i++; templateText(); out.push({ kind: 'string', text: '' }); }
    else if (c === '/' && regexAllowed()) {
      let inClass = false;
      for (i++; i < text.length && (inClass || text[i] !== '/') && text[i] !== '\n'; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
      }
      i++;
      while (i < text.length && /[a-z]/i.test(text[i]!)) i++;
      out.push({ kind: 'punct', text: '/regex/' });
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[\w$]+/.exec(text.slice(i, i + 100))![0];
      out.push({ kind: 'word', text: m });
      i += m.length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[\w.]+/.exec(text.slice(i, i + 100))![0];
      out.push({ kind: 'word', text: m });
      i += m.length;
    } else {
      i++;
      if (c === '{') depth++;
      if (c === '}') {
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) { templates.pop(); templateText(); continue; }
      }
      out.push({ kind: 'punct', text: c });
    }
  }
  return out;
}

/**
 * Every module specifier a file names: `import … from`, `import type … from`, `export … from`
 * (`from` followed by a string occurs nowhere else), side-effect imports, and `import('…')` /
 * `require('…')` with a literal specifier.
 */
export function specifiersOf(text: string): string[] {
  const t = tokens(text);
  const out: string[] = [];
  t.forEach((tok, k) => {
    if (tok.kind !== 'string') return;
    const prev = t[k - 1];
    const before = t[k - 2];
    const word = (x: Token | undefined, w: string): boolean => x?.kind === 'word' && x.text === w;
    const notMember = (x: Token | undefined): boolean => !(x?.kind === 'punct' && x.text === '.');
    if ((word(prev, 'from') || word(prev, 'import')) && notMember(before)) out.push(tok.text);
    else if (prev?.text === '(' && (word(before, 'import') || word(before, 'require')) && notMember(t[k - 3])) out.push(tok.text);
  });
  return out;
}

/** `./x.js` → `src/…/x.ts` (or `.d.ts`, or `x/index.ts`); undefined when no file matches. */
function resolve(from: string, specifier: string): string | undefined {
  const base = path.posix.join(path.posix.dirname(from), specifier);
  const stem = base.replace(/\.(js|ts|mjs|cjs)$/, '');
  const candidates = [`${stem}.ts`, `${stem}.d.ts`, `${stem}/index.ts`, base];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(path.join(ROOT, c)));
}

interface Edge { from: string; to: string }

function buildGraph(): { files: string[]; edges: Edge[]; unresolved: string[] } {
  const files = sourceFiles('src').sort();
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const from of files) {
    for (const spec of specifiersOf(readFileSync(path.join(ROOT, from), 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const to = resolve(from, spec);
      if (to) edges.push({ from, to });
      else unresolved.push(`${from}: '${spec}'`);
    }
  }
  return { files, edges: [...new Map(edges.map((e) => [`${e.from}→${e.to}`, e])).values()], unresolved };
}

/** Why an import breaks the layering, or undefined when it is allowed. */
function violation({ from, to }: Edge): string | undefined {
  const fromLayer = layerOf(from);
  const toLayer = layerOf(to);
  if (!fromLayer || !toLayer) return undefined; // reported by the "every file has a layer" test
  const target = SHARED[to];
  const source = SHARED[from];
  if (source && !source.mayImport.includes(toLayer) && !SHARED[to]) return `shared module ${from} may import only ${source.mayImport.join(', ') || 'nothing in src'}`;
  if (target) return target.importers.includes(fromLayer) ? undefined : `${to} is for ${target.importers.join(', ')} only`;
  if (source) return undefined;
  if (RANK[toLayer] > RANK[fromLayer]) return `${fromLayer} → ${toLayer} points up`;
  if (fromLayer === 'domain' && to.startsWith(RULES_DIR) && !from.startsWith(RULES_DIR) && to !== RULES_ENTRY) {
    return 'src/cop outside rules/ may import only the rule registry (rules/index.ts)';
  }
  return undefined;
}

/** Strongly connected components with more than one file (or a file importing itself), each as one cycle. */
function cycles(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (next.get(v) ?? []).includes(v)) components.push(c);
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  // One concrete loop per component: a shortest path back to its first file.
  return components.map((c) => {
    const members = new Set(c);
    const start = [...c].sort()[0]!;
    const prev = new Map<string, string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      for (const w of next.get(queue[i]!) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const loop = [start];
          for (let v: string | undefined = queue[i]; v && v !== start; v = prev.get(v)) loop.splice(1, 0, v);
          return [...loop, start];
        }
        if (!prev.has(w)) { prev.set(w, queue[i]!); queue.push(w); }
      }
    }
    return [...c, c[0]!];
  });
}

const graph = buildGraph();
const excepted = (e: Edge, rule: 'layer' | 'cycle'): boolean => EXCEPTIONS.some((x) => x.rule === rule && x.from === e.from && x.to === e.to);
const layered = (f: string): boolean => !!layerOf(f) || !!SHARED[f];

describe('layers that only point down (issue 16)', () => {
  it('reads every kind of import', () => {
    const text = [
      "import a from './a.js';", "import type { B } from './b.js';", "import { type C } from './c.js';", "import './d.js';",
      "export * from './e.js';", "export type { F } from './f.js';", "const g = await import('./g.js');",
      "type H = typeof import('./h.js');", "// import x from './comment.js'", "const s = \"import y from './string.js'\";",
      "const t = `import z from './template.js' ${`${'x'}`} from './template2.js'`;", "const r = /from '.\\/regex.js'/g.test(s) ? 1 : 2 / 3;",
      "export { i } from './i.js'; export { j };", "import k = require('./k.js');", "Array.from('./not-a-module');",
    ].join('\n');
    expect(specifiersOf(text)).toEqual(['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js', './g.js', './h.js', './i.js', './k.js']);
    expect(graph.edges.length).toBeGreaterThan(200);
  });

  it('gives every module under src/ a layer, and resolves every relative import', () => {
    expect(graph.files.filter((f) => !layered(f))).toEqual([]);
    expect(graph.unresolved).toEqual([]);
    expect(Object.keys(SHARED).filter((f) => !graph.files.includes(f))).toEqual([]);
  });

  it('imports only its own layer or a lower one (and src/cop only the rule registry of src/cop/rules)', () => {
    const problems = graph.edges
      .filter((e) => !excepted(e, 'layer'))
      .flatMap((e) => {
        const why = violation(e);
        return why ? [`${e.from} → ${e.to}: ${why}`] : [];
      });
    expect(problems).toEqual([]);
  });

  it('lists no exception that is no longer needed', () => {
    const stale = EXCEPTIONS.filter((x) => {
      const edge = graph.edges.find((e) => e.from === x.from && e.to === x.to);
      if (!edge) return true;
      if (x.rule === 'layer') return !violation(edge);
      return !cycles(graph.files, graph.edges).some((c) => c.includes(x.from) && c.includes(x.to));
    });
    expect(stale).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const edges = graph.edges.filter((e) => !excepted(e, 'cycle'));
    expect(cycles(graph.files, edges).map((c) => c.join(' → '))).toEqual([]);
  });
});
