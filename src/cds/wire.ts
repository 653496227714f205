/**
 * The CDS Hooks 2.0 wire format: zod schemas for what arrives (types flow from them), and
 * TypeScript types for what the service sends (the card types live in src/cop/card-types.ts and
 * are re-exported here), with zod schemas that describe them for the OpenAPI document. Inbound
 * objects are loose (`extension` and future fields may appear anywhere); outbound objects never
 * carry null or empty values.
 */
import { z } from 'zod';
import type { Bundle, Resource } from 'fhir/r4.js';
import type { Card } from '../cop/card-types.js';
import { FHIR_ID, FHIR_ID_MESSAGE, RESOURCE_TYPE } from '../fhir/schemas.js';

/**
 * The named wire shapes: src/openapi.ts makes its components from this registry (z.toJSONSchema),
 * one per id, so the document describes exactly what these schemas check.
 */
export const wireSchemas = z.registry<{ id: string; description?: string }>();

/** A FHIR id: 1–64 of [A-Za-z0-9-.] (FHIR R4 `id`). */
const fhirId = z.string().regex(FHIR_ID, FHIR_ID_MESSAGE);
/** `ResourceType/id`, e.g. `Practitioner/abc` or `MedicationRequest/103`. */
const relativeReference = z
  .string()
  .regex(/^[A-Z][A-Za-z]+\/(?!\.+$)[A-Za-z0-9\-.]{1,64}$/, 'must be a relative reference ResourceType/id (id not dots only)');

/** No control characters (they break stores and log lines) and a bounded length. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const safeString = (max: number) => z.string().max(max).refine((s) => !CONTROL.test(s), 'must not contain control characters');
/** A safe string of at least one character (min after the other checks: the same issues as checking in two steps). */
const nonEmptySafeString = (max: number) => safeString(max).min(1);

export const fhirResourceSchema = z
  .looseObject({
    resourceType: z.string().regex(RESOURCE_TYPE, 'must be a FHIR resource type (e.g. MedicationRequest)'),
    id: fhirId.optional(),
  })
  .register(wireSchemas, { id: 'FhirResource', description: 'Any FHIR R4 resource, as sent (all elements kept)' });

export const bundleSchema = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    // The published hook examples leave out Bundle.type (cds-hooks/docs#659): do not require it.
    type: z.string().optional(),
    entry: z
      .array(z.looseObject({ fullUrl: z.string().optional(), resource: fhirResourceSchema.optional() }))
      .optional(),
  })
  .register(wireSchemas, { id: 'Bundle', description: 'A FHIR R4 Bundle (its entries as sent)' });

export const fhirAuthorizationSchema = z
  .looseObject({
    access_token: z.string().min(1),
    token_type: z.string().min(1),
    expires_in: z.number().int().nonnegative(),
    scope: z.string().min(1),
    subject: z.string().min(1),
    // SHOULD, not MUST (cds-hooks/docs PR #601): never required.
    patient: z.string().optional(),
  })
  .register(wireSchemas, { id: 'FhirAuthorization' });

const baseContext = {
  userId: relativeReference.meta({ description: 'ResourceType/id' }),
  patientId: fhirId,
  encounterId: fhirId.optional(),
};

export const contextSchemas = {
  'patient-view': z.looseObject(baseContext).register(wireSchemas, { id: 'PatientViewContext', description: 'The context of patient-view' }),
  'order-select': z
    .looseObject({
      ...baseContext,
      selections: z.array(relativeReference).min(1).meta({ description: 'ResourceType/id of entries in draftOrders' }),
      draftOrders: bundleSchema.meta({ description: 'A Bundle of draft orders' }),
    })
    .register(wireSchemas, { id: 'OrderSelectContext', description: 'The context of order-select' }),
  'order-sign': z
    .looseObject({
      ...baseContext,
      draftOrders: bundleSchema.meta({ description: 'A Bundle of draft orders' }),
      // Not part of order-sign, but EHRs that reuse their order-select payload send it: read as a
      // list of references when present, refused when it is anything else.
      selections: z.array(relativeReference).optional().meta({ description: 'Optional here: ResourceType/id of entries in draftOrders' }),
    })
    .register(wireSchemas, { id: 'OrderSignContext', description: 'The context of order-sign' }),
} as const;

export type SupportedHook = keyof typeof contextSchemas;
export const SUPPORTED_HOOKS = Object.keys(contextSchemas) as SupportedHook[];

