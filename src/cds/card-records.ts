/**
 * Translations between the wire and the store: which cards were shown (so feedback can be joined
 * to the rule that earned it) and what feedback said. Pure mapping; the store does the I/O.
 */
import { RULE_IDS, type RuleId } from '../cop/knowledge.js';
import type { FeedbackItem, ShownCard } from '../store/types.js';
import type { Card, FeedbackRequest } from './wire.js';

export interface ShownContext {
  serviceId: string;
  hook: string;
  hookInstance: string;
  patientKey: string;
  shownAt: Date;
}

const isRuleId = (code: string | undefined): code is RuleId => RULE_IDS.includes(code as RuleId);

export function shownCardsOf(cards: Card[], context: ShownContext): ShownCard[] {
  return cards.flatMap((card) => {
    const ruleId = card.source.topic?.code;
    if (!isRuleId(ruleId)) return [];
    return [{
      cardUuid: card.uuid,
      ruleId,
      serviceId: context.serviceId,
      hook: context.hook,
      hookInstance: context.hookInstance,
      patientKey: context.patientKey,
      indicator: card.indicator,
      suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
      shownAt: context.shownAt,
    }];
  });
}

export function feedbackItemsOf(request: FeedbackRequest): FeedbackItem[] {
  return request.feedback.map((f) => {
    const item: FeedbackItem = {
      cardUuid: f.card,
      outcome: f.outcome,
      acceptedSuggestions: (f.acceptedSuggestions ?? []).map((s) => s.id),
      hadUserComment: typeof f.overrideReason?.userComment === 'string' && f.overrideReason.userComment.length > 0,
      outcomeTimestamp: f.outcomeTimestamp,
    };
    const reason = f.overrideReason?.reason;
    if (reason) {
      item.overrideReason = { code: reason.code };
      if (reason.system) item.overrideReason.system = reason.system;
      if (reason.display) item.overrideReason.display = reason.display;
    }
    return item;
  });
}
