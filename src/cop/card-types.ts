/**
 * The CDS Hooks 2.0 card as this service sends it: plain types, no imports beyond FHIR's, at the
 * bottom of the layers so that the domain's renderer (cards.ts) builds cards without reaching up
 * into the protocol layer. src/cds/wire.ts re-exports them beside its zod schemas for what arrives.
 * Outbound objects never carry null or empty values.
 */
import type { Resource } from 'fhir/r4.js';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export type Action =
  | { type: 'create' | 'update'; description: string; resource: Resource }
  | { type: 'delete'; description: string; resourceId: string };

export interface Suggestion {
  label: string;
  uuid: string;
  isRecommended?: boolean;
  actions: Action[];
}

export interface Link {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
}

export interface Card {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; topic?: Coding };
  suggestions?: Suggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: Coding[];
  links?: Link[];
  /** CDS Hooks extension: machine-readable data behind the card (cards.ts `EVIDENCE_EXTENSION`). */
  extension?: Record<string, unknown>;
}
