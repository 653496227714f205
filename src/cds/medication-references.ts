/**
 * External Medication references (a medication is identified whichever US Core form names it;
 * US Core MedicationRequest: a client
 * "SHALL support all methods" of naming the drug). An order may name its drug by
 * `medicationReference` to `Medication/{id}`. That Medication is taken, in this order:
 *
 *   1. from the resources of the request: any prefetch key, or `draftOrders` (by `Medication/{id}`,
 *      or by an entry's `fullUrl`, which is how a transaction-style Bundle links `urn:uuid:` refs);
 *   2. else read from `fhirServer` (`GET Medication/{id}`) through the same FHIR fallback as missing
 *      prefetch keys: the request's token, the allow-list, the per-call timeout and the hook call's
 *      deadline; each Medication is read once per call, all reads run in parallel with each other
 *      and with the prefetch fetches still under way;
 *   3. else it is unresolved, with a reason; the domain then falls back to the reference's
 *      `display`, or calls the order unidentified.
 *
 * An absolute reference is followed only when it lies under `fhirServer`: a reference to another
 * server is never called (SSRF; the operator allowed one server, not whatever a resource names).
 */
import type { Bundle, Medication, MedicationRequest, MedicationStatement, Resource } from 'fhir/r4.js';
import { resourceProblems } from '../fhir/schemas.js';
import { pathUnderBase } from './fhir-allowlist.js';
import type { FhirFetchResult } from './fhir-fallback.js';

/** More distinct Medications than this in one call are not read (bounded work per call). */
export const MAX_MEDICATION_READS = 100;

/**
 * `Medication/{id}` with an optional version (`/_history/{vid}`), as FHIR ids are written; an id of
 * dots only (`..`) would walk up the server's path instead of naming a Medication.
 */
