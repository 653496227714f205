/**
 * Discovers the CDS services: every module in hooks/ whose default export is a service
 * definition. Adding a service is adding a file. Definitions are validated at start-up, so a bad
 * template or an unknown rule id stops the service before it takes traffic.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RuleId } from '../cop/knowledge.js';
import type { Rule } from '../cop/rule-types.js';
import { serviceDefinitionSchema, type CdsServiceDefinition } from './service-definition.js';

/** hooks/ sits two levels above this file both in the source tree and in dist/. */
export const DEFAULT_HOOKS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../hooks');

export interface RegisteredService {
  definition: CdsServiceDefinition;
  rules: Rule[];
}

const isModuleFile = (name: string): boolean =>
  /\.(ts|js|mjs)$/.test(name) && !/\.d\.ts$/.test(name) && !/\.test\.(ts|js)$/.test(name);

export async function loadServiceDefinitions(dir = DEFAULT_HOOKS_DIR): Promise<CdsServiceDefinition[]> {
  const files = (await readdir(dir)).filter(isModuleFile).sort();
  const definitions: CdsServiceDefinition[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: unknown };
    if (mod.default === undefined) continue; // helper modules (shared templates) export no default
    const parsed = serviceDefinitionSchema.safeParse(mod.default);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`hooks/${file}: invalid CDS service definition: ${problems}`);
    }
    definitions.push(mod.default as CdsServiceDefinition);
  }
  const ids = definitions.map((d) => d.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`hooks/: two services share the id "${duplicate}"`);
  return definitions;
}

export function bindRules(
  definitions: CdsServiceDefinition[],
  registry: Partial<Record<RuleId, Rule>>,
): Map<string, RegisteredService> {
  const services = new Map<string, RegisteredService>();
  for (const definition of definitions) {
    const rules = definition.rules.map((id) => {
      const rule = registry[id];
      if (!rule) throw new Error(`service ${definition.id}: rule ${id} is not implemented`);
      return rule;
    });
    services.set(definition.id, { definition, rules });
  }
  return services;
}
