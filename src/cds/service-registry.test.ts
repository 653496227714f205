import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Rule } from '../cop/rule-types.js';
import { bindRules, loadServiceDefinitions } from './service-registry.js';

async function hooksDirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hooks-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

const definition = (overrides: Record<string, unknown> = {}) =>
  `export default ${JSON.stringify({
    id: 'svc', hook: 'patient-view', title: 'T', description: 'D',
    prefetch: { patient: { template: 'Patient/{{context.patientId}}', required: true } },
    rules: ['COP-R03'],
    ...overrides,
  })};`;

describe('loadServiceDefinitions', () => {
  it('finds the three COP services in hooks/ and skips modules without a default export', async () => {
    const defs = await loadServiceDefinitions();
    expect(defs.map((d) => [d.id, d.hook])).toEqual([
      ['cop-order-select', 'order-select'],
      ['cop-order-sign', 'order-sign'],
      ['cop-patient-view', 'patient-view'],
    ]);
  });

  it('adds a service when a file is added', async () => {
    const dir = await hooksDirWith({ 'a.mjs': definition(), 'b.mjs': definition({ id: 'svc-2' }), 'shared.mjs': 'export const x = 1;' });
    expect((await loadServiceDefinitions(dir)).map((d) => d.id)).toEqual(['svc', 'svc-2']);
  });

  it('refuses a template with a nested or non-token field', async () => {
    const dir = await hooksDirWith({ 'a.mjs': definition({ prefetch: { meds: { template: 'X?o={{context.draftOrders.id}}', required: false } } }) });
    await expect(loadServiceDefinitions(dir)).rejects.toThrow(/a\.mjs.*token/);
  });

  it('refuses an unsafe id, an unknown hook and duplicate ids', async () => {
    await expect(loadServiceDefinitions(await hooksDirWith({ 'a.mjs': definition({ id: 'a b' }) }))).rejects.toThrow(/URL-path-safe/);
    await expect(loadServiceDefinitions(await hooksDirWith({ 'a.mjs': definition({ hook: 'order-dispatch' }) }))).rejects.toThrow(/hook/);
    await expect(loadServiceDefinitions(await hooksDirWith({ 'a.mjs': definition(), 'b.mjs': definition() }))).rejects.toThrow(/share the id/);
  });
});

describe('bindRules', () => {
  it('refuses to start when a service names a rule that is not implemented', async () => {
    const defs = await loadServiceDefinitions(await hooksDirWith({ 'a.mjs': definition() }));
    expect(() => bindRules(defs, {})).toThrow(/COP-R03 is not implemented/);
    const r03: Rule = { id: 'COP-R03', title: 't', purpose: 'p', hooks: ['patient-view'], reads: [], thresholds: [], citations: [], evaluate: () => undefined };
    expect(bindRules(defs, { 'COP-R03': r03 }).get('svc')?.rules).toEqual([r03]);
  });
});
