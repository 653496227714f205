/**
 * Every implemented rule by id. Hook definitions name rule ids; the registry binds them at
 * start-up and refuses to start if a hook names a rule that is not here.
 */
import type { RuleId } from '../knowledge.js';
import type { Rule } from '../rule-types.js';
import { r01 } from './r01-initial-dose.js';
import { r02 } from './r02-weight-missing.js';
import { r03 } from './r03-age.js';
import { r04 } from './r04-existing-glucocorticoid.js';
import { r05 } from './r05-dose-check.js';
import { r06 } from './r06-clarithromycin-option.js';
import { r07 } from './r07-clarithromycin-outside-population.js';
import { r08 } from './r08-secondary-op.js';
import { r09 } from './r09-relapse-risk.js';
import { r10 } from './r10-bone-protection.js';
import { r11 } from './r11-adrenal-suppression.js';
import { r12 } from './r12-glucose.js';
import { r13 } from './r13-blood-pressure.js';
import { r14 } from './r14-follow-up.js';
import { r15 } from './r15-baseline-pft.js';
import { r16 } from './r16-poor-response.js';
import { r17 } from './r17-prolonged-therapy.js';
import { r18 } from './r18-steroid-sparing.js';
import { r19 } from './r19-pregnancy-safety.js';
import { r20 } from './r20-surveillance.js';

/** Every rule, in id order (the evidence page lists them so). */
export const ALL_RULES: readonly Rule[] = [r01, r02, r03, r04, r05, r06, r07, r08, r09, r10, r11, r12, r13, r14, r15, r16, r17, r18, r19, r20];

export const RULES: Partial<Record<RuleId, Rule>> = Object.fromEntries(ALL_RULES.map((r) => [r.id, r]));
