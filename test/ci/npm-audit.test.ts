/**
 * The CI audit gate (.ci/npm-audit.mjs) judged on saved `npm audit --json` reports: high/critical
 * advisories fail, a clean or low-only report passes, an audit endpoint that cannot answer (405 from
 * a registry without the bulk advisory endpoint, no network) only warns.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.ci/npm-audit.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'cop-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function judge(report: unknown): { status: number | null; out: string } {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report));
  const r = spawnSync(process.execPath, [SCRIPT, '--report', file], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

const counts = (c: Record<string, number>) => ({ info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...c, total: Object.values(c).reduce((a, b) => a + b, 0) });

describe('.ci/npm-audit.mjs', () => {
  it('fails on a high or critical advisory, naming it', () => {
    const res = judge({
      auditReportVersion: 2,
      vulnerabilities: { 'bad-lib': { name: 'bad-lib', severity: 'critical', range: '<1.2.3', via: [{ title: 'Prototype pollution', url: 'https://github.com/advisories/GHSA-x' }], fixAvailable: true } },
      metadata: { vulnerabilities: counts({ critical: 1 }) },
    });
    expect(res.status).toBe(1);
    expect(res.out).toMatch(/critical\s+bad-lib <1\.2\.3: Prototype pollution/);
  });

  it('passes a clean report and one with only low/moderate advisories', () => {
    expect(judge({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: counts({}) } }).status).toBe(0);
    const low = judge({ auditReportVersion: 2, vulnerabilities: { x: { severity: 'moderate', via: [] } }, metadata: { vulnerabilities: counts({ moderate: 1 }) } });
    expect(low.status).toBe(0);
    expect(low.out).toMatch(/no high or critical/);
  });

  it('only warns when the audit endpoint cannot answer (405, no network, no report)', () => {
    const methodNotAllowed = judge({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, method: 'POST', body: '' });
    expect(methodNotAllowed.status).toBe(0);
    expect(methodNotAllowed.out).toMatch(/::warning::npm audit could not be run.*405 Method Not Allowed/);
    expect(judge({ error: { code: 'ENOTFOUND', summary: 'request to https://registry.npmjs.org failed', detail: '' } }).status).toBe(0);
    expect(judge('npm error audit endpoint returned an error').status).toBe(0);
  });
});
