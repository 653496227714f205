import type { CdsServiceDefinition } from '../src/cds/service-definition.js';
import type { RuleId } from '../src/cop/knowledge.js';
import { prefetchFor } from './prefetch-templates.js';

/** The rules this service runs, in card order. */
const RULE_IDS: readonly RuleId[] = [
    'COP-R03', 'COP-R08', 'COP-R16', 'COP-R01', 'COP-R04', 'COP-R09', 'COP-R15', 'COP-R17', 'COP-R18',
    'COP-R10', 'COP-R11', 'COP-R12', 'COP-R13', 'COP-R20',
  ];

/**
 * patient-view (the rules that run on it): the untreated-COP reminder (R01 variant), age limits,
 * the existing course (R04 info), secondary OP, relapse-risk markers, missing PFTs, the
 * steroid-safety rules on an active course (R10–R13, decision 6), poor response, prolonged
 * therapy, steroid-sparing information and surveillance. Warnings first, then treatment status,
 * monitoring and information. Weight is optional here: no dose is computed on this hook.
 */
const copPatientView: CdsServiceDefinition = {
  id: 'cop-patient-view',
  hook: 'patient-view',
  title: 'COP: record review',
  description:
    'When a chart is opened for a patient with cryptogenic organizing pneumonia, reviews treatment status and ' +
    'monitoring: untreated COP, age limits, an existing glucocorticoid course, possible secondary organizing ' +
    'pneumonia, relapse-risk markers, missing PFTs, poor response, prolonged therapy, steroid-sparing options, ' +
    'steroid safety on an active course (bone protection, adrenal suppression, glucose, blood pressure) and ' +
    'surveillance for evolving connective tissue disease or malignancy.',
  usageRequirements:
    'Needs Patient, Condition and active MedicationRequest data (prefetch or FHIR access); weight, oxygenation, ' +
    'PFT, laboratory, blood-pressure and pregnancy observations improve the advice.',
  // What its rules read (their declarations in src/cop/rules), templates from ./prefetch-templates.ts.
  prefetch: prefetchFor('patient-view', RULE_IDS, { optional: ['weight'] }),
  rules: [...RULE_IDS],
};

export default copPatientView;