export const hookRequestSchema = z
  .looseObject({
    hook: z.string().min(1).meta({ description: `The hook of the service called: ${SUPPORTED_HOOKS.join(', ')}` }),
    hookInstance: nonEmptySafeString(256),
    fhirServer: z.url().optional().meta({ description: 'Must be in CDS_FHIR_ALLOWLIST (or CDS_FHIR_ALLOW_HTTP); required with fhirAuthorization' }),
    fhirAuthorization: fhirAuthorizationSchema.optional(),
    // Checked against the hook's context schema once the service is known (request-checks.ts).
    context: z.looseObject({}).meta({ description: "The hook's context (PatientViewContext, OrderSelectContext or OrderSignContext)" }),
    // Values are classified key by key in prefetch.ts (resource, Bundle, OperationOutcome, null).
    prefetch: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Prefetch keys from discovery: a resource, a Bundle, an OperationOutcome or null' }),
    extension: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((r) => r.fhirAuthorization === undefined || r.fhirServer !== undefined, {
    message: 'fhirServer is required when fhirAuthorization is present',
    path: ['fhirServer'],
  })
  .register(wireSchemas, { id: 'HookRequest', description: 'CDS Hooks 2.0 request' });

export type HookRequest = z.infer<typeof hookRequestSchema>;
export type HookContext = {
  userId: string;
  patientId: string;
  encounterId?: string;
  selections?: string[];
  draftOrders?: Bundle;
  [key: string]: unknown;
};

// ---- Outbound -----------------------------------------------------------------------------

// The card types are plain TypeScript in src/cop/card-types.ts, where the domain's renderer can use
// them. The schemas below describe the same shapes for the OpenAPI document and check nothing the
// service sends; wire.test.ts fails the type check when a type and its schema part.
export type { Action, Card, Coding, Link, Suggestion } from '../cop/card-types.js';

/** The spec's "<140-character" card summary: fewer than 140 characters. */
export const CARD_SUMMARY_MAX = 139;

/** A FHIR resource in a card's action: built by the service, any type (typed as FHIR's Resource). */
const sentResource = fhirResourceSchema as unknown as z.ZodType<Resource>;

export const codingSchema = z
  .object({ system: z.string(), code: z.string(), display: z.string().optional() })
  .register(wireSchemas, { id: 'Coding' });

export const actionSchema = z
  .union([
    z.object({ type: z.enum(['create', 'update']), description: z.string(), resource: sentResource }),
    z.object({ type: z.literal('delete'), description: z.string(), resourceId: z.string().meta({ description: 'ResourceType/id' }) }),
  ])
  .register(wireSchemas, { id: 'Action' });

export const suggestionSchema = z
  .object({ label: z.string(), uuid: z.string(), isRecommended: z.boolean().optional(), actions: z.array(actionSchema) })
  .register(wireSchemas, { id: 'Suggestion' });

export const linkSchema = z
  .object({ label: z.string(), url: z.string(), type: z.enum(['absolute', 'smart']), appContext: z.string().optional() })
  .register(wireSchemas, { id: 'Link' });

export const cardSchema = z
  .object({
    uuid: z.string(),
    summary: z.string().max(CARD_SUMMARY_MAX),
    detail: z.string().optional().meta({ description: 'GitHub-flavoured Markdown' }),
    indicator: z.enum(['info', 'warning', 'critical']),
    source: z
      .object({ label: z.string(), url: z.string().optional(), topic: codingSchema.optional() })
      .meta({ description: 'topic.code is the rule id (COP-Rnn)' }),
    suggestions: z.array(suggestionSchema).optional(),
    selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
    overrideReasons: z.array(codingSchema).optional(),
    links: z.array(linkSchema).optional(),
    extension: z.record(z.string(), z.unknown()).optional().meta({ description: 'Machine-readable data behind the card' }),
  })
  .register(wireSchemas, { id: 'Card' });

export const cdsResponseSchema = z.object({ cards: z.array(cardSchema) }).register(wireSchemas, { id: 'CdsResponse' });

export interface CdsResponse {
  cards: Card[];
}

export const discoveryServiceSchema = z
  .object({
    hook: z.string(),
    id: z.string(),
    title: z.string().optional(),
    description: z.string(),
    prefetch: z.record(z.string(), z.string()).optional().meta({ description: 'Prefetch key → FHIR query template' }),
    usageRequirements: z.string().optional(),
  })
  .register(wireSchemas, { id: 'DiscoveryService' });

export type DiscoveryService = z.infer<typeof discoveryServiceSchema>;

export const discoverySchema = z.object({ services: z.array(discoveryServiceSchema) }).register(wireSchemas, { id: 'Discovery' });

export const feedbackSchema = z
  .looseObject({
    feedback: z
      .array(
        z
          .looseObject({
            card: nonEmptySafeString(256).meta({ description: 'uuid of the card' }),
            outcome: z.enum(['accepted', 'overridden']),
            acceptedSuggestions: z
              .array(z.looseObject({ id: nonEmptySafeString(256) }))
              .optional()
              .meta({ description: 'Required when outcome is accepted' }),
            overrideReason: z
              .looseObject({
                reason: z.looseObject({ system: safeString(1024).optional(), code: nonEmptySafeString(256), display: safeString(1024).optional() }).optional(),
                // Free text: tab and line breaks allowed.
                userComment: z
                  .string()
                  .max(4000)
                  .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'must not contain control characters')
                  .optional()
                  .meta({ description: 'Not stored' }),
              })
              .optional(),
            outcomeTimestamp: z.iso.datetime({ offset: true }),
          })
          .refine((f) => f.outcome !== 'accepted' || (f.acceptedSuggestions?.length ?? 0) > 0, {
            message: 'acceptedSuggestions is required when outcome is accepted',
            path: ['acceptedSuggestions'],
          }),
      )
      .min(1),
  })
  .register(wireSchemas, { id: 'FeedbackRequest' });
export type FeedbackRequest = z.infer<typeof feedbackSchema>;
