/**
 * GET /evidence/cop: the page every card's `source.url` points to. It lists the citations the
 * rules use, so a clinician following the source link lands on the evidence, not on a 404.
 */
import type { FastifyInstance } from 'fastify';
import { CITATIONS, RULE_IDS, RULE_TITLES } from './cop/knowledge.js';

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function renderEvidencePage(): string {
  const citations = Object.values(CITATIONS)
    .map((c) => `<li id="${escapeHtml(c.key)}"><a href="${escapeHtml(c.url)}">${escapeHtml(c.label)}</a></li>`)
    .join('\n');
  const rules = RULE_IDS.map((id) => `<li><code>${id}</code> ${escapeHtml(RULE_TITLES[id])}</li>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>COP CDS evidence</title></head>
<body>
<h1>COP CDS: evidence</h1>
<p>Decision support for the initial treatment of cryptogenic organizing pneumonia. Thresholds are configurable
defaults; those not derived from evidence need local clinical sign-off. No randomised trials exist for COP
treatment: the cited data are observational.</p>
<h2 id="follow-up">Follow-up interval</h2>
<p>The 6-week review is a configurable default, not a guideline-derived interval.</p>
<h2 id="steroid-side-effects">Steroid side effects</h2>
<p>Glucose and blood pressure monitoring follow conventional diagnostic cut-offs; bone protection follows the
2022 ACR guideline; the steroid emergency card follows the 2020 NHS National Patient Safety Alert.</p>
<h2>Citations</h2>
<ul>
${citations}
</ul>
<h2>Rules</h2>
<ul>
${rules}
</ul>
</body></html>`;
}

export async function evidenceRoutes(app: FastifyInstance): Promise<void> {
  const page = renderEvidencePage();
  app.get('/evidence/cop', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
}
