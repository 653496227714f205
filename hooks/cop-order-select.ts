import type { CdsServiceDefinition } from '../src/cds/service-definition.js';
import type { RuleId } from '../src/cop/knowledge.js';
import { prefetchFor } from './prefetch-templates.js';

/** The rules this service runs, in card order. */
const RULE_IDS: readonly RuleId[] = ['COP-R03', 'COP-R01', 'COP-R02', 'COP-R04', 'COP-R05', 'COP-R06', 'COP-R07', 'COP-R08', 'COP-R09', 'COP-R15', 'COP-R19'];

const copOrderSelect: CdsServiceDefinition = {
  id: 'cop-order-select',
  hook: 'order-select',
  title: 'COP initial treatment: order selection',
  description:
    'When a systemic glucocorticoid or clarithromycin is selected for a patient with cryptogenic organizing pneumonia, ' +
    'suggests the weight-based starting dose and its taper, the clarithromycin alternative where eligible, and flags ' +
    'missing weight, age limits, duplicate steroids, secondary causes, relapse-risk markers and missing PFTs.',
  usageRequirements:
    'Needs Patient, Condition, body-weight Observation and active MedicationRequest data (prefetch or FHIR access); ' +
    'other observations improve the advice.',
  // What its rules read (their declarations in src/cop/rules), templates from ./prefetch-templates.ts.
  prefetch: prefetchFor('order-select', RULE_IDS),
  rules: [...RULE_IDS],
};

export default copOrderSelect;