const RELATIVE_MEDICATION = /^Medication\/(?!\.+(?:\/|$))([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export interface MedicationReferenceResult {
  /** Medications by the reference exactly as the orders wrote it. */
  medications: Map<string, Medication>;
  /** References that could not be resolved, with the reason in words a card may show. */
  unresolved: Map<string, string>;
  /** Counts for the log line of the call (no ids: they may identify a patient's drug list). */
  counts: { inRequest: number; read: number; unresolved: number };
}

export interface MedicationResolver {
  /** Resources that arrived with the request or a fetch (Medications among them are indexed). */
  addResources(resources: readonly Resource[], fullUrls?: readonly (string | undefined)[]): void;
  /** Orders whose external references should be resolved; unknown ones are read right away. */
  resolveOrdersOf(resources: readonly Resource[]): void;
  /** Waits for every read started and returns what was found. */
  settle(): Promise<MedicationReferenceResult>;
}

export interface ResolverOptions {
  fhirServer?: string;
  /** GET `relativeUrl` below `fhirServer` (the FHIR fallback, with the call's token and deadline). */
  read(relativeUrl: string): Promise<FhirFetchResult>;
}

type ReadOutcome = { ok: true; medication: Medication } | { ok: false; reason: string };

const isOrder = (r: Resource): r is MedicationRequest | MedicationStatement =>
  r.resourceType === 'MedicationRequest' || r.resourceType === 'MedicationStatement';

/** `Medication/{id}` (relative to `fhirServer`) for a reference, or why it will not be read. */
function relativeMedicationPath(reference: string, fhirServer: string | undefined): { path: string } | { reason: string } {
  const relative = RELATIVE_MEDICATION.exec(reference);
  if (relative) return { path: `Medication/${relative[1]}` };
  if (/^[a-z][a-z0-9+.-]*:/i.test(reference)) {
    const below = fhirServer ? pathUnderBase(reference, fhirServer) : undefined;
    const match = below !== undefined ? RELATIVE_MEDICATION.exec(below) : null;
    if (match) return { path: `Medication/${match[1]}` };
    return { reason: 'the medication it refers to is on another server, which this service does not call' };
  }
  return { reason: 'its medication reference is not a Medication' };
}

function readOutcome(result: FhirFetchResult, id: string): ReadOutcome {
  if (result.status === 'unavailable') return { ok: false, reason: "its medication could not be read from the EHR's FHIR server" };
  const resource = result.resource;
  if (resource === null) return { ok: false, reason: "its medication was not found on the EHR's FHIR server" };
  if (resource.resourceType !== 'Medication' || (resource.id !== undefined && resource.id !== id)) {
    return { ok: false, reason: "the EHR's FHIR server answered with something other than that medication" };
  }
  if (resourceProblems(resource).length > 0) return { ok: false, reason: "the medication the EHR's FHIR server returned is malformed" };
  return { ok: true, medication: resource as Medication };
}

export function createMedicationResolver(options: ResolverOptions): MedicationResolver {
  /** Known Medications by `Medication/{id}` and by Bundle `fullUrl`. */
  const known = new Map<string, Medication>();
  /** Reads in flight or done, by relative path: one GET per Medication per call. */
  const reads = new Map<string, Promise<ReadOutcome>>();
  /** Every external reference an order used, in order of first sight. */
  const references = new Set<string>();

  const lookupKnown = (reference: string, path: string | undefined): Medication | undefined =>
    known.get(reference) ?? (path ? known.get(path) : undefined);

  return {
    addResources(resources, fullUrls = []) {
      resources.forEach((r, i) => {
        if (r.resourceType !== 'Medication') return;
        const medication = r as Medication;
        if (medication.id) known.set(`Medication/${medication.id}`, medication);
        const fullUrl = fullUrls[i];
        if (fullUrl) known.set(fullUrl, medication);
      });
    },

    resolveOrdersOf(resources) {
      for (const order of resources.filter(isOrder)) {
        const reference = order.medicationReference?.reference?.trim();
        if (!reference || reference.startsWith('#')) continue;
        references.add(reference);
        const target = relativeMedicationPath(reference, options.fhirServer);
        if (!('path' in target) || lookupKnown(reference, target.path) || reads.has(target.path)) continue;
        if (!options.fhirServer || reads.size >= MAX_MEDICATION_READS) continue;
        const id = target.path.slice('Medication/'.length);
        // The fallback never rejects (failures come back as `unavailable`); the catch is belt and braces.
        reads.set(target.path, options.read(target.path).then((r) => readOutcome(r, id), () => ({ ok: false, reason: "its medication could not be read from the EHR's FHIR server" })));
      }
    },

    async settle() {
      const settled = new Map<string, ReadOutcome>();
      await Promise.all([...reads].map(async ([path, read]) => settled.set(path, await read)));
      const medications = new Map<string, Medication>();
      const unresolved = new Map<string, string>();
      let inRequest = 0;
      let read = 0;
      for (const reference of references) {
        const target = relativeMedicationPath(reference, options.fhirServer);
        const path = 'path' in target ? target.path : undefined;
        // A Medication in the request wins over a read one, and is the only way to resolve a
        // reference to another server or a urn:uuid: (by the entry's fullUrl).
        const inline = lookupKnown(reference, path);
        if (inline) {
          medications.set(reference, inline);
          inRequest += 1;
          continue;
        }
        if (!path) {
          unresolved.set(reference, 'reason' in target ? target.reason : 'its medication could not be read');
          continue;
        }
        const outcome = settled.get(path);
        if (!outcome) {
          unresolved.set(reference, options.fhirServer
            ? 'too many medications to read in one call'
            : 'its medication was not sent with the request, and no FHIR server was named to read it from');
        } else if (outcome.ok) {
          medications.set(reference, outcome.medication);
          read += 1;
        } else {
          unresolved.set(reference, outcome.reason);
        }
      }
      return { medications, unresolved, counts: { inRequest, read, unresolved: unresolved.size } };
    },
  };
}

/** The resources of a Bundle with their `fullUrl`s (for `urn:uuid:` and absolute references). */
export function bundleResources(bundle: Bundle | undefined): { resources: Resource[]; fullUrls: (string | undefined)[] } {
  const entries = (bundle?.entry ?? []).filter((e) => e.resource && typeof e.resource.resourceType === 'string');
  return { resources: entries.map((e) => e.resource as Resource), fullUrls: entries.map((e) => e.fullUrl) };
}
