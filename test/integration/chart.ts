/**
 * One synthetic COP patient for the FHIR integration tests, kept both as what a FHIR server holds
 * and as the full prefetch an EHR would send for it, so the two paths can be compared.
 */
import {
  copCondition, medicationRequest, observation, patient, PATIENT_ID, searchset, weight,
} from '../fixtures/requests.js';

type Json = Record<string, unknown>;

const UCUM = 'http://unitsofmeasure.org';
const glucose = (n: number): Json => observation(`glucose-${n}`, '2345-7', 95, 'mg/dL', n);
/** GGT 2.4× ULN, older than every glucose, so it is the last result of the labs search (`_sort=-date`). */
export const ggt = observation('ggt-1', '2324-2', 130, 'U/L', 10, {
  referenceRange: [{ high: { value: 55, unit: 'U/L', system: UCUM, code: 'U/L' } }],
});

/** The chart by prefetch key, as the service's templates select it (newest first). */
export const chart = {
  patient: patient(),
  conditions: [copCondition()],
  weight: [weight(60, 5)],
  oxygenation: [observation('spo2-1', '59408-5', 97, '%', 2)],
  pft: [observation('fvc-1', '19872-1', 85, '%', 30), observation('fev1-1', '20152-5', 75, '%', 30)],
  labs: [glucose(1), glucose(2), glucose(3), glucose(4), ggt],
  bp: [] as Json[],
  meds: [] as Json[],
  pregnancy: [] as Json[],
  allergies: [] as Json[],
  followUp: [] as Json[],
};

/** On the server too, but no template for this patient may return them: another patient, a stopped order. */
const noise: Json[] = [
  { resourceType: 'Patient', id: 'pat-other', gender: 'female', birthDate: '1950-01-01' },
  { ...weight(90, 1, 'weight-other'), subject: { reference: 'Patient/pat-other' } },
  medicationRequest('pred-stopped', '312617', 'predniSONE 5 MG Oral Tablet', 'stopped', { value: 5, unit: 'mg', system: UCUM, code: 'mg' }),
];

export function serverResources(): Json[] {
  const { patient: p, ...searches } = chart;
  return [p, ...Object.values(searches).flat(), ...noise];
}

/** What an EHR sends when it satisfies every template (pregnancy found nothing: a search, so an empty Bundle). */
export function fullPrefetch(): Json {
  const { patient: p, ...searches } = chart;
  return { patient: p, ...Object.fromEntries(Object.entries(searches).map(([key, list]) => [key, searchset(...list)])) };
}

export { PATIENT_ID };
