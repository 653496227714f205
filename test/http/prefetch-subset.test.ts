/**
 * R-PF-04: every prefetch template keeps to the CDS Hooks restricted query subset, so any EHR can
 * satisfy it: an instance read, or a type-level search whose parameters are a patient reference,
 * tokens (equality, optionally `:in`), dates with eq/lt/gt/ge/le, `_count` and `_sort`. In
 * particular no `_include`/`_revinclude` (decision 10: an order's external Medication is read by
 * the service itself, GET Medication/{id}, not included by the EHR), no chaining and no `_has`.
 */
import { describe, expect, it } from 'vitest';
import copOrderSelect from '../../hooks/cop-order-select.js';
import copOrderSign from '../../hooks/cop-order-sign.js';
import copPatientView from '../../hooks/cop-patient-view.js';

const TOKEN = /^\{\{context\.[A-Za-z]+\}\}$/;
const TOKEN_PARAMS = new Set(['code', 'status']);
const DATE_PARAMS = new Set(['date', 'authoredon']);

/** Why a template leaves the restricted subset, or undefined when it keeps to it. */
function outsideSubset(template: string): string | undefined {
  const [path, query] = template.split('?', 2) as [string, string | undefined];
  if (query === undefined) {
    const [type, id, ...rest] = path.split('/');
    return /^[A-Z][A-Za-z]+$/.test(type ?? '') && TOKEN.test(id ?? '') && rest.length === 0 ? undefined : `not an instance read: ${path}`;
  }
  if (!/^[A-Z][A-Za-z]+$/.test(path)) return `not a type-level search: ${path}`;
  for (const pair of query.split('&')) {
    const [rawName, value = ''] = pair.split('=', 2) as [string, string | undefined];
    const [name, modifier] = rawName.split(':', 2) as [string, string | undefined];
    if (name === 'patient') {
      if (modifier || !TOKEN.test(value)) return `patient must be {{context.patientId}}: ${pair}`;
    } else if (TOKEN_PARAMS.has(name)) {
      if (modifier !== undefined && modifier !== 'in') return `token modifier :${modifier}`;
    } else if (DATE_PARAMS.has(name)) {
      if (modifier || !/^(eq|lt|gt|ge|le)/.test(value)) return `date needs an eq/lt/gt/ge/le prefix: ${pair}`;
    } else if (name === '_count') {
      if (!/^\d+$/.test(value)) return `_count: ${value}`;
    } else if (name !== '_sort') {
      return `parameter outside the subset: ${name}`;
    }
  }
  return undefined;
}

describe('prefetch templates keep to the restricted query subset (R-PF-04)', () => {
  it.each([copOrderSelect, copOrderSign, copPatientView].flatMap((s) => Object.entries(s.prefetch).map(([key, p]) => [`${s.id}.${key}`, p.template] as const)))(
    '%s',
    (_key, template) => {
      expect(outsideSubset(template)).toBeUndefined();
    },
  );

  it.each([
    'MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication',
    'MedicationRequest?patient={{context.patientId}}&_revinclude=Provenance:target',
    'Observation?patient.name=x',
    'Observation?patient={{context.patientId}}&code:text=weight',
    'Observation?patient={{context.patientId}}&date=2026',
    'Patient?_has:Observation:patient:code=1234',
  ])('the check refuses %s', (template) => {
    expect(outsideSubset(template)).toBeDefined();
  });
});

describe('each service asks for what its rules read (derived from the rule declarations)', () => {
  it.each([
    [copOrderSelect, ['patient', 'conditions', 'weight', 'oxygenation', 'pft', 'labs', 'meds', 'pregnancy', 'allergies', 'followUp', 'encounter'], ['patient', 'conditions', 'weight', 'meds']],
    [copOrderSign, ['patient', 'conditions', 'weight', 'oxygenation', 'pft', 'labs', 'bp', 'meds', 'pregnancy', 'followUp', 'encounter'], ['patient', 'conditions', 'weight', 'meds']],
    [copPatientView, ['patient', 'conditions', 'weight', 'oxygenation', 'pft', 'labs', 'bp', 'meds', 'medsHistory', 'pregnancy', 'followUp', 'encounter'], ['patient', 'conditions', 'meds']],
  ] as const)('%#', (service, keys, required) => {
    expect(Object.keys(service.prefetch)).toEqual(keys);
    expect(Object.entries(service.prefetch).filter(([, p]) => p?.required).map(([k]) => k)).toEqual(required);
  });
});
