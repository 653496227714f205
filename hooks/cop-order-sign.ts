import type { CdsServiceDefinition } from '../src/cds/service-definition.js';
import type { RuleId } from '../src/cop/knowledge.js';
import { prefetchFor } from './prefetch-templates.js';

/** The rules this service runs, in card order. */
const RULE_IDS: readonly RuleId[] = ['COP-R03', 'COP-R02', 'COP-R04', 'COP-R05', 'COP-R07', 'COP-R19', 'COP-R10', 'COP-R11', 'COP-R12', 'COP-R13', 'COP-R14', 'COP-R17'];

const copOrderSign: CdsServiceDefinition = {
  id: 'cop-order-sign',
  hook: 'order-sign',
  title: 'COP initial treatment: order signing',
  description:
    'Checks drafted COP orders before signing: glucocorticoid dose and duration, duplicates, clarithromycin outside ' +
    'the studied population, pregnancy safety, and the steroid-safety bundle (bone protection, adrenal suppression, ' +
    'glucose, blood pressure, follow-up review, prolonged therapy).',
  usageRequirements:
    'Needs Patient, Condition, body-weight Observation and active MedicationRequest data (prefetch or FHIR access); ' +
    'other observations improve the advice.',
  // What its rules read (their declarations in src/cop/rules), templates from ./prefetch-templates.ts.
  prefetch: prefetchFor('order-sign', RULE_IDS),
  rules: [...RULE_IDS],
};

export default copOrderSign;
