import type { CdsServiceDefinition } from '../src/cds/service-definition.js';
import { templates as t } from './prefetch-templates.js';

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
  prefetch: {
    patient: t.patient,
    conditions: t.conditions,
    weight: t.weight,
    oxygenation: t.oxygenation,
    pft: t.pft,
    labs: t.labs,
    bp: t.bp,
    meds: t.meds,
    pregnancy: t.pregnancy,
    followUp: t.followUp,
    encounter: t.encounter,
  },
  rules: ['COP-R03', 'COP-R02', 'COP-R04', 'COP-R05', 'COP-R07', 'COP-R19', 'COP-R10', 'COP-R11', 'COP-R12', 'COP-R13', 'COP-R14', 'COP-R17'],
};

export default copOrderSign;
