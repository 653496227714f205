/**
 * zod schemas for the parts of FHIR R4 resources the service reads. They check JSON types and
 * date formats of those elements only, so a resource
 * that is malformed where it matters is refused with a clear message instead of being half-read:
 * a dosage that is not an array must not silently become "no dose", it is the sender's error.
 */
import { z } from 'zod';
import { isExistingDay } from './dates.js';
import { SYSTEMS } from './systems.js';

// ---- primitives -----------------------------------------------------------------------------

/**
 * FHIR date / dateTime / instant: YYYY, YYYY-MM, YYYY-MM-DD, or with a time AND its zone: FHIR
 * requires an offset whenever a time is given, and without one the instant is unknown (decision 22).
 */
const FHIR_DATE_TIME = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d+)?)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;
const fhirDateTime = z
  .string()
  .regex(FHIR_DATE_TIME, {
    message: 'must be a FHIR date or dateTime (a time needs a time-zone offset, e.g. 2026-11-01T10:00:00-05:00)',
    abort: true,
  })
  // The pattern admits 2026-02-30 and 2026-04-31; Date would roll them over into the next month.
  // Runs only on strings that matched the pattern (abort above), so the fixed positions hold.
  .refine(dayExists, 'must be a date that exists (no 30 February)');
/** For a string already shaped YYYY[-MM[-DD]]…: does its day exist? (Slices, not another regex: hot path.) */
function dayExists(s: string): boolean {
  if (s.length < 10) return true; // YYYY or YYYY-MM: the pattern already bounds the month
  return isExistingDay(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10)));
}

const decimal = z.number().finite();
const str = z.string();

// ---- datatypes ------------------------------------------------------------------------------

const coding = z.object({ system: str.optional(), code: str.optional(), display: str.optional() });
const codeableConcept = z.object({ coding: z.array(coding).optional(), text: str.optional() });
const quantity = z.object({ value: decimal.optional(), unit: str.optional(), system: str.optional(), code: str.optional() });
const period = z.object({ start: fhirDateTime.optional(), end: fhirDateTime.optional() });
const range = z.object({ low: quantity.optional(), high: quantity.optional() });
const reference = z.object({ reference: str.optional(), display: str.optional() });

const timing = z.object({
  code: codeableConcept.optional(),
  repeat: z
    .looseObject({
      boundsDuration: quantity.optional(),
      boundsPeriod: period.optional(),
      boundsRange: range.optional(),
      frequency: z.number().int().optional(),
      frequencyMax: z.number().int().optional(),
      period: decimal.optional(),
      periodMax: decimal.optional(),
      periodUnit: str.optional(),
    })
    .optional(),
});

const dosage = z.object({
  sequence: z.number().int().optional(),
  text: str.optional(),
  timing: timing.optional(),
  asNeededBoolean: z.boolean().optional(),
  route: codeableConcept.optional(),
  doseAndRate: z
    .array(z.object({ type: codeableConcept.optional(), doseQuantity: quantity.optional(), doseRange: range.optional() }))
    .optional(),
});

const ratio = z.object({ numerator: quantity.optional(), denominator: quantity.optional() });

/** Medications (contained or external) are read for their code, form and ingredient strengths. */
const medication = z.object({
  resourceType: z.literal('Medication'),
  id: str.optional(),
  code: codeableConcept.optional(),
  form: codeableConcept.optional(),
  ingredient: z.array(z.object({ itemCodeableConcept: codeableConcept.optional(), strength: ratio.optional() })).optional(),
});

// ---- envelopes --------------------------------------------------------------------------------

/**
 * A FHIR id (R4 `id`): 1-64 of A-Z a-z 0-9 - . and not dots only: `.` and `..` placed in a URL
 * path would step off the resource (`Patient/..` is the server's base).
 */
export const FHIR_ID = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;
export const FHIR_ID_MESSAGE = 'must be a FHIR id (1-64 of A-Z a-z 0-9 - ., not dots only)';
export const fhirIdSchema = z.string().regex(FHIR_ID, FHIR_ID_MESSAGE);

/**
 * The name of a FHIR resource type: an upper-case letter, then letters. Shape, not a list: types
 * the service does not read are tolerated, but `constructor`, `__proto__` or `toString` never name
 * a type (nor, through a lookup, an `Object.prototype` member).
 */
export const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
export const resourceTypeSchema = z.string().regex(RESOURCE_TYPE, 'must be a FHIR resource type (e.g. Observation)');

