/**
 * The contract between facts, rules and cards.
 *
 * A rule is a pure function: (facts, context) → a Finding or nothing. It never reads raw FHIR
 * (only PatientFacts), never renders a card (cards.ts does), and never reads a threshold except
 * from `context.thresholds`. Suggestions carry complete FHIR resources (order-assembly.ts and
 * service-orders.ts build most of them).
 */
import type { Resource } from 'fhir/r4.js';
import type { DataDomain, PatientFacts } from './facts-types.js';
import type { CitationKey, RuleId, Thresholds } from './knowledge.js';

/** CDS Hooks: a summary is "<140-character"; every finding keeps to ≤ 139. */
export const MAX_SUMMARY_LENGTH = 139;

export type HookName = 'order-select' | 'order-sign' | 'patient-view';
export type FormularyProfile = 'us' | 'uk';
export type Indicator = 'info' | 'warning' | 'critical';

export interface RuleContext {
  hook: HookName;
  /**
   * "Today": the site clock of the request (fhir/dates.ts siteClock: its UTC fields are the site's
   * local date and time, decision 22), injected so tests use a fixed clock. Read its calendar date
   * only; it is not the real instant.
   */
  now: Date;
  thresholds: Thresholds;
  formulary: FormularyProfile;
  /** `intent` of suggested MedicationRequests (`order`, or `proposal` for EHRs that need it). */
  medicationRequestIntent: 'order' | 'proposal';
}

/** One piece of data a finding relied on, shown on the card as "label value (date, 5 days ago)". */
export interface Evidence {
  label: string;
  value: string;
  date?: string;
  ageDays?: number;
  reference?: string;
  /**
   * The detail already states this datum with its date (one fact said once, decision 20): it is
   * left off the "Data used" line and kept in the card's machine-readable evidence extension.
   */
  statedInDetail?: true;
}

export type FindingAction =
  | { type: 'create'; description: string; resource: Resource }
  | { type: 'update'; description: string; resource: Resource }
  | { type: 'delete'; description: string; resourceId: string };

export interface FindingSuggestion {
  label: string;
  isRecommended?: boolean;
  actions: FindingAction[];
}

export interface OverrideReason {
  code: string;
  display: string;
}

/** The apps of this service a finding may link to: `taper-plan` is the taper-plan SMART app (COP-R01). */
export type ServiceApp = 'taper-plan';

/**
 * A link to an app of this service, named, not located: the CDS layer (src/cds/cards.ts) knows where
 * each app is launched and renders it as a card link of `type: 'smart'` with an absolute URL.
 * `appContext` is handed to the app by the EHR at launch.
 */
export interface FindingLink {
  app: ServiceApp;
  label: string;
  appContext?: string;
}

export interface Finding {
  ruleId: RuleId;
  indicator: Indicator;
  /** One sentence of at most MAX_SUMMARY_LENGTH characters (cards.ts enforces it). */
  summary: string;
  /** Markdown paragraphs or bullet lines; joined with blank lines by the card renderer. */
  detail: string[];
  evidence: Evidence[];
  suggestions?: FindingSuggestion[];
  overrideReasons?: OverrideReason[];
  citations: CitationKey[];
  /** Links to this service's apps (shown before the citations); dropped when no base URL is known. */
  links?: FindingLink[];
}

/**
 * What a clinician reviews about a rule, declared once beside its `evaluate` function: the services'
 * prefetch is the union of their rules' `reads`, the evidence page (/evidence/cop#COP-Rnn) lists
 * each rule's thresholds (configured value, default, sign-off flag), citations and data, and the
 * patient-view suppression reads `oncePerInterval`.
 */
export interface RuleDeclaration {
  id: RuleId;
  title: string;
  /** What the rule does, in one or two sentences for the evidence page. */
  purpose: string;
  hooks: readonly HookName[];
  /** The data domains (prefetch keys) its facts come from, on every hook it runs on. */
  reads: readonly DataDomain[];
  /** Data it reads on one hook only (COP-R01: past orders on patient-view, the clarithromycin gates on order-select). */
  readsOn?: Partial<Record<HookName, readonly DataDomain[]>>;
  /** Thresholds its logic uses (those of the predicates it reads included). */
  thresholds: readonly (keyof Thresholds)[];
  /** Every citation a card of this rule may carry. */
  citations: readonly CitationKey[];
  /** The override reasons its cards offer (a site may replace them), when they offer any. */
  overrideReasons?: readonly OverrideReason[];
  /** patient-view: shown at most once per `surveillanceIntervalDays` per patient (besides the 24 h override window every card has). */
  oncePerInterval?: boolean;
  /**
   * The longer evidence behind the rule (study details, caveats): on the evidence page, linked from
   * every card by its `source.url`, so the card itself keeps to one sentence of evidence.
   */
  background?: readonly string[];
  /** What still awaits clinical or pharmacy review (unconfirmed codes, steps, factors): on the evidence page, never on a card. */
  reviewNotes?: readonly string[];
}

export type Rule = RuleDeclaration & {
  evaluate: (facts: PatientFacts, context: RuleContext) => Finding | undefined;
};
