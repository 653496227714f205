/**
 * What a file in hooks/ declares: one CDS service the EHR can call. Declaration only: the id,
 * the hook, the words shown in discovery, the prefetch templates and which rules run.
 */
import { z } from 'zod';
import type { DataDomain } from '../cop/facts-types.js';
import { RULE_IDS, type RuleId } from '../cop/knowledge.js';
import { USER_TOKENS } from './prefetch-tokens.js';
import { SUPPORTED_HOOKS, type SupportedHook } from './wire.js';

export interface PrefetchTemplate {
  /** Relative FHIR read/search URL with `{{context.x}}` tokens (root-level primitive fields only). */
  template: string;
  /** When the data can be got neither from prefetch nor from the FHIR server: 412 if required. */
  required: boolean;
}

export interface CdsServiceDefinition {
  id: string;
  hook: SupportedHook;
  title: string;
  description: string;
  usageRequirements?: string;
  /** Keyed by data domain: the prefetch key the EHR answers under is the domain name. */
  prefetch: Partial<Record<DataDomain, PrefetchTemplate>>;
  /** Rules evaluated on this hook, in card order. */
  rules: RuleId[];
}

/** Tokens a template may use (CDS Hooks 2.0 §Prefetch tokens). `selections`/`draftOrders` are not tokens. */
const TOKEN_CONTEXT_FIELDS = new Set(['userId', 'patientId', 'encounterId']);

export function templateTokens(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)].map((m) => m[1] ?? '');
}

const isValidToken = (token: string): boolean =>
  USER_TOKENS.has(token) || (token.startsWith('context.') && TOKEN_CONTEXT_FIELDS.has(token.slice('context.'.length)));

export const serviceDefinitionSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'id must be URL-path-safe ([A-Za-z0-9._-])'),
  hook: z.enum(SUPPORTED_HOOKS as [SupportedHook, ...SupportedHook[]]),
  title: z.string().min(1),
  description: z.string().min(1),
  usageRequirements: z.string().min(1).optional(),
  prefetch: z.record(
    z.string(),
    z.object({
      template: z
        .string()
        .min(1)
        .refine((t) => !t.startsWith('/') && !/^https?:/i.test(t), 'template must be a relative FHIR URL')
        .refine((t) => templateTokens(t).every(isValidToken), 'template uses a token that is not a root-level context field'),
      required: z.boolean(),
    }),
  ),
  rules: z.array(z.enum(RULE_IDS)).min(1),
});
