/**
 * Builders for the non-medication resources that suggestions create: ServiceRequests (tests,
 * reviews) and Tasks (measure, counsel). Full FHIR R4 resources, no empty fields.
 */
import type { CodeableConcept, ServiceRequest, Task } from 'fhir/r4.js';
import { SYSTEMS } from '../fhir/systems.js';

export const LOINC = SYSTEMS.loinc;

export interface ServiceRequestSpec {
  patientId: string;
  /** A LOINC (or other) coding; omit when only a local code exists and give `text`. */
  coding?: { system: string; code: string; display: string };
  text: string;
  /** ISO date (YYYY-MM-DD) for `occurrenceDateTime`, when the request is for a future date. */
  occurrence?: string;
  category?: 'laboratory' | 'imaging' | 'procedure' | 'review';
  note?: string;
}

export function buildServiceRequest(spec: ServiceRequestSpec): ServiceRequest {
  const code: CodeableConcept = { text: spec.text };
  if (spec.coding) code.coding = [spec.coding];
  const resource: ServiceRequest = {
    resourceType: 'ServiceRequest',
    status: 'draft',
    intent: 'order',
    code,
    subject: { reference: `Patient/${spec.patientId}` },
  };
  if (spec.occurrence) resource.occurrenceDateTime = spec.occurrence;
  if (spec.note) resource.note = [{ text: spec.note }];
  return resource;
}

export interface TaskSpec {
  patientId: string;
  /** What to do, e.g. "Measure body weight". */
  description: string;
  /** `code.text`, e.g. "Body weight (LOINC 29463-7)". */
  codeText?: string;
  coding?: { system: string; code: string; display: string };
}

export function buildTask(spec: TaskSpec): Task {
  const task: Task = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    description: spec.description,
    for: { reference: `Patient/${spec.patientId}` },
  };
  if (spec.codeText || spec.coding) {
    const code: CodeableConcept = {};
    if (spec.coding) code.coding = [spec.coding];
    if (spec.codeText) code.text = spec.codeText;
    task.code = code;
  }
  return task;
}

/** Today + n days as YYYY-MM-DD: `now` is the site clock (fhir/dates.ts siteClock), so its UTC date is the site's today. */
export function addDays(now: Date, days: number): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days));
  return d.toISOString().slice(0, 10);
}
