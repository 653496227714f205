/**
 * GET /evidence/cop: the page every card's `source.url` points to, one section per rule anchored
 * `#COP-Rnn`. It is made from the rules' own declarations (src/cop/rules/*.ts) and the configured
 * thresholds, so what a clinician reviews is what the service runs: for each rule its purpose, the
 * hooks it runs on, the data it reads, every threshold with the configured value, the default and
 * the sign-off flag, its citations, its override reasons and the notes that await review. The
 * sign-off notes live here, never on cards.
 */
import type { FastifyInstance, FastifyPluginOptions } from 'fastify';
import { CITATIONS, DEFAULT_THRESHOLDS, type Thresholds } from './cop/knowledge.js';
import type { RuleDeclaration } from './cop/rule-types.js';
import { THRESHOLD_DOCS } from './cop/threshold-docs.js';

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The prefetch keys as a clinician reads them. */
const DATA_NAMES: Record<string, string> = {
  patient: 'age and sex', conditions: 'conditions', weight: 'body weight', oxygenation: 'SpO2 and PaO2',
  pft: 'lung function (FVC, FEV1, DLCO)', labs: 'GGT, ALP, HbA1c and glucose', bp: 'blood pressure',
  meds: 'active medication orders', medsHistory: 'completed and stopped medication orders', pregnancy: 'pregnancy status',
  allergies: 'allergies', followUp: 'follow-up orders', encounter: 'encounter (inpatient or not)',
};

const valueText = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));

function thresholdRows(rule: RuleDeclaration, thresholds: Thresholds): string {
  return rule.thresholds.map((key) => {
    const doc = THRESHOLD_DOCS[key];
    const configured = thresholds[key];
    const byDefault = DEFAULT_THRESHOLDS[key];
    const changed = configured !== byDefault;
    return `<tr><td><code>${escapeHtml(key)}</code></td><td>${escapeHtml(doc?.meaning ?? '')}</td>` +
      `<td>${escapeHtml(valueText(configured))}${changed ? ' (site value)' : ''}</td><td>${escapeHtml(valueText(byDefault))}</td>` +
      `<td>${doc?.signOff ? '⚠ needs clinical sign-off' : ''}</td></tr>`;
  }).join('\n');
}

function ruleSection(rule: RuleDeclaration, thresholds: Thresholds): string {
  const citations = rule.citations.map((k) => CITATIONS[k]).map((c) => `<li><a href="${escapeHtml(c.url)}">${escapeHtml(c.label)}</a></li>`).join('');
  const reasons = (rule.overrideReasons ?? []).map((r) => escapeHtml(r.display)).join('; ');
  const notes = (rule.reviewNotes ?? []).map((n) => `<li>⚠ ${escapeHtml(n)}</li>`).join('');
  const background = (rule.background ?? []).map((b) => `<p>${escapeHtml(b)}</p>`).join('\n');
  return `<section id="${rule.id}">
<h2>${rule.id}: ${escapeHtml(rule.title)}</h2>
<p>${escapeHtml(rule.purpose)}</p>
${background}
<p><b>Runs on:</b> ${rule.hooks.join(', ')}. <b>Reads:</b> ${[...new Set([...rule.reads, ...Object.values(rule.readsOn ?? {}).flat()])].map((d) => escapeHtml(DATA_NAMES[d] ?? d)).join(', ')}.${rule.oncePerInterval ? ' <b>patient-view:</b> shown at most once per surveillance interval.' : ''}</p>
${rule.thresholds.length > 0 ? `<table><thead><tr><th>Threshold</th><th>Meaning</th><th>Configured</th><th>Default</th><th>Review</th></tr></thead><tbody>\n${thresholdRows(rule, thresholds)}\n</tbody></table>` : '<p>No configurable threshold.</p>'}
${citations ? `<p><b>Citations:</b></p><ul>${citations}</ul>` : ''}
${reasons ? `<p><b>Override reasons:</b> ${reasons}.</p>` : ''}
${notes ? `<p><b>Awaiting review:</b></p><ul>${notes}</ul>` : ''}
</section>`;
}

export function renderEvidencePage(rules: readonly RuleDeclaration[], thresholds: Thresholds): string {
  const toc = rules.map((r) => `<li><a href="#${r.id}">${r.id}</a> ${escapeHtml(r.title)}</li>`).join('\n');
  const citations = Object.values(CITATIONS)
    .map((c) => `<li id="${escapeHtml(c.key)}"><a href="${escapeHtml(c.url)}">${escapeHtml(c.label)}</a></li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>COP CDS evidence</title></head>
<body>
<h1>COP CDS: evidence and review</h1>
<p>Decision support for the initial treatment of cryptogenic organizing pneumonia. Every threshold is a
site-configurable default; those marked ⚠ are not derived from evidence and need local clinical sign-off
before use with patients. No randomised trials exist for COP treatment: the cited data are observational.</p>
<h2>Rules</h2>
<ul>
${toc}
</ul>
${rules.map((r) => ruleSection(r, thresholds)).join('\n')}
<h2 id="follow-up">Follow-up interval</h2>
<p>The 6-week review is a configurable default, not a guideline-derived interval.</p>
<h2 id="steroid-side-effects">Steroid side effects</h2>
<p>Steroid side effects (glucose intolerance, hypertension, osteoporosis, adrenal suppression) were reported in
25% of treated patients in <a href="#LAZOR-2000">Lazor 2000</a> and 53% in <a href="#RADZ-ERS-2016">Radzikowska
2016</a>. Glucose and blood pressure monitoring follow conventional diagnostic cut-offs (no COP-specific source);
bone protection follows the 2022 ACR guideline; the steroid emergency card follows the 2020 NHS National Patient
Safety Alert.</p>
<h2 id="pregnancy-safety">Pregnancy safety</h2>
<p>The severities for clarithromycin, mycophenolate, azathioprine and rituximab in pregnancy follow product
labelling and were not re-verified: ⚠ they need pharmacy sign-off.</p>
<h2>Citations</h2>
<ul>
${citations}
</ul>
</body></html>`;
}

export interface EvidenceRouteOptions extends FastifyPluginOptions {
  rules: readonly RuleDeclaration[];
  thresholds: Thresholds;
}

export async function evidenceRoutes(app: FastifyInstance, options: EvidenceRouteOptions): Promise<void> {
  const page = renderEvidencePage(options.rules, options.thresholds);
  app.get('/evidence/cop', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
}