/** What every resource must be before any code looks at it: an object with a type and, if any, a string id. */
const resourceEnvelope = z.object({ resourceType: resourceTypeSchema, id: fhirIdSchema.optional() });

const operationOutcomeEnvelope = z.object({
  resourceType: z.literal('OperationOutcome'),
  id: fhirIdSchema.optional(),
  issue: z.array(z.object({ severity: str.optional(), code: str.optional() })).optional(),
});

const bundleEnvelope = z.object({
  resourceType: z.literal('Bundle'),
  id: fhirIdSchema.optional(),
  type: str.optional(),
  total: z.number().int().nonnegative().optional(),
  link: z.array(z.object({ relation: str.optional(), url: str.optional() })).optional(),
  // Each entry's resource is checked on its own below (its envelope, and an OperationOutcome's issues);
  // here only that it is an object: an empty strict-shape check, which copies none of its elements.
  entry: z.array(z.object({ fullUrl: str.optional(), resource: z.object({}) })).optional(),
});

const issueLines = (issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix: string): string[] =>
  issues.map((i) => `${[prefix, ...i.path.map(String)].filter((p) => p.length > 0).join('.') || '(resource)'}: ${i.message}`);

const MAX_ENVELOPE_PROBLEMS = 20;

/** The envelope of one resource: type, id, and an OperationOutcome's issues. */
function resourceEnvelopeProblems(value: unknown, prefix: string): string[] {
  const parsed = resourceEnvelope.safeParse(value);
  if (!parsed.success) return issueLines(parsed.error.issues, prefix);
  if (parsed.data.resourceType !== 'OperationOutcome') return [];
  const outcome = operationOutcomeEnvelope.safeParse(value);
  return outcome.success ? [] : issueLines(outcome.error.issues, prefix);
}

/**
 * Problems with the envelope of a FHIR value (a resource, or a Bundle and each of its entries'
 * resources), as "path: message" lines; empty when code may walk it: `entry` and `link` are arrays
 * of objects, every entry has an object `resource` with a FHIR resource type and a string id, and
 * an OperationOutcome's `issue` is an array of objects. Checked before anything reads the value:
 * prefetch, draftOrders and every answer of a FHIR server. Stops after a few problems.
 */
export function envelopeProblems(value: unknown): string[] {
  const top = resourceEnvelopeProblems(value, '');
  if (top.length > 0 || (value as { resourceType?: unknown }).resourceType !== 'Bundle') return top;
  const bundle = bundleEnvelope.safeParse(value);
  if (!bundle.success) return issueLines(bundle.error.issues, '').slice(0, MAX_ENVELOPE_PROBLEMS);
  const problems: string[] = [];
  // The entries as sent (the parsed copy keeps no element of a resource), now known to be objects.
  const entries = (value as { entry?: { resource: unknown }[] }).entry ?? [];
  for (let i = 0; i < entries.length && problems.length < MAX_ENVELOPE_PROBLEMS; i++) {
    problems.push(...resourceEnvelopeProblems(entries[i]!.resource, `entry.${i}.resource`));
  }
  return problems.slice(0, MAX_ENVELOPE_PROBLEMS);
}

// ---- resources --------------------------------------------------------------------------------

const base = { resourceType: str, id: fhirIdSchema.optional() };

const observationValue = {
  valueQuantity: quantity.optional(),
  valueCodeableConcept: codeableConcept.optional(),
};

