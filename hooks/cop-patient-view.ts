import type { CdsServiceDefinition } from '../src/cds/service-definition.js';
import { templates as t } from './prefetch-templates.js';

/**
 * patient-view: the untreated-COP reminder, monitoring and surveillance rules arrive in a later
 * issue; today only the age check (COP-R03, which applies to all three hooks) runs here.
 */
const copPatientView: CdsServiceDefinition = {
  id: 'cop-patient-view',
  hook: 'patient-view',
  title: 'COP: record review',
  description:
    'When a chart is opened for a patient with cryptogenic organizing pneumonia, reviews treatment status and ' +
    'monitoring. Currently reports only when the patient is outside the adult population the dosing support covers.',
  prefetch: {
    patient: t.patient,
    conditions: t.conditions,
  },
  rules: ['COP-R03'],
};

export default copPatientView;
