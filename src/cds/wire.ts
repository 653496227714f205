/**
 * The CDS Hooks 2.0 wire format: zod schemas for what arrives (types flow from them), and
 * TypeScript types for what the service sends (the card types live in src/cop/card-types.ts and
 * are re-exported here). Inbound objects are loose (`extension` and future fields may appear
 * anywhere); outbound objects never carry null or empty values.
 */
import { z } from 'zod';
import type { Bundle } from 'fhir/r4.js';
import type { Card } from '../cop/card-types.js';
import { FHIR_ID, FHIR_ID_MESSAGE, RESOURCE_TYPE } from '../fhir/schemas.js';

/** A FHIR id: 1–64 of [A-Za-z0-9-.] (FHIR R4 `id`). */
const fhirId = z.string().regex(FHIR_ID, FHIR_ID_MESSAGE);
/** `ResourceType/id`, e.g. `Practitioner/abc` or `MedicationRequest/103`. */
const relativeReference = z
  .string()
  .regex(/^[A-Z][A-Za-z]+\/(?!\.+$)[A-Za-z0-9\-.]{1,64}$/, 'must be a relative reference ResourceType/id (id not dots only)');

/** No control characters (they break stores and log lines) and a bounded length. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const safeString = (max: number) => z.string().max(max).refine((s) => !CONTROL.test(s), 'must not contain control characters');

export const fhirResourceSchema = z.looseObject({
  resourceType: z.string().regex(RESOURCE_TYPE, 'must be a FHIR resource type (e.g. MedicationRequest)'),
  id: fhirId.optional(),
});

export const bundleSchema = z.looseObject({
  resourceType: z.literal('Bundle'),
  // The published hook examples leave out Bundle.type (cds-hooks/docs#659): do not require it.
  type: z.string().optional(),
  entry: z
    .array(z.looseObject({ fullUrl: z.string().optional(), resource: fhirResourceSchema.optional() }))
    .optional(),
});

export const fhirAuthorizationSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().min(1),
  expires_in: z.number().int().nonnegative(),
  scope: z.string().min(1),
  subject: z.string().min(1),
  // SHOULD, not MUST (cds-hooks/docs PR #601): never required.
  patient: z.string().optional(),
});

const baseContext = {
  userId: relativeReference,
  patientId: fhirId,
  encounterId: fhirId.optional(),
};

export const contextSchemas = {
  'patient-view': z.looseObject(baseContext),
  'order-select': z.looseObject({
    ...baseContext,
    selections: z.array(relativeReference).min(1),
    draftOrders: bundleSchema,
  }),
  'order-sign': z.looseObject({ ...baseContext, draftOrders: bundleSchema }),
} as const;

export type SupportedHook = keyof typeof contextSchemas;
export const SUPPORTED_HOOKS = Object.keys(contextSchemas) as SupportedHook[];

export const hookRequestSchema = z
  .looseObject({
    hook: z.string().min(1),
    hookInstance: safeString(256).pipe(z.string().min(1)),
    fhirServer: z.url().optional(),
    fhirAuthorization: fhirAuthorizationSchema.optional(),
    context: z.looseObject({}),
    // Values are classified key by key in prefetch.ts (resource, Bundle, OperationOutcome, null).
    prefetch: z.record(z.string(), z.unknown()).optional(),
    extension: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((r) => r.fhirAuthorization === undefined || r.fhirServer !== undefined, {
    message: 'fhirServer is required when fhirAuthorization is present',
    path: ['fhirServer'],
  });

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
// them; no zod schema describes what the service sends, so there is nothing to keep in step here.
export type { Action, Card, Coding, Link, Suggestion } from '../cop/card-types.js';

export interface CdsResponse {
  cards: Card[];
}

export interface DiscoveryService {
  hook: string;
  id: string;
  title?: string;
  description: string;
  prefetch?: Record<string, string>;
  usageRequirements?: string;
}

export const feedbackSchema = z.looseObject({
  feedback: z
    .array(
      z
        .looseObject({
          card: safeString(256).pipe(z.string().min(1)),
          outcome: z.enum(['accepted', 'overridden']),
          acceptedSuggestions: z.array(z.looseObject({ id: safeString(256).pipe(z.string().min(1)) })).optional(),
          overrideReason: z
            .looseObject({
              reason: z.looseObject({ system: safeString(1024).optional(), code: safeString(256).pipe(z.string().min(1)), display: safeString(1024).optional() }).optional(),
              // Free text: tab and line breaks allowed.
              userComment: z.string().max(4000).refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'must not contain control characters').optional(),
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
});
export type FeedbackRequest = z.infer<typeof feedbackSchema>;