const resourceSchemaList = {
  Medication: medication,
  Patient: z.object({ ...base, birthDate: fhirDateTime.optional(), gender: str.optional() }),
  Encounter: z.object({ ...base, class: coding.optional() }),
  Observation: z.object({
    ...base,
    status: str.optional(),
    code: codeableConcept.optional(),
    effectiveDateTime: fhirDateTime.optional(),
    effectivePeriod: period.optional(),
    effectiveInstant: fhirDateTime.optional(),
    issued: fhirDateTime.optional(),
    ...observationValue,
    interpretation: z.array(codeableConcept).optional(),
    referenceRange: z.array(z.object({ low: quantity.optional(), high: quantity.optional() })).optional(),
    component: z.array(z.object({ code: codeableConcept.optional(), ...observationValue })).optional(),
  }),
  Condition: z.object({
    ...base,
    clinicalStatus: codeableConcept.optional(),
    verificationStatus: codeableConcept.optional(),
    code: codeableConcept.optional(),
    onsetDateTime: fhirDateTime.optional(),
    onsetPeriod: period.optional(),
    recordedDate: fhirDateTime.optional(),
  }),
  MedicationRequest: z.object({
    ...base,
    status: str.optional(),
    intent: str.optional(),
    medicationCodeableConcept: codeableConcept.optional(),
    medicationReference: reference.optional(),
    contained: z.array(z.object({ resourceType: str })).optional(),
    authoredOn: fhirDateTime.optional(),
    dosageInstruction: z.array(dosage).optional(),
    priorPrescription: reference.optional(),
  }),
  MedicationStatement: z.object({
    ...base,
    status: str.optional(),
    medicationCodeableConcept: codeableConcept.optional(),
    medicationReference: reference.optional(),
    effectiveDateTime: fhirDateTime.optional(),
    effectivePeriod: period.optional(),
    dosage: z.array(dosage).optional(),
  }),
  AllergyIntolerance: z.object({
    ...base,
    clinicalStatus: codeableConcept.optional(),
    verificationStatus: codeableConcept.optional(),
    code: codeableConcept.optional(),
    reaction: z.array(z.object({ substance: codeableConcept.optional() })).optional(),
  }),
  ServiceRequest: z.object({
    ...base,
    status: str.optional(),
    code: codeableConcept.optional(),
    occurrenceDateTime: fhirDateTime.optional(),
    occurrencePeriod: period.optional(),
    authoredOn: fhirDateTime.optional(),
  }),
} as const;

/** What says whether an Observation is read at all: its type, id and code. */
const observationHead = z.object({ ...base, code: codeableConcept.optional() });

/**
 * Could a reader look at this Observation? Yes when one of its codings is a read LOINC code, and
 * yes (so that the full check runs and names the problem) when `code.coding` is not a plain list of
 * objects. Guarded property reads only: nothing here trusts the shape.
 */
function mayBeRead(resource: object, codes: ReadonlySet<string>): boolean {
  const code = (resource as { code?: unknown }).code;
  if (code === undefined) return false;
  if (typeof code !== 'object' || code === null) return true;
  const coding = (code as { coding?: unknown }).coding;
  if (coding === undefined) return false;
  if (!Array.isArray(coding)) return true;
  for (const c of coding as unknown[]) {
    if (typeof c !== 'object' || c === null) return true;
    const { system, code: value } = c as { system?: unknown; code?: unknown };
    if (system === SYSTEMS.loinc && typeof value === 'string' && codes.has(value)) return true;
  }
  return false;
}

/** What the service reads, so that the rest need not be checked. */
export interface ReadScope {
  /**
   * The LOINC codes the service reads Observations by: an Observation with none of them (by
   * `code.coding`) is never read, so only its envelope and code are checked. Absent: all checked.
   */
  observationLoincCodes?: ReadonlySet<string>;
}

/**
 * The per-type schemas, looked up in a Map: a type read from the wire (`constructor`, `__proto__`)
 * can never find an `Object.prototype` member.
 */
export const resourceSchemas: ReadonlyMap<string, z.ZodType> = new Map(Object.entries(resourceSchemaList));

/**
 * Problems with the elements the service reads, as "path: message" lines; empty when the
 * resource is usable. Resource types the service does not read are not checked.
 */
/*
 * The schemas are plain (stripping) objects on purpose: they are used to *check*, never to produce
 * the resource the service reads, so unknown elements are simply not looked at (tolerated, as FHIR
 * and CDS Hooks require), and zod does not spend time copying them into an output nobody uses.
 */
export function resourceProblems(resource: { resourceType: string }, scope: ReadScope = {}): string[] {
  const schema = resourceSchemas.get(resource.resourceType);
  if (!schema) return [];
  if (resource.resourceType === 'Observation' && scope.observationLoincCodes && !mayBeRead(resource, scope.observationLoincCodes)) {
    // An Observation no reader will look at is checked only up to its code (a long chart is mostly
    // such observations): a type, id or code that cannot be read is a problem whatever it is.
    const head = observationHead.safeParse(resource);
    return head.success ? [] : head.error.issues.map((i) => `${i.path.map(String).join('.') || '(resource)'}: ${i.message}`);
  }
  const problems: string[] = [];
  const parsed = schema.safeParse(resource);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(resource)'}: ${i.message}`));
  const contained = (resource as { contained?: unknown }).contained;
  if (Array.isArray(contained)) {
    contained.forEach((c, i) => {
      if ((c as { resourceType?: unknown })?.resourceType !== 'Medication') return;
      const result = medication.safeParse(c);
      if (!result.success) problems.push(...result.error.issues.map((issue) => `contained.${i}.${issue.path.map(String).join('.')}: ${issue.message}`));
    });
  }
  return problems;
}
