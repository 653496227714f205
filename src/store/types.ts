/**
 * The durable record of what the service showed and what clinicians did with it. Feedback is
 * joined to the card that earned it (card uuid → rule id, service, hookInstance, time), and the
 * patient-view suppression windows read it. Patients are stored only as a keyed hash, never in clear.
 */
import type { RuleId } from '../cop/knowledge.js';

/** A card as shown: enough to join feedback to it and to apply suppression windows. */
export interface ShownCard {
  cardUuid: string;
  ruleId: RuleId;
  serviceId: string;
  hook: string;
  hookInstance: string;
  /** HMAC of the patient id (see PatientKeyer); never the id itself. */
  patientKey: string;
  indicator: 'info' | 'warning' | 'critical';
  /** Suggestion uuids on the card, so accepted suggestions can be checked against it. */
  suggestionUuids: string[];
  shownAt: Date;
}

/** One feedback item as received (CDS Hooks 2.0 §Feedback). Free-text comments are not stored. */
export interface FeedbackItem {
  cardUuid: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  overrideReason?: { system?: string; code: string; display?: string };
  /** Whether the user typed a comment (the text itself may hold PHI, so only its presence is kept). */
  hadUserComment: boolean;
  /** As sent, RFC 3339 UTC. */
  outcomeTimestamp: string;
  /**
   * The card's patient and rule when the caller knows them (its shown-card record still queued
   * behind the response): the store uses them when it has no row for the card yet, so feedback
   * never waits for shown-card records and the override window sees it at once.
   */
  knownCard?: { patientKey: string; ruleId: RuleId };
}

export interface FeedbackResult {
  /** New rows committed. */
  stored: number;
  /** Items already stored earlier (same card, outcome and timestamp): accepted again, not duplicated. */
  duplicates: number;
}

export interface CdsStore {
  /** Records the cards of one response. */
  recordShownCards(cards: ShownCard[]): Promise<void>;
  /** Commits feedback before resolving (the HTTP 200 means "durably stored"); idempotent. */
  recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult>;
  /**
   * Rules whose cards were overridden for this patient since `since` (patient-view suppression:
   * an overridden card stays away from patient-view for 24 h).
   */
  overriddenRules(patientKey: string, ruleIds: RuleId[], since: Date): Promise<Set<RuleId>>;
  /** Rules with a card shown to this patient since `since` (e.g. COP-R20 at most once per 90 days). */
  shownRules(patientKey: string, ruleIds: RuleId[], since: Date, hook?: string): Promise<Set<RuleId>>;
  /** The secret used to key patient ids, created once and kept in the store when not configured. */
  patientKeySecret(): Promise<string>;
  /** A trivial query (readiness probe); rejects when the store cannot answer. */
  ping?(): Promise<void>;
  /** A tiny committed write (readiness after failed writes: a full disk still answers SELECT 1). */
  probeWrite?(): Promise<void>;
  /**
   * Claims a JWT's id for `iss` until `expiresAt`, atomically across every instance sharing the
   * store: true for the first claim while it is live, false for a replay (PostgreSQL only).
   */
  claimTokenUse?(iss: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** The rule of each card uuid known to the store (one query; metrics join feedback to rules with it). */
  ruleIdsOfCards?(cardUuids: string[]): Promise<Map<string, RuleId>>;
  close(): Promise<void>;
}
